"""The annual evaluation against a hand-computed year (conftest.year), its drill-down, adjustment,
confirmation, publication, visibility and exports.

Guizhou's rules (members/mechanisms/guizhou.yaml): on-time rate 40, overdue days 20 (0.5 a day),
returns 10 (2 each), quality 20 (优 100, 良 85, 中 70, 差 40), agreed matters 10 (member units only);
grades 优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60.

By hand, for 2025 (window 1 Jan – 31 Dec 2025, still-owed work overdue up to 1 Jan 2026):

省民政厅 — due: reports o1 o2 o3 + shares i1 i2 i3 = 6 (i4 was re-routed away, o4 falls in 2026);
  on time: o1, i1 = 2 → 40 × 2/6 = 13.333… → 13.33
  overdue days: o2 4 (5→9 Jul) + o3 10 (22 Dec → 1 Jan) + i2 5 (10→15 Sep) + i3 12 (20 Dec → 1 Jan) = 31
    → 20 − 0.5 × 31 = 4.50
  returns: o2's first submission + i1's one return to its primary lead = 2 → 10 − 2 × 2 = 6.00
  quality: 优 + 良 → 20 × (100 + 85) / 200 = 18.50
  agreed matters: i1 done, i3 open → 10 × 1/2 = 5.00
  total 13.33 + 4.50 + 6.00 + 18.50 + 5.00 = 47.33 → 不合格
省公安厅 — 2 due, 2 on time, 0 days, 0 returns, 中 → 40 + 20 + 10 + 14.00 + 10 = 94.00 → 优秀
省住房城乡建设厅 — shares i2 (open, 12 Sep → 1 Jan = 111 days), i3 (open, 7 days), i4 (on time):
  40 × 1/3 = 13.33; 20 − 0.5 × 118 < 0 → 0.00; returns 10.00; no marks 20.00; matters i3 0/1 → 0.00
  total 43.33 → 不合格
the other four member units: nothing due → 100.00 each, rank 1; so 省公安厅 5th, 民政厅 6th, 住建厅 7th.
贵阳市 — o6 (5 days late, returned once, 差) and o7 (on time, not yet accepted):
  40 × 1/2 = 20.00; 20 − 2.5 = 17.50; 10 − 2 = 8.00; 20 × 40/100 = 8.00; matters do not apply:
  53.50 × 100 / 90 = 59.444… → 59.44 → 不合格; the other prefectures 100.00."""

import io
from decimal import Decimal

import pytest

from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry
from deadlines.models import Message
from evaluation import selectors
from evaluation.models import Evaluation, Score, ScoreAdjustment
from evaluation.services import (
    evaluation_compute,
    evaluation_confirm,
    evaluation_publish,
    evaluation_send_back,
    evaluation_submit,
    score_adjust,
)
from members.models import MemberUnit, ReportingUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(year, users, mechanism):
    return evaluation_compute(mechanism=mechanism, year=2025, by=users["office"])


def _score(evaluation, name) -> Score:
    return evaluation.scores.get(name=name)


def test_the_year_scores_as_computed_by_hand(computed, mechanism):
    mzt = _score(computed, "省民政厅")
    assert mzt.figures == {
        "due": 6,
        "ontime": 2,
        "overdue_days": 31,
        "returns": 2,
        "marks": {"excellent": 1, "good": 1},
        "matters_due": 2,
        "matters_done": 1,
    }
    assert mzt.parts == {
        "ontime_rate": "13.33",
        "overdue_days": "4.50",
        "returns": "6.00",
        "quality": "18.50",
        "matters_done": "5.00",
    }
    assert (mzt.computed, mzt.final, mzt.grade, mzt.rank) == (Decimal("47.33"), Decimal("47.33"), "不合格", 6)
    gat = _score(computed, "省公安厅")
    assert (gat.computed, gat.grade, gat.rank) == (Decimal("94.00"), "优秀", 5)
    assert gat.parts["quality"] == "14.00"
    zjt = _score(computed, "省住房城乡建设厅")
    assert zjt.figures["overdue_days"] == 118 and zjt.figures["matters_due"] == 1
    assert (zjt.computed, zjt.grade, zjt.rank) == (Decimal("43.33"), "不合格", 7)
    for name in ("省发展改革委", "省生态环境厅", "省交通运输厅", "省市场监督管理局"):
        s = _score(computed, name)
        assert (s.computed, s.grade, s.rank) == (Decimal("100.00"), "优秀", 1)
    guiyang = _score(computed, "贵阳市")
    assert guiyang.figures == {
        "due": 2,
        "ontime": 1,
        "overdue_days": 5,
        "returns": 1,
        "marks": {"poor": 1},
        "matters_due": 0,
        "matters_done": 0,
    }
    assert guiyang.parts == {"ontime_rate": "20.00", "overdue_days": "17.50", "returns": "8.00", "quality": "8.00"}
    assert (guiyang.computed, guiyang.grade) == (Decimal("59.44"), "不合格")
    prefectures = ReportingUnit.objects.filter(mechanism=mechanism).count()
    assert guiyang.rank == prefectures and _score(computed, "遵义市").computed == Decimal("100.00")
    assert computed.scores.count() == MemberUnit.objects.filter(mechanism=mechanism).count() + prefectures
    assert computed.as_of.isoformat() == "2026-01-01" and computed.status == Evaluation.Status.DRAFT
    assert AuditEntry.objects.filter(action="evaluation.compute", object_id=str(computed.pk)).exists()


