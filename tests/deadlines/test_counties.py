"""Counties under prefectures (docs/counties.md): a generated prefecture (贵阳市) with three counties
passes its 阶段性总结 down with an earlier working day, the counties submit, the prefecture reads the
returns side by side, receives or returns each and consolidates; the province sees the consolidated
answer and opens the counties' ones; reminders and events reach the county accounts; access follows the tree."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry
from deadlines import cascade
from deadlines.models import Message, Obligation
from deadlines.reminders import reminders_plan
from deadlines.services.calendar import calendar_year_save
from deadlines.services.obligations import obligation_decide, obligation_submit, obligations_generate
from members.access import access_for
from members.models import ReportingUnit
from tests.conftest import verified_login
from tests.county_world import county_world

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, tzinfo=TZ)  # a Monday; 贵阳市's 阶段性总结 is due Monday 16 November
COUNTY_USERS = ["city_chengdong", "city_chengxi", "city_shannan"]


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def tree(users):
    with time_machine.travel(NOW, tick=False):
        world = county_world(users)
        obligations_generate()
    world["parent"] = Obligation.objects.get(
        reporting_unit__code="guiyang", rule__code="stage_summary", period="2026-1115"
    )
    world["counties"] = [world[c] for c in ("gy_chengdong", "gy_chengxi", "gy_shannan")]
    return world


def pass_down(users, tree, due=date(2026, 11, 11), counties=None, instructions="请报送本县（市、区）阶段性总结。"):
    with time_machine.travel(NOW, tick=False):
        return cascade.obligation_pass_down(
            obligation=tree["parent"],
            counties=counties or tree["counties"],
            due_on=due,
            instructions=instructions,
            by=users["city_guiyang"],
        )


def submitted(users, tree):
    shares = pass_down(users, tree)
    with time_machine.travel(at(2026, 11, 9), tick=False):
        for share, name in zip(shares, COUNTY_USERS):
            obligation_submit(
                obligation=share, text=f"{share.reporting_unit.name}：完成创建 3 个社区。", by=users[name]
            )
    return shares


def inbox(user, kind):
    return list(Message.objects.filter(recipient=user, channel=Message.INAPP, kind__startswith=kind))


# --- the tree and the rules ------------------------------------------------------------------------------


def test_rules_of_prefectures_bind_prefectures_only(tree):
    assert tree["parent"].due_on == date(2026, 11, 16)
    assert not Obligation.objects.filter(reporting_unit__parent__isnull=False).exists()
    assert set(ReportingUnit.objects.prefectures().values_list("code", flat=True)) >= {"guiyang", "zunyi"}
    assert "gy_chengdong" not in set(ReportingUnit.objects.prefectures().values_list("code", flat=True))


def test_zhejiang_county_plans_and_assessment_rules_are_obligations_of_the_counties(zhejiang):
    hangzhou = ReportingUnit.objects.get(mechanism=zhejiang, code="hangzhou")
    ReportingUnit.objects.create(mechanism=zhejiang, parent=hangzhou, code="hz_a", name="甲区", kind="县市区")
    ReportingUnit.objects.create(mechanism=zhejiang, parent=hangzhou, code="hz_b", name="乙县", kind="县市区")
    with time_machine.travel(at(2020, 9, 10), tick=False):
        obligations_generate(mechanism_ids=[zhejiang.pk])
    owed = {(o.rule.code, o.reporting_unit.code) for o in Obligation.objects.filter(rule__mechanism=zhejiang)}
    assert {
        ("county_action_plan", "hz_a"),
        ("county_action_plan", "hz_b"),
        ("county_assessment_rules", "hz_a"),
        ("county_assessment_rules", "hz_b"),
    } <= owed
    assert ("implementation_plan", "hangzhou") in owed
    assert not any(r == "implementation_plan" and c.startswith("hz_") for r, c in owed)
    assert not any(r.startswith("county_") and not c.startswith("hz_") for r, c in owed)
    plan = Obligation.objects.get(rule__code="county_action_plan", reporting_unit__code="hz_a")
    assert plan.due_on == date(2020, 9, 30) and plan.title.endswith("县级绿色社区建设行动方案")


def test_counties_are_read_from_the_mechanism_file(db):
    from members.mechanism_config import mechanism_path, mechanism_spec_parse
    from members.services import mechanism_load

    text = (
        mechanism_path("zhejiang")
        .read_text(encoding="utf-8")
        .replace(
            "  - {code: ningbo, name: 宁波市, kind: 设区市}",
            "  - code: ningbo\n    name: 宁波市\n    kind: 设区市\n    counties:\n"
            "      - {code: nb_a, name: 甲区}\n      - {code: nb_b, name: 乙县, kind: 县}",
        )
    )
    mechanism_load(spec=mechanism_spec_parse(text.encode(), filename="zhejiang.yaml"))
    ningbo = ReportingUnit.objects.get(code="ningbo")
    assert [(c.name, c.kind) for c in ningbo.counties.order_by("order")] == [("甲区", "县市区"), ("乙县", "县")]
    clash = text.replace("{code: nb_b, name: 乙县", "{code: nb_b, name: 宁波市")
    with pytest.raises(Exception, match="重复"):
        mechanism_spec_parse(clash.encode(), filename="zhejiang.yaml")


# --- passing down ----------------------------------------------------------------------------------------


def test_pass_down_gives_each_county_a_share_with_the_earlier_day(users, tree):
    shares = pass_down(users, tree)
    assert [(s.reporting_unit.name, s.due_on, s.parent_id, s.period) for s in shares] == [
        (c.name, date(2026, 11, 11), tree["parent"].pk, "2026-1115") for c in tree["counties"]
    ]
    assert all(s.status == Obligation.OPEN and s.title == tree["parent"].title for s in shares)
    entry = AuditEntry.objects.get(action="obligation.pass_down")
    assert entry.actor_id == users["city_guiyang"].pk and entry.changes["counties"] == ["城东区", "城西区", "山南县"]
    for name in COUNTY_USERS:
        (m,) = inbox(users[name], "passed_down")
        assert "贵阳市" in m.body and "2026年11月11日" in m.body and "请报送本县" in m.body
    for name in ("city_guiyang", "city_zunyi", "city_beishan", "office", "convener"):
        assert not inbox(users[name], "passed_down")


def test_default_day_is_three_working_days_earlier_and_follows_the_calendar(users, tree):
    with time_machine.travel(NOW, tick=False):
        assert cascade.default_share_due(tree["parent"]) == date(2026, 11, 11)
        calendar_year_save(year=2026, holidays="2026-11-11 测试假日", workdays="", by=users["office"])
        tree["parent"].refresh_from_db()
        assert cascade.default_share_due(tree["parent"]) == date(2026, 11, 10)


@pytest.mark.parametrize(
    "due, words",
    [
        (date(2026, 11, 17), "不能晚于本市州的截止日期"),
        (date(2026, 11, 14), "不是工作日"),  # a Saturday
        (date(2026, 10, 30), "不能早于今天"),
    ],
)
def test_the_county_day_is_a_working_day_not_after_the_prefectures(users, tree, due, words):
    with pytest.raises(DomainError, match=words):
        pass_down(users, tree, due=due)
    assert not Obligation.objects.filter(parent=tree["parent"]).exists()


def test_a_holiday_the_office_entered_is_not_a_working_day(users, tree):
    with time_machine.travel(NOW, tick=False):
        calendar_year_save(year=2026, holidays="2026-11-11 测试假日", workdays="", by=users["office"])
    with pytest.raises(DomainError, match="前一个工作日 2026年11月10日"):
        pass_down(users, tree)


def test_only_the_prefecture_passes_down_its_own_to_its_own_counties(users, tree):
    for who in ("office", "city_zunyi", "city_chengdong", "convener"):
        with pytest.raises(NotAllowed):
            with time_machine.travel(NOW, tick=False):
                cascade.obligation_pass_down(
                    obligation=tree["parent"], counties=tree["counties"], due_on=date(2026, 11, 11), by=users[who]
                )
    with pytest.raises(DomainError, match="不属于本市州"):
        pass_down(users, tree, counties=[tree["zy_beishan"]])
    pass_down(users, tree, counties=tree["counties"][:1])
    more = pass_down(users, tree)  # again: only the counties without a share
    assert [s.reporting_unit for s in more] == tree["counties"][1:]
    assert Obligation.objects.filter(parent=tree["parent"]).count() == 3
    with pytest.raises(Conflict, match="都已下发"):
        pass_down(users, tree)


# --- returns, side by side, received by the prefecture ------------------------------------------------------


def test_a_county_submission_tells_its_prefecture_and_only_it_receives_it(users, tree):
    shares = submitted(users, tree)
    assert {m.title for m in inbox(users["city_guiyang"], "county_submitted")} == {
        f"【县区报送】{c.name}已报送：{tree['parent'].title}" for c in tree["counties"]
    }
    assert not inbox(users["office"], "county_submitted") and not inbox(users["city_zunyi"], "county_submitted")
    with pytest.raises(NotAllowed):
        obligation_decide(obligation=shares[0], accept=True, by=users["office"])
    for who in ("city_zunyi", "city_chengxi", "office"):
        with pytest.raises(NotAllowed):
            cascade.county_return_decide(obligation=shares[0], accept=True, by=users[who])
    with time_machine.travel(at(2026, 11, 9, 15), tick=False):
        cascade.county_return_decide(
            obligation=shares[0], accept=False, reason="缺少社区名单", by=users["city_guiyang"]
        )
        cascade.county_return_decide(obligation=shares[1], accept=True, by=users["city_guiyang"])
    (back,) = inbox(users["city_chengdong"], "county_returned")
    assert (
        "缺少社区名单" in back.body
        and "贵阳市" in back.body
        and back.url == reverse("deadlines:obligation", args=[shares[0].pk])
    )
    assert inbox(users["city_chengxi"], "county_accepted") and not inbox(users["city_shannan"], "county_")
    shares[0].refresh_from_db()
    assert shares[0].status == Obligation.RETURNED
    assert AuditEntry.objects.filter(action="obligation.county_return", actor=users["city_guiyang"]).exists()


def test_prefecture_page_shows_the_returns_side_by_side_and_consolidates(users, tree, client):
    shares = submitted(users, tree)
    verified_login(client, users["city_guiyang"])
    url = reverse("deadlines:county_returns", args=[tree["parent"].pk])
    with time_machine.travel(at(2026, 11, 10), tick=False):
        page = client.get(url).content.decode()
        for c in tree["counties"]:
            assert f"{c.name}：完成创建 3 个社区。" in page
        assert page.count('name="action" value="accept"') == 3 and "汇总报送" in page
        # the consolidation starts from each county's return, under its name
        assert "【城东区】\n城东区：完成创建 3 个社区。" in page.replace("&#x27;", "'")
        r = client.post(url, {"action": "return", "share": shares[2].pk, "reason": ""})
        assert r.status_code == 400 and "请填写理由" in r.content.decode()
        r = client.post(url, {"action": "accept", "share": shares[2].pk})
        assert r.status_code == 302
        r = client.post(url, {"action": "consolidate", "text": "贵阳市汇总：三个县（市、区）共创建 9 个社区。"})
        assert r.status_code == 302
    tree["parent"].refresh_from_db()
    assert tree["parent"].status == Obligation.SUBMITTED
    assert tree["parent"].submissions.get().text.startswith("贵阳市汇总")
    shares[2].refresh_from_db()
    assert shares[2].status == Obligation.ACCEPTED


def test_the_province_sees_the_consolidated_answer_and_opens_the_counties(users, tree, client):
    shares = submitted(users, tree)
    with time_machine.travel(at(2026, 11, 10), tick=False):
        obligation_submit(obligation=tree["parent"], text="贵阳市汇总。", by=users["city_guiyang"])
    verified_login(client, users["office"])
    detail = client.get(reverse("deadlines:obligation", args=[tree["parent"].pk])).content.decode()
    assert "贵阳市汇总。" in detail and reverse("deadlines:county_returns", args=[tree["parent"].pk]) in detail
    assert 'value="accept"' in detail  # the office receives the prefecture's answer
    page = client.get(reverse("deadlines:county_returns", args=[tree["parent"].pk])).content.decode()
    assert all(f"{c.name}：完成创建 3 个社区。" in page for c in tree["counties"])
    assert 'value="accept"' not in page and "分解下发" not in page  # the province reads; the prefecture receives
    share = client.get(reverse("deadlines:obligation", args=[shares[0].pk])).content.decode()
    assert "城东区：完成创建 3 个社区。" in share and 'value="accept"' not in share and "报送对象：贵阳市" in share
    r = client.post(
        reverse("deadlines:county_returns", args=[tree["parent"].pk]), {"action": "consolidate", "text": "x"}
    )
    assert r.status_code == 404


def test_pass_down_on_the_page_keeps_what_was_typed_on_a_bad_date(users, tree, client):
    verified_login(client, users["city_guiyang"])
    url = reverse("deadlines:county_returns", args=[tree["parent"].pk])
    with time_machine.travel(NOW, tick=False):
        page = client.get(url).content.decode()
        assert 'value="2026-11-11"' in page and "城东区" in page and "北山县" not in page
        chosen = [tree["gy_chengdong"].pk, tree["gy_shannan"].pk]
        r = client.post(
            url, {"action": "pass_down", "counties": chosen, "due_on": "2026-11-20", "instructions": "请按模板"}
        )
        body = r.content.decode()
        assert r.status_code == 400 and "不能晚于本市州的截止日期" in body and "请按模板" in body
        assert f'value="{tree["gy_chengxi"].pk}">' in body  # 城西区 left unticked stays unticked
        r = client.post(url, {"action": "pass_down", "counties": chosen, "due_on": "11/20/2026"})
        assert r.status_code == 400 and "年-月-日" in r.content.decode()
        r = client.post(
            url, {"action": "pass_down", "counties": chosen, "due_on": "2026-11-12", "instructions": "请按模板"}
        )
        assert r.status_code == 302
    assert sorted(Obligation.objects.filter(parent=tree["parent"]).values_list("reporting_unit__code", flat=True)) == [
        "gy_chengdong",
        "gy_shannan",
    ]


def test_the_county_page_costs_the_same_queries_for_three_counties_or_six(users, tree, client):
    submitted(users, tree)
    verified_login(client, users["city_guiyang"])
    url = reverse("deadlines:county_returns", args=[tree["parent"].pk])
    with time_machine.travel(at(2026, 11, 10), tick=False):
        client.get(url)
        with CaptureQueriesContext(connection) as three:
            client.get(url)
        for n in range(3):
            extra = ReportingUnit.objects.create(
                mechanism=tree["parent"].rule.mechanism,
                parent=tree["parent"].reporting_unit,
                code=f"gy_x{n}",
                name=f"新区{n}",
                kind="县市区",
                order=10 + n,
            )
            cascade.obligation_pass_down(
                obligation=tree["parent"], counties=[extra], due_on=date(2026, 11, 12), by=users["city_guiyang"]
            )
        with CaptureQueriesContext(connection) as six:
            client.get(url)
    assert len(six) == len(three), [q["sql"] for q in six.captured_queries]


# --- reminders ------------------------------------------------------------------------------------------


def test_reminders_reach_the_county_and_an_overdue_county_is_escalated_to_its_prefecture(users, tree):
    shares = pass_down(users, tree)
    with time_machine.travel(at(2026, 11, 11, 9), tick=False):
        reminders_plan(today=date(2026, 11, 11))
    for share, name in zip(shares, COUNTY_USERS):
        due = set(
            Message.objects.filter(subject=f"obligation:{share.pk}", kind="due").values_list(
                "recipient__username", flat=True
            )
        )
        assert due == {name}
    with time_machine.travel(at(2026, 11, 16, 9), tick=False):
        reminders_plan(today=date(2026, 11, 16))
    escalated = set(
        Message.objects.filter(kind__startswith="escalation", subject=f"obligation:{shares[0].pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert escalated == {"city_guiyang"}


# --- 我的待办 seam ------------------------------------------------------------------------------------------


def test_pending_for_the_prefecture_in_one_query(users, tree):
    shares = submitted(users, tree)
    access_for(users["city_guiyang"])  # what the request has read already (members.access)
    with CaptureQueriesContext(connection) as q:
        rows = cascade.pending_for(users["city_guiyang"], limit=10)
    assert len(q) == 1
    assert [r["kind"] for r in rows] == ["county_return"] * 3 + ["consolidate"]
    assert rows[0]["unit"] == "城东区" and rows[0]["due_on"] == date(2026, 11, 11) and rows[0]["action"] == "接收或退回"
    assert rows[-1]["url"] == reverse("deadlines:county_returns", args=[tree["parent"].pk])
    assert set(rows[0]) == {"kind", "key", "title", "unit", "due_on", "url", "action"}
    with time_machine.travel(at(2026, 11, 9, 15), tick=False):
        cascade.county_return_decide(obligation=shares[0], accept=False, reason="补充", by=users["city_guiyang"])
    assert [r["kind"] for r in cascade.pending_for(users["city_guiyang"], limit=10)] == ["county_return"] * 2
    assert cascade.pending_for(users["city_zunyi"], limit=10) == []
    assert cascade.pending_for(users["city_chengdong"], limit=10) == []
    assert cascade.pending_for(users["office"], limit=10) == []


@pytest.mark.parametrize("bad", ["a\x00b", "长" * 10_000, "99999999999999999999", ""])
def test_bad_input_on_the_county_page_is_refused_in_words(users, tree, client, bad):
    shares = submitted(users, tree)
    verified_login(client, users["city_guiyang"])
    url = reverse("deadlines:county_returns", args=[tree["parent"].pk])
    with time_machine.travel(at(2026, 11, 10), tick=False):
        for data in (
            {"action": "pass_down", "counties": bad, "due_on": bad, "instructions": bad},
            {"action": "return", "share": bad, "reason": bad},
            {"action": "accept", "share": bad},
            {"action": "return", "share": shares[0].pk, "reason": bad},
            {"action": "consolidate", "text": bad},
            {"action": bad},
        ):
            r = client.post(url, data)
            assert r.status_code in (302, 400, 404, 409), (data["action"][:10], r.status_code)
