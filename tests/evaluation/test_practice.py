"""Report quality marks given on acceptance, good practice (经验做法) collected from a report or
written directly, praise (通报表扬), and the 情况通报 / annual document that draw from them; the
mechanism file's evaluation section is checked."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.errors import DomainError
from core.models import AuditEntry
from deadlines.models import Obligation, Submission
from deadlines.services.obligations import obligation_decide, obligation_submit, obligations_generate
from evaluation.models import GoodPractice
from evaluation.rules import rules_parse
from members.mechanism_config import ConfigError, mechanism_path, mechanism_spec_read

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=CST)


@pytest.fixture
def submitted(users, mechanism):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    o = Obligation.objects.get(member_unit__code="mzt", period="2024Q3")
    with time_machine.travel(at(2024, 10, 8), tick=False):
        obligation_submit(
            obligation=o, text="推行“垃圾分类积分兑换”，三个月内居民参与率由 40% 提高到 85%。", by=users["liaison_mzt"]
        )
    return o


def test_the_office_marks_quality_when_accepting(submitted, users, client_for):
    with time_machine.travel(at(2024, 10, 9), tick=False):
        page = client_for(users["office"]).get(f"/deadlines/obligations/{submitted.pk}/").content.decode()
        assert "质量评定" in page and ">优</option>" in page
        response = client_for(users["office"]).post(
            f"/deadlines/obligations/{submitted.pk}/", {"action": "accept", "quality": "excellent", "reason": ""}
        )
    assert response.status_code == 302
    s = Submission.objects.get(obligation=submitted)
    assert (s.decision, s.quality, s.get_quality_display()) == ("accepted", "excellent", "优")
    assert AuditEntry.objects.get(action="obligation.accept").changes["quality"] == "excellent"
    assert (
        "质量评定：<strong>优</strong>"
        in client_for(users["liaison_mzt"]).get(f"/deadlines/obligations/{submitted.pk}/").content.decode()
    )


def test_a_mark_is_for_acceptance_only_and_optional(submitted, users):
    with pytest.raises(DomainError):
        obligation_decide(obligation=submitted, accept=False, reason="缺少第二部分", quality="poor", by=users["office"])
    with pytest.raises(DomainError):
        obligation_decide(obligation=submitted, accept=True, quality="满分", by=users["office"])
    obligation_decide(obligation=submitted, accept=True, by=users["office"])
    assert Submission.objects.get(obligation=submitted).quality == ""


def test_collect_from_a_report_praise_and_it_appears_in_the_notice(submitted, users, client_for):
    office, liaison = client_for(users["office"]), client_for(users["liaison_mzt"])
    with time_machine.travel(at(2024, 10, 9), tick=False):
        obligation_decide(obligation=submitted, accept=True, quality="good", by=users["office"])
        submission = Submission.objects.get(obligation=submitted)
        url = f"/evaluation/practices/from-submission/{submission.pk}/"
        assert "收入经验做法" in office.get(f"/deadlines/obligations/{submitted.pk}/").content.decode()
        assert "收入经验做法" not in liaison.get(f"/deadlines/obligations/{submitted.pk}/").content.decode()
        assert liaison.post(url).status_code == 404
        response = office.post(url)
        practice = GoodPractice.objects.get()
        assert response.url == f"/evaluation/practices/{practice.pk}/"
        assert practice.submission == submission and practice.member_unit.code == "mzt"
        assert "垃圾分类积分兑换" in practice.text and practice.source_url == f"/deadlines/obligations/{submitted.pk}/"
        office.post(url)
        assert GoodPractice.objects.count() == 1  # collected once
        # the office shortens the title and marks it for praise
        office.post(
            f"/evaluation/practices/{practice.pk}/",
            {
                "action": "edit",
                "title": "垃圾分类积分兑换",
                "text": practice.text,
                "member_unit": practice.member_unit_id,
                "reporting_unit": "",
                "source_url": practice.source_url,
            },
        )
        assert office.post(f"/evaluation/practices/{practice.pk}/", {"action": "praise"}).status_code == 302
        assert liaison.post(f"/evaluation/practices/{practice.pk}/", {"action": "praise"}).status_code == 404
        practice.refresh_from_db()
        assert practice.title == "垃圾分类积分兑换" and practice.praised and practice.praised_by == users["office"]
        assert AuditEntry.objects.filter(action="good_practice.praise", object_id=str(practice.pk)).exists()
        # a practice written directly, not praised
        office.post(
            "/evaluation/practices/",
            {
                "title": "社区议事会协商停车难题",
                "reporting_unit": "",
                "member_unit": "",
                "text": "每月一次议事会，解决停车位划分。",
                "source_url": "https://example.gov.cn/news/1",
            },
        )
        assert GoodPractice.objects.count() == 2
        html = client_for(users["convener"]).get("/dashboard/notice/", {"quarter": "2024Q4"}).content.decode()
        docx = client_for(users["convener"]).get("/dashboard/notice.docx", {"quarter": "2024Q4"})
        listing = client_for(users["convener"]).get("/evaluation/practices/?praised=1").content.decode()
    assert "三、经验做法和通报表扬" in html
    assert "对以下经验做法予以通报表扬：省民政厅“垃圾分类积分兑换”" in html and "社区议事会协商停车难题" in html
    from docx import Document

    texts = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    assert "对以下经验做法予以通报表扬：省民政厅“垃圾分类积分兑换”。" in texts
    assert "省民政厅：垃圾分类积分兑换" in texts and "社区议事会协商停车难题" in texts
    assert "垃圾分类积分兑换" in listing and "社区议事会协商停车难题" not in listing


def test_a_bad_practice_form_keeps_what_was_typed(users, client_for):
    response = client_for(users["office"]).post(
        "/evaluation/practices/",
        {
            "title": "楼道微改造",
            "member_unit": "",
            "reporting_unit": "",
            "text": "居民共商共建。",
            "source_url": "javascript:alert(1)",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "来源链接应以" in html and "居民共商共建。" in html
    assert not GoodPractice.objects.exists()
    assert client_for(users["liaison_mzt"]).get("/evaluation/practices/").status_code == 404


def test_the_annual_document_draws_from_the_praised_practice(users, mechanism, client_for):
    from docx import Document

    from evaluation.services import evaluation_compute, practice_create, practice_praise

    with time_machine.travel(at(2025, 6, 1), tick=False):
        p = practice_create(
            by=users["office"],
            title="老旧小区加装电梯“一梯一议”",
            text="居民协商分摊费用。",
            reporting_unit=mechanism.reporting_units.get(code="guiyang"),
        )
        practice_praise(practice=p, praised=True, by=users["office"])
        e = evaluation_compute(mechanism=mechanism, year=2025, by=users["office"])
        response = client_for(users["office"]).get(f"/evaluation/{e.pk}/export.docx")
    texts = [x.text for x in Document(io.BytesIO(response.content)).paragraphs]
    assert "对以下单位的经验做法予以通报表扬：贵阳市“老旧小区加装电梯“一梯一议””。" in texts
    assert "贵阳市：老旧小区加装电梯“一梯一议”" in texts


def test_both_mechanism_files_carry_checked_rules():
    for code, subjects in (("guizhou", ["member_units", "reporting_units"]), ("zhejiang", ["reporting_units"])):
        spec = mechanism_spec_read(mechanism_path(code))
        rules = rules_parse(spec.extra["evaluation"], filename=f"{code}.yaml")
        assert rules["subjects"] == subjects and rules["full_marks"] == "100"
        assert sum(float(i["weight"]) for i in rules["indicators"].values()) == 100


@pytest.mark.parametrize(
    "change, field",
    [
        ({"indicators": {"ontime_rate": {"weight": 40}}}, "evaluation.indicators"),  # weights ≠ full marks
        ({"indicators": {"speed": {"weight": 100}}}, "evaluation.indicators"),  # unknown indicator
        ({"indicators": {"quality": {"weight": 100, "marks": {"优": 100}}}}, "evaluation.indicators.quality.marks"),
        ({"indicators": {"returns": {"weight": 100}}}, "evaluation.indicators.returns.per_return"),
        ({"grades": [{"min": 60, "label": "合格"}]}, "evaluation.grades"),  # no floor at 0
        ({"subjects": ["counties"]}, "evaluation.subjects"),
    ],
)
def test_a_bad_evaluation_section_is_refused_naming_the_field(change, field):
    spec = mechanism_spec_read(mechanism_path("guizhou"))
    section = {**spec.extra["evaluation"], **change}
    with pytest.raises(ConfigError) as caught:
        rules_parse(section, filename="guizhou.yaml")
    assert caught.value.field == field and "guizhou.yaml" in caught.value.message