def test_the_figures_take_a_constant_number_of_queries(year, users, mechanism, django_assert_max_num_queries):
    from django.utils import timezone

    with django_assert_max_num_queries(3):
        selectors.year_figures(mechanism.pk, 2025, timezone.localdate())


def test_every_figure_drills_down_to_its_rows(computed, users, client_for):
    mzt = _score(computed, "省民政厅")
    # the querysets behind the figures are the ones counted
    ontime = selectors.drill(mzt, "ontime_rate")
    assert ontime["obligations"].count() + ontime["assignments"].count() == 6
    overdue = selectors.drill(mzt, "overdue_days")
    w = overdue["window"]
    days = sorted(
        [selectors.obligation_row(o, w)["days"] for o in overdue["obligations"]]
        + [selectors.assignment_row(a, w)["days"] for a in overdue["assignments"]]
    )
    assert days == [4, 5, 10, 12] and sum(days) == mzt.figures["overdue_days"]
    returns = selectors.drill(mzt, "returns")
    assert returns["submissions"].count() + sum(a.item.review_round for a in returns["assignments"]) == 2
    assert selectors.drill(mzt, "quality")["submissions"].count() == 2
    assert selectors.drill(mzt, "matters_done")["assignments"].count() == 2
    # and the page shows them
    client = client_for(users["office"])
    html = client.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/overdue_days/").content.decode()
    assert "议定事项丙" in html and "临时交办乙" in html and "已改派丁" not in html and "考评测试3期" in html
    html = client.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/").content.decode()
    assert "13.33" in html and "逾期合计 31 天" in html and f"/evaluation/{computed.pk}/units/{mzt.pk}/returns/" in html
    assert client.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/nonsense/").status_code == 404
    guiyang = _score(computed, "贵阳市")
    assert client.get(f"/evaluation/{computed.pk}/units/{guiyang.pk}/matters_done/").status_code == 200


def test_the_office_adjusts_with_a_reason_and_it_is_audited(computed, users, client_for):
    guiyang = _score(computed, "贵阳市")
    with pytest.raises(DomainError):
        score_adjust(score=guiyang, adjustment="1", reason="", by=users["office"])
    with pytest.raises(DomainError):
        score_adjust(score=guiyang, adjustment="25", reason="太多", by=users["office"])
    with pytest.raises(NotAllowed):
        score_adjust(score=guiyang, adjustment="1", reason="理由", by=users["convener"])
    response = client_for(users["office"]).post(
        f"/evaluation/{computed.pk}/units/{guiyang.pk}/", {"adjustment": "1", "reason": "创建工作获省政府督查通报肯定"}
    )
    assert response.status_code == 302
    guiyang.refresh_from_db()
    assert (guiyang.adjustment, guiyang.final, guiyang.grade) == (Decimal("1.00"), Decimal("60.44"), "合格")
    adj = ScoreAdjustment.objects.get(score=guiyang)
    assert (adj.before, adj.after, adj.reason, adj.by) == (
        Decimal("0"),
        Decimal("1"),
        "创建工作获省政府督查通报肯定",
        users["office"],
    )
    entry = AuditEntry.objects.get(action="evaluation.adjust", object_id=str(computed.pk))
    assert entry.reason == "创建工作获省政府督查通报肯定" and entry.changes["final"] == ["59.44", "60.44"]
    # a recompute keeps the adjustment
    evaluation_compute(mechanism=computed.mechanism, year=2025, by=users["office"])
    assert _score(computed, "贵阳市").final == Decimal("60.44")
    # no reason on the page: an error in Chinese, nothing changed
    response = client_for(users["office"]).post(
        f"/evaluation/{computed.pk}/units/{guiyang.pk}/", {"adjustment": "2", "reason": ""}
    )
    assert response.status_code == 400 and "调整理由" in response.content.decode()


