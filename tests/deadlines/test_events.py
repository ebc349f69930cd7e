"""The event catalogue (deadlines/events.py): each event, emitted by the real service, reaches exactly
the people its rule names, on the channels its urgency gives them — and nobody else."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine

from communities.services import (
    assessment_confirm,
    assessment_review,
    assessment_save,
    assessment_start,
    assessment_submit,
    community_create,
    community_join,
)
from dashboard.services import overdue_press_all
from deadlines import cascade
from deadlines.events import EVENTS, REMINDER_KINDS, URGENCY_LABELS, WHO, kind_label
from deadlines.models import Message, Obligation
from deadlines.services.calendar import calendar_year_save
from deadlines.services.obligations import obligation_decide, obligation_submit, obligations_generate
from evaluation.services import evaluation_compute, evaluation_confirm, evaluation_publish, evaluation_submit
from meetings.services.escalations import escalation_raise
from meetings.services.meetings import (
    meeting_attendance_record,
    meeting_decide,
    meeting_propose,
    meeting_schedule,
    regular_meetings_generate,
)
from meetings.services.membership import change_check, change_confirm, change_propose_replace
from meetings.services.minutes import minutes_issue, minutes_review, minutes_save, minutes_submit
from meetings.services.notices import notice_send
from members.models import MemberUnit, ReportingUnit, Role, RoleAssignment
from tasks import services as fs, services as ts
from tasks.models import Assignment
from tests.county_world import county_world

CST = dt.timezone(dt.timedelta(hours=8))
ROOT = Path(__file__).resolve().parents[2]
PERSON_USERS = [
    "convener",
    "deputy",
    "office",
    "member_mzt",
    "liaison_mzt",
    "liaison_zjt",
    "liaison_gat",
    "outsider",
    "admin",
]
# Channels by urgency for a person with an e-mail and a mobile; city accounts have no mobile (no SMS).
FULL = {"urgent": {"inapp", "sms", "email"}, "normal": {"inapp", "email"}, "info": {"inapp"}}


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=CST)


def unit(code):
    return MemberUnit.objects.get(code=code)


@pytest.fixture
def world(users):
    """Every account reachable on every channel it can hold."""
    for name, user in users.items():
        user.email = f"{name}@example.gov.cn"
        user.save()
        if user.person_id:
            user.person.mobile = f"1390000{abs(hash(name)) % 10000:04d}"
            user.person.save()
    return users


def dispatch(users, lead=("zjt",), participating=("mzt", "gat"), due=dt.date(2026, 3, 20)):
    return fs.item_dispatch(
        by=users["office"],
        title="推进老旧小区绿色化改造",
        content="请按分工办理。",
        source="ad_hoc",
        lead_units=[unit(c) for c in lead],
        participating_units=[unit(c) for c in participating],
        due_date=due,
    )


def work(users, item, code, who):
    a = Assignment.objects.get(item=item, unit__code=code)
    a = ts.assignment_claim(assignment=a, by=users[who])
    return fs.assignment_submit(assignment=a, result="已办理。", version=a.version, by=users[who])


def consolidated(users):
    item = dispatch(users, participating=("mzt",))
    work(users, item, "mzt", "liaison_mzt")
    work(users, item, "zjt", "liaison_zjt")
    item.refresh_from_db()
    return item


def meeting(users, approve=True):
    m = meeting_propose(
        title="第一次联席会议", topics="部署改造", reasons="年度部署", unit=unit("mzt"), by=users["liaison_mzt"]
    )
    if approve:
        meeting_decide(meeting=m, approve=True, by=users["convener"])
    return m


def schedule(users, m):
    return meeting_schedule(
        meeting=m,
        starts_at=at(2026, 3, 10, 9),
        place="3楼会议室",
        chair="陈维明",
        units=[unit("mzt"), unit("zjt")],
        by=users["office"],
        guests=[{"kind": "expert", "name": "李教授", "organisation": "贵州大学", "email": "li@example.org"}],
    )


def minutes_draft(users):
    m = schedule(users, meeting(users))
    minutes = meeting_attendance_record(meeting=m, attended_units=[unit("mzt"), unit("zjt")], by=users["office"])
    minutes_save(
        minutes=minutes,
        title="第一次联席会议纪要",
        summary="",
        by=users["office"],
        matters=[
            {
                "content": "申请省级支持",
                "done_criteria": "书面反馈",
                "due_date": dt.date(2026, 4, 30),
                "lead_units": [unit("gat")],
                "participating_units": [],
            }
        ],
    )
    return minutes


def minutes_agreed(users):
    minutes = minutes_draft(users)
    minutes_submit(minutes=minutes, by=users["office"])
    minutes_review(minutes=minutes, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    minutes_review(minutes=minutes, unit=unit("zjt"), agree=True, by=users["liaison_zjt"])
    minutes.refresh_from_db()
    return minutes


def obligation(users, code, submit_as):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    o = (
        Obligation.objects.get(member_unit__code=code, period="2024Q3")
        if code == "mzt"
        else Obligation.objects.get(reporting_unit__code=code, period="2024-1115")
    )
    with time_machine.travel(at(2024, 10, 8), tick=False):
        obligation_submit(obligation=o, text="情况如下。", by=users[submit_as])
    return o


def assessment_reviewed(users):
    city = users["city_guiyang"]
    with time_machine.travel(at(2026, 3, 2), tick=False):
        c = community_create(reporting_unit=ReportingUnit.objects.get(code="guiyang"), name="中华南路社区", by=city)
        c = community_join(community=c, by=city)
        a = assessment_start(community=c, by=city)
        a = assessment_save(assessment=a, facts={f"item_{n}": True for n in range(1, 17)}, by=city)
        a = assessment_submit(assessment=a, by=city)
        # 市州审核 by someone other than who filled it in (separation of duties): the office may.
        return assessment_review(assessment=a, approve=True, by=users["office"])


def change_checked(users):
    change = change_propose_replace(
        assignment=RoleAssignment.objects.get(person__name="方海", role=Role.MEMBER),
        new_person_name="新成员",
        effective_date=dt.date(2026, 5, 1),
        reason="调任",
        by=users["liaison_mzt"],
    )
    return change_check(change=change, passed=True, by=users["office"])


def evaluation_confirmed(users):
    from members.models import Mechanism

    e = evaluation_compute(mechanism=Mechanism.objects.get(code="guizhou"), year=2025, by=users["office"])
    evaluation_submit(evaluation=e, by=users["office"])
    return evaluation_confirm(evaluation=e, by=users["convener"])


def _division_liaison():
    from members.models import Person
    from members.services import account_create

    person = Person.objects.get(name="刘光伦")  # 住建厅住房保障处's liaison: a division of a unit that has several
    person.mobile = "13900001234"
    person.save()
    return account_create(
        username="div_liaison", password="x-pass-2026", person=person, email="div_liaison@example.gov.cn"
    )


def part_assigned(users):
    from tasks import divisions as ds

    liaison = _division_liaison()
    share = Assignment.objects.get(item=dispatch(users, participating=()), unit__code="zjt")
    [part] = ds.share_assign_divisions(assignment=share, divisions=[liaison.person.division], by=users["liaison_zjt"])
    return part, liaison


def part_in(users):
    from tasks import divisions as ds

    part, liaison = part_assigned(users)
    return ds.division_part_submit(part=part, result="处室办理情况", version=None, by=liaison)


def review_ready(users):
    from members.services import unit_division_settings_set

    unit_division_settings_set(unit=unit("mzt"), coordinating_division=None, head_review=True, by=users["office"])
    return ts.assignment_claim(
        assignment=Assignment.objects.get(item=dispatch(users), unit__code="mzt"), by=users["liaison_mzt"]
    )


def review_ask(users, share):
    from tasks import divisions as ds

    return ds.feedback_review_request(assignment=share, result="配合意见", version=None, by=users["liaison_mzt"])


def review_asked(users):
    return review_ask(users, review_ready(users))


def _divisions():
    from tasks import divisions as ds

    return ds


OFFICE = ["office", "deputy"]  # 张春晖 is deputy convener and 办公室主任 (the seed's roster)
# event → (setup(users) → state, trigger(users, state), {user: urgency override or None}, other events allowed,
#          a text the notice must carry)
SCENARIOS = {
    "dispatched": (lambda u: None, lambda u, s: dispatch(u), ["liaison_zjt", "liaison_mzt", "liaison_gat"], (), "交办"),
    "claimed_late": (lambda u: dispatch(u), lambda u, s: _late_claim(u, s), OFFICE, (), "签收"),
    "feedback": (
        lambda u: dispatch(u, participating=("mzt",)),
        lambda u, s: work(u, s, "mzt", "liaison_mzt"),
        ["liaison_zjt"],
        (),
        "省民政厅",
    ),
    "consolidated": (
        lambda u: dispatch(u, participating=()),
        lambda u, s: work(u, s, "zjt", "liaison_zjt"),
        OFFICE,
        (),
        "汇总报送",
    ),
    "revision": (
        consolidated,
        lambda u, s: fs.item_return_for_revision(item=s, reason="缺少资金测算", version=s.version, by=u["office"]),
        ["liaison_zjt"],
        (),
        "缺少资金测算",
    ),
    "done": (
        consolidated,
        lambda u, s: fs.item_accept(item=s, version=s.version, by=u["office"]),
        ["liaison_zjt", "liaison_mzt"],
        (),
        "已办结",
    ),
    "ext_requested": (
        lambda u: dispatch(u),
        lambda u, s: ts.extension_request(
            assignment=Assignment.objects.get(item=s, unit__code="zjt"),
            reason="需征求意见",
            new_due_date=dt.date(2026, 4, 3),
            by=u["liaison_zjt"],
        ),
        ["convener", "deputy"],
        (),
        "需征求意见",
    ),
    "ext_decided": (
        lambda u: ts.extension_request(
            assignment=Assignment.objects.get(item=dispatch(u), unit__code="zjt"),
            reason="需征求意见",
            new_due_date=dt.date(2026, 4, 3),
            by=u["liaison_zjt"],
        ),
        lambda u, s: ts.extension_decide(request=s, approve=False, note="时限不宜推迟", by=u["convener"]),
        ["liaison_zjt"],
        (),
        "时限不宜推迟",
    ),
    "return_requested": (
        lambda u: dispatch(u),
        lambda u, s: ts.return_request(
            assignment=Assignment.objects.get(item=s, unit__code="gat"), reason="不属本单位职责", by=u["liaison_gat"]
        ),
        ["convener", "deputy"],
        (),
        "不属本单位职责",
    ),
    "return_decided": (
        lambda u: ts.return_request(
            assignment=Assignment.objects.get(item=dispatch(u), unit__code="gat"),
            reason="不属本单位职责",
            by=u["liaison_gat"],
        ),
        lambda u, s: fs.return_decide(request=s, approve=False, note="属于职责范围", by=u["deputy"]),
        ["liaison_gat"],
        (),
        "属于职责范围",
    ),
    "rerouted": (
        lambda u: ts.return_request(
            assignment=Assignment.objects.get(item=dispatch(u, participating=("gat",)), unit__code="gat"),
            reason="不属本单位职责",
            by=u["liaison_gat"],
        ),
        lambda u, s: fs.return_decide(
            request=s, approve=True, units=[unit("mzt")], note="改由民政厅", by=u["convener"]
        ),
        ["liaison_mzt"],
        ("return_decided",),
        "改派",
    ),
    "returned": (
        lambda u: obligation(u, "mzt", "liaison_mzt"),
        lambda u, s: obligation_decide(obligation=s, accept=False, reason="缺少第二部分", by=u["office"]),
        ["liaison_mzt"],
        (),
        "缺少第二部分",
    ),
    "accepted": (
        lambda u: obligation(u, "guiyang", "city_guiyang"),
        lambda u, s: obligation_decide(obligation=s, accept=True, by=u["office"]),
        ["city_guiyang"],
        (),
        "接收",
    ),
    # The office enters 2026's calendar with 7 April as a holiday: the Q1 reports due that day move.
    "date_moved": (
        lambda u: obligations_generate(),
        lambda u, s: calendar_year_save(
            year=2026,
            holidays="2026-04-04 清明节\n2026-04-05 清明节\n2026-04-06 清明节\n2026-04-07 测试",
            workdays="",
            by=u["office"],
        ),
        ["liaison_mzt", "liaison_zjt", "liaison_gat"],
        (),
        "截止日期",
    ),
    "press": (
        lambda u: dispatch(u, participating=(), due=dt.date(2026, 3, 4)),
        lambda u, s: _press_all(u),
        ["liaison_zjt"],
        (),
        "逾期",
    ),
    "proposed": (lambda u: None, lambda u, s: meeting(u, approve=False), ["convener", "deputy"], (), "年度部署"),
    "invitation": (lambda u: meeting(u), lambda u, s: schedule(u, s), ["liaison_mzt", "liaison_zjt"], (), "3楼会议室"),
    "consult": (
        minutes_draft,
        lambda u, s: minutes_submit(minutes=s, by=u["office"]),
        ["liaison_mzt", "liaison_zjt"],
        (),
        "征求意见稿",
    ),
    "issued": (
        minutes_agreed,
        lambda u, s: minutes_issue(minutes=s, doc_number="黔绿社联〔2026〕1号", by=u["office"]),
        ["liaison_mzt", "liaison_zjt", "liaison_gat"],
        ("dispatched",),
        "已印发",
    ),
    "notice": (
        lambda u: None,
        lambda u, s: notice_send(by=u["office"]),
        ["liaison_mzt", "liaison_zjt", "liaison_gat"],
        (),
        "落实情况",
    ),
    "membership_decided": (
        change_checked,
        lambda u, s: change_confirm(change=s, confirm=False, note="暂缓调整", by=u["convener"]),
        ["liaison_mzt"],
        (),
        "暂缓调整",
    ),
    "assess_returned": (
        assessment_reviewed,
        lambda u, s: assessment_confirm(assessment=s, approve=False, reason="佐证材料不足", by=u["office"]),
        ["city_guiyang"],
        (),
        "佐证材料不足",
    ),
    "evaluation_published": (
        evaluation_confirmed,
        lambda u, s: evaluation_publish(evaluation=s, by=u["office"]),
        ["liaison_mzt", "liaison_zjt", "liaison_gat", "city_guiyang", "city_zunyi"],
        (),
        "2025年度考评结果",
    ),
    # 二次交办 and 成员审核 (tasks.divisions, docs/divisions.md)
    "part_assigned": (
        lambda u: (_division_liaison(), Assignment.objects.get(item=dispatch(u, participating=()), unit__code="zjt")),
        lambda u, s: _divisions().share_assign_divisions(
            assignment=s[1], divisions=[s[0].person.division], note="摸底部分", by=u["liaison_zjt"]
        ),
        ["div_liaison"],
        (),
        "摸底部分",
    ),
    "part_submitted": (
        part_assigned,
        lambda u, s: _divisions().division_part_submit(part=s[0], result="已完成", version=None, by=s[1]),
        ["liaison_zjt"],
        (),
        "住房保障处",
    ),
    "part_returned": (
        part_in,
        lambda u, s: _divisions().division_part_return(part=s, reason="口径不一致", by=u["liaison_zjt"]),
        ["div_liaison"],
        (),
        "口径不一致",
    ),
    "review_requested": (review_ready, review_ask, ["member_mzt"], (), "省民政厅"),
    "review_decided": (
        review_asked,
        lambda u, s: _divisions().feedback_review(review=s, approve=False, reason="请补充数据", by=u["member_mzt"]),
        ["liaison_mzt"],
        (),
        "请补充数据",
    ),
    "assess_confirmed": (
        assessment_reviewed,
        lambda u, s: assessment_confirm(assessment=s, approve=True, by=u["office"]),
        ["city_guiyang"],
        (),
        "达标",
    ),
    # counties under 贵阳市 (tests/county_world.py): passed down, submitted, returned, accepted
    "passed_down": (
        lambda u: _county_parent(u),
        lambda u, s: _pass_down(u, s),
        ["city_chengdong", "city_chengxi", "city_shannan"],
        (),
        "2026年3月11日",
    ),
    "county_submitted": (
        lambda u: _pass_down(u, _county_parent(u))[0],
        lambda u, s: obligation_submit(obligation=s, text="城东区情况。", by=u["city_chengdong"]),
        ["city_guiyang"],
        (),
        "城东区已报送",
    ),
    "county_returned": (
        lambda u: _county_submitted(u),
        lambda u, s: cascade.county_return_decide(
            obligation=s, accept=False, reason="缺少社区名单", by=u["city_guiyang"]
        ),
        ["city_chengdong"],
        (),
        "缺少社区名单",
    ),
    "county_accepted": (
        lambda u: _county_submitted(u),
        lambda u, s: cascade.county_return_decide(obligation=s, accept=True, by=u["city_guiyang"]),
        ["city_chengdong"],
        (),
        "贵阳市接收",
    ),
}


def _county_parent(users):
    county_world(users)
    obligations_generate(today=dt.date(2026, 3, 2))
    parent = Obligation.objects.filter(reporting_unit__code="guiyang").order_by("due_on").first()
    # The generated year's first 阶段性总结 is due in May: bring it near for the scenario.
    Obligation.objects.filter(pk=parent.pk).update(due_on=dt.date(2026, 3, 16), opens_on=dt.date(2026, 3, 2))
    parent.refresh_from_db()
    return parent


def _pass_down(users, parent):
    return cascade.obligation_pass_down(
        obligation=parent,
        counties=parent.reporting_unit.counties.order_by("order"),
        due_on=dt.date(2026, 3, 11),
        by=users["city_guiyang"],
    )


def _county_submitted(users):
    share = _pass_down(users, _county_parent(users))[0]
    obligation_submit(obligation=share, text="城东区情况。", by=users["city_chengdong"])
    return share


def _inspection(u):
    from inspections.services import inspection_plan

    return inspection_plan(
        title="贵阳市督导检查",
        starts_on=dt.date(2026, 3, 3),
        ends_on=dt.date(2026, 3, 4),
        team=[u["liaison_gat"], u["member_mzt"]],
        leader=u["liaison_gat"],
        reporting_unit=ReportingUnit.objects.get(code="guiyang"),
        by=u["office"],
    )


def _finding(u):
    from inspections.services import finding_record

    return finding_record(inspection=_inspection(u), description="投放点无分类标识", by=u["liaison_gat"])


def _rectifying(u):
    from inspections.services import finding_issue

    f = finding_issue(finding=_finding(u), lead_unit=unit("zjt"), due_date=dt.date(2026, 3, 31), by=u["office"])
    a = Assignment.objects.get(item=f.item, unit__code="zjt")
    ts.assignment_claim(assignment=a, by=u["liaison_zjt"])
    a.refresh_from_db()
    fs.assignment_submit(assignment=a, result="已整改", version=a.version, by=u["liaison_zjt"])
    f.item.refresh_from_db()
    return f.item


def _issue(u, f):
    from inspections.services import finding_issue

    return finding_issue(finding=f, lead_unit=unit("zjt"), due_date=dt.date(2026, 3, 31), by=u["office"])


def _regular(u):
    with time_machine.travel(at(2026, 5, 25), tick=False):
        return regular_meetings_generate()


SCENARIOS.update(
    {
        "agenda_call": (
            lambda u: None,
            lambda u, s: _regular(u),
            ["liaison_mzt", "liaison_zjt", "liaison_gat"],
            (),
            "议题",
        ),
        "escalation_raised": (
            lambda u: None,
            lambda u, s: escalation_raise(
                title="资金缺口", description="需省级统筹", unit=unit("gat"), by=u["liaison_gat"]
            ),
            ["office", "deputy"],
            (),
            "资金缺口",
        ),
        "inspection_planned": (
            lambda u: None,
            lambda u, s: _inspection(u),
            ["liaison_gat", "member_mzt"],
            (),
            "贵阳市",
        ),
        "rectification_issued": (_finding, _issue, ["city_guiyang"], ("dispatched",), "投放点无分类标识"),
        "finding_closed": (
            _rectifying,
            lambda u, s: fs.item_accept(item=s, version=s.version, by=u["office"]),
            ["liaison_gat"],
            ("done",),
            "已销号",
        ),
    }
)


def _late_claim(users, item):
    with time_machine.travel(at(2026, 3, 23), tick=False):
        return ts.assignment_claim(
            assignment=Assignment.objects.get(item=item, unit__code="mzt"), by=users["liaison_mzt"]
        )


def _press_all(users):
    with time_machine.travel(at(2026, 3, 9), tick=False):
        return overdue_press_all(by=users["office"])


def test_every_event_has_a_label_a_rule_and_a_scenario():
    assert set(SCENARIOS) == set(EVENTS)
    for code, e in EVENTS.items():
        assert e.label and re.search(r"[\u4e00-\u9fff]", e.label), code
        assert e.urgency in URGENCY_LABELS and e.who and set(e.who) <= set(WHO), code
        assert kind_label(code) == kind_label(f"{code}:3") == e.label
    assert set(REMINDER_KINDS) | set(EVENTS) >= {"before", "due", "overdue", "escalation", "digest", "press"}


def test_every_event_is_emitted_by_some_service():
    sources = "".join(
        p.read_text()
        for app in (
            "tasks",
            "deadlines",
            "meetings",
            "communities",
            "dashboard",
            "workflow",
            "evaluation",
            "inspections",
        )
        for p in (ROOT / app).rglob("*.py")
    )
    emitted = set(re.findall(r'event="(\w+)"', sources))
    emitted |= {c for pair in re.findall(r'event="(\w+)" if \w+ else "(\w+)"', sources) for c in pair}
    assert set(EVENTS) <= emitted, set(EVENTS) - emitted


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_each_event_tells_exactly_its_people_on_their_channels(code, world):
    setup, trigger, expected, also, text = SCENARIOS[code]
    e = EVENTS[code]
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):
        state = setup(world)
        before = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
        trigger(world, state)
    rows = list(Message.objects.filter(id__gt=before).select_related("recipient"))
    mine = [m for m in rows if m.kind.split(":")[0] == code]
    got: dict = {}
    for m in mine:
        got.setdefault(m.recipient.username if m.recipient else m.address, set()).add(m.channel)
    want = {name: FULL[e.urgency] - ({"sms"} if name.startswith("city_") else set()) for name in expected}
    if code == "invitation":
        want["li@example.org"] = {"email"}  # the invited expert, through the outbox too
    assert got == want
    # nobody outside the rule hears of it through any other event either
    others = {m.recipient.username for m in rows if m.recipient and m.kind.split(":")[0] not in (code, *also)}
    assert not others, others
    assert all(text in m.title + m.body for m in mine if m.recipient), [m.body for m in mine]
    assert all(m.url.startswith("/") for m in mine if m.recipient) and all("\n" not in m.title for m in mine)
    assert all(kind_label(m.kind) == e.label for m in mine)


def test_the_docs_render_the_catalogue():
    from deadlines.events import catalogue_markdown

    doc = (ROOT / "docs" / "notifications.md").read_text()
    assert catalogue_markdown() in doc