def test_only_the_convener_confirms(computed, users, client_for):
    url = f"/evaluation/{computed.pk}/action/"
    assert client_for(users["convener"]).post(url, {"action": "confirm"}).status_code == 302  # not yet submitted
    assert Evaluation.objects.get(pk=computed.pk).status == Evaluation.Status.DRAFT
    evaluation_submit(evaluation=computed, by=users["office"])
    for who in ("office", "deputy"):
        assert client_for(users[who]).post(url, {"action": "confirm"}).status_code == 403, who
    for who in ("liaison_mzt", "city_guiyang", "member_mzt", "outsider"):
        assert client_for(users[who]).post(url, {"action": "confirm"}).status_code == 404, who
        assert client_for(users[who]).get(f"/evaluation/{computed.pk}/").status_code == 404, who
    with pytest.raises(NotAllowed):
        evaluation_confirm(evaluation=computed, by=users["deputy"])
    # the convener may send it back with a reason, then confirm the resubmitted result
    evaluation_send_back(evaluation=computed, reason="请核实贵阳市加分依据", by=users["convener"])
    assert computed.status == Evaluation.Status.DRAFT and computed.note == "请核实贵阳市加分依据"
    evaluation_submit(evaluation=computed, by=users["office"])
    assert client_for(users["convener"]).post(url, {"action": "confirm"}).status_code == 302
    computed.refresh_from_db()
    assert computed.status == Evaluation.Status.CONFIRMED and computed.confirmed_by == users["convener"]
    with pytest.raises(Conflict):  # no adjustment after confirmation
        score_adjust(score=_score(computed, "贵阳市"), adjustment="1", reason="迟到的理由", by=users["office"])
    assert AuditEntry.objects.filter(action="evaluation.confirm", actor=users["convener"]).exists()


def test_publishing_tells_each_unit_once(computed, users):
    evaluation_submit(evaluation=computed, by=users["office"])
    evaluation_confirm(evaluation=computed, by=users["convener"])
    before = Message.objects.count()
    evaluation_publish(evaluation=computed, by=users["office"])
    told = list(
        Message.objects.filter(kind="evaluation_published", channel="inapp", recipient__isnull=False).values_list(
            "recipient__username", flat=True
        )
    )
    assert sorted(told) == sorted(["liaison_mzt", "liaison_zjt", "liaison_gat", "city_guiyang", "city_zunyi"])
    assert Message.objects.count() > before
    with pytest.raises(Conflict):
        evaluation_publish(evaluation=computed, by=users["office"])
    assert Message.objects.filter(kind="evaluation_published", channel="inapp").count() == len(told)
    assert computed.status == Evaluation.Status.PUBLISHED


def test_units_see_only_their_own_published_result(computed, users, client_for):
    mzt, gat, guiyang = (_score(computed, n) for n in ("省民政厅", "省公安厅", "贵阳市"))
    liaison, city = client_for(users["liaison_mzt"]), client_for(users["city_guiyang"])
    assert liaison.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/").status_code == 404  # not published yet
    evaluation_submit(evaluation=computed, by=users["office"])
    evaluation_confirm(evaluation=computed, by=users["convener"])
    evaluation_publish(evaluation=computed, by=users["office"])
    html = liaison.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/").content.decode()
    assert "47.33" in html and "不合格" in html
    assert liaison.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/ontime_rate/").status_code == 200
    assert liaison.get(f"/evaluation/{computed.pk}/units/{gat.pk}/").status_code == 404
    assert liaison.get(f"/evaluation/{computed.pk}/units/{gat.pk}/ontime_rate/").status_code == 404
    assert liaison.get(f"/evaluation/{computed.pk}/").status_code == 404
    assert liaison.get(f"/evaluation/{computed.pk}/export.xlsx").status_code == 404
    assert liaison.get(f"/evaluation/{computed.pk}/mine/").url == f"/evaluation/{computed.pk}/units/{mzt.pk}/"
    listing = liaison.get("/evaluation/").content.decode()
    assert "省民政厅" in listing and "省公安厅" not in listing
    assert city.get(f"/evaluation/{computed.pk}/units/{guiyang.pk}/").status_code == 200
    assert client_for(users["city_zunyi"]).get(f"/evaluation/{computed.pk}/units/{guiyang.pk}/").status_code == 404
    assert client_for(users["outsider"]).get(f"/evaluation/{computed.pk}/mine/").status_code == 404


def test_exports_open_in_excel_and_word(computed, users, client_for):
    from docx import Document
    from openpyxl import load_workbook

    client = client_for(users["office"])
    response = client.get(f"/evaluation/{computed.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "贵州省绿色社区创建行动联席会议2025年度考评结果"
    header = rows[2]
    assert header[:3] == ("排名", "类别", "单位") and "最终得分" in header
    by_name = {r[2]: r for r in rows[3:]}
    assert by_name["省民政厅"][header.index("最终得分")] == 47.33
    assert by_name["贵阳市"][header.index("议定事项落实（10）")] == "不适用"
    response = client.get(f"/evaluation/{computed.pk}/export.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    assert "关于2025年度考评结果的通报" in texts
    assert [t for t in texts if t[:2] in {"一、", "二、", "三、", "四、"}] == [
        "一、考评方式",
        "二、考评结果",
        "三、经验做法和通报表扬",
        "四、下一步工作要求",
    ]
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[0] == ["排名", "单位", "得分", "等次"] and ["6", "省民政厅", "47.33", "不合格"] in cells


def test_pages_for_each_role(computed, users, client_for):
    for who in ("office", "convener", "deputy"):
        client = client_for(users[who])
        html = client.get(f"/evaluation/{computed.pk}/").content.decode()
        assert "省民政厅" in html and "47.33" in html
        html = client.get("/evaluation/").content.decode()
        assert 'href="/evaluation/"' in html and 'href="/evaluation/practices/"' in html and "2025年度" in html
    html = client_for(users["liaison_mzt"]).get("/evaluation/").content.decode()
    assert "暂无已发布的考评结果" in html and ">考评结果</a>" in html


def test_computing_refuses_a_year_out_of_range_and_non_office(year, users, mechanism):
    with pytest.raises(DomainError):
        evaluation_compute(mechanism=mechanism, year=2019, by=users["office"])
    with pytest.raises(DomainError):
        evaluation_compute(mechanism=mechanism, year=2027, by=users["office"])
    with pytest.raises(NotAllowed):
        evaluation_compute(mechanism=mechanism, year=2025, by=users["convener"])


def test_the_wrong_role_gets_403_or_404(computed, users, client_for, year):
    from deadlines.models import Submission
    from evaluation.services import practice_create

    mzt = _score(computed, "省民政厅")
    practice = practice_create(by=users["office"], title="楼道微改造", text="居民共商共建。")
    submission = Submission.objects.filter(decision=Submission.ACCEPTED).first()
    convener = client_for(users["convener"])
    # overseers who are not the office: may read, may not act (403)
    assert convener.get(f"/evaluation/{computed.pk}/units/{mzt.pk}/").status_code == 200
    assert (
        convener.post(
            f"/evaluation/{computed.pk}/units/{mzt.pk}/", {"adjustment": "1", "reason": "召集人不能调整"}
        ).status_code
        == 403
    )
    assert convener.post("/evaluation/", {"year": "2025"}).status_code == 403
    assert convener.post("/evaluation/practices/", {"title": "x", "text": "y"}).status_code == 403
    assert convener.post(f"/evaluation/practices/{practice.pk}/", {"action": "praise"}).status_code == 403
    assert convener.post(f"/evaluation/practices/from-submission/{submission.pk}/").status_code == 404
    assert convener.post(f"/evaluation/{computed.pk}/action/", {"action": "recompute"}).status_code == 403
    assert convener.post(f"/evaluation/{computed.pk}/action/", {"action": "nonsense"}).status_code == 404
    # units and outsiders: nothing of the office's exists (404)
    for who in ("liaison_mzt", "member_mzt", "city_guiyang", "outsider"):
        client = client_for(users[who])
        for url in (
            f"/evaluation/{computed.pk}/",
            f"/evaluation/{computed.pk}/export.docx",
            "/evaluation/practices/",
            f"/evaluation/practices/{practice.pk}/",
            f"/evaluation/{computed.pk}/units/{mzt.pk}/returns/",
        ):
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(f"/evaluation/{computed.pk}/action/", {"action": "publish"}).status_code == 404, who
    assert client_for(users["outsider"]).get("/evaluation/").status_code == 200  # an empty list of results
