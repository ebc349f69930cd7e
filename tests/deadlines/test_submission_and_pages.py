"""The submission flow (liaison / prefecture user → office) and every page, with the wrong role
getting 404 for each."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry
from deadlines.flows import SubmissionFlow
from deadlines.models import Message, Obligation, Submission, SubmissionProcess
from deadlines.services.obligations import obligation_decide, obligation_submit, obligations_generate

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def obligations(users):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    return {
        "mzt": Obligation.objects.get(member_unit__code="mzt", period="2024Q3"),
        "zjt": Obligation.objects.get(member_unit__code="zjt", period="2024Q3"),
        "guiyang": Obligation.objects.get(reporting_unit__code="guiyang", period="2024-1115"),
        "zunyi": Obligation.objects.get(reporting_unit__code="zunyi", period="2024-1115"),
    }


def test_submit_return_resubmit_accept_late(users, obligations, client_for):
    o = obligations["mzt"]
    liaison, office = users["liaison_mzt"], users["office"]
    with time_machine.travel(at(2024, 10, 8), tick=False):
        page = client_for(liaison).post(
            f"/deadlines/obligations/{o.pk}/",
            {
                "action": "submit",
                "text": "第三季度工作情况：……",
                "files": [SimpleUploadedFile("季度报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")],
            },
        )
        assert page.status_code == 302
    o.refresh_from_db()
    assert o.status == "submitted" and not o.is_late
    assert (
        SubmissionProcess.objects.get(obligation=o)
        .task_set.filter(flow_task=SubmissionFlow.receive, status="NEW")
        .exists()
    )
    # the liaison cannot receive their own report; the office returns it with a reason
    with pytest.raises(NotAllowed):
        obligation_decide(obligation=o, accept=True, by=liaison)
    with pytest.raises(DomainError, match="理由"):
        obligation_decide(obligation=o, accept=False, reason=" ", by=office)
    with time_machine.travel(at(2024, 10, 9), tick=False):
        client_for(office).post(f"/deadlines/obligations/{o.pk}/", {"action": "return", "reason": "缺少第二部分"})
    o.refresh_from_db()
    assert o.status == "returned"
    notice = Message.objects.get(recipient=liaison, channel="inapp", kind="returned")
    assert "缺少第二部分" in notice.body
    # resubmitted after the due day: accepted, and recorded as late
    with time_machine.travel(at(2024, 10, 10), tick=False):
        obligation_submit(obligation=o, text="补充了第二部分。", by=liaison)
        obligation_decide(obligation=o, accept=True, by=office)
    o.refresh_from_db()
    assert o.status == "accepted" and o.is_late
    assert [s.decision for s in o.submissions.all()] == ["returned", "accepted"]
    assert [s.is_late for s in o.submissions.all()] == [False, True]
    process = SubmissionProcess.objects.get(obligation=o)
    assert process.status == "DONE" and process.accepted and process.data["submissions"] == 2
    assert list(
        AuditEntry.objects.filter(object_id=str(o.pk), action__startswith="obligation.")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["obligation.submit", "obligation.return", "obligation.submit", "obligation.accept"]
    with pytest.raises(Conflict):
        obligation_submit(obligation=o, text="再交一次", by=liaison)
    # the attachment is downloadable by the unit and the office, not by another unit
    a = Submission.objects.filter(obligation=o).first().attachments.get()
    url = f"/deadlines/obligations/{o.pk}/attachments/{a.pk}/"
    assert client_for(liaison).get(url).status_code == 200
    assert client_for(office).get(url).status_code == 200
    assert client_for(users["liaison_gat"]).get(url).status_code == 404


def test_bad_input_is_refused_whole(users, obligations, client_for):
    o = obligations["mzt"]
    c = client_for(users["liaison_mzt"])
    r = c.post(
        f"/deadlines/obligations/{o.pk}/",
        {"action": "submit", "text": "正文", "files": [SimpleUploadedFile("x.exe", b"MZ", "application/x-msdownload")]},
    )
    assert r.status_code == 200 and "不支持的文件类型" in r.content.decode()
    r = c.post(f"/deadlines/obligations/{o.pk}/", {"action": "submit", "text": "   "})
    assert r.status_code == 200 and "报送内容" in r.content.decode()
    o.refresh_from_db()
    assert o.status == "open" and not Submission.objects.exists() and not SubmissionProcess.objects.exists()


def test_prefecture_user_submits_for_their_own_city_only(users, obligations, client_for):
    guiyang, zunyi = obligations["guiyang"], obligations["zunyi"]
    c = client_for(users["city_guiyang"])
    listing = c.get("/deadlines/?status=all").content.decode()
    assert "贵阳市" in listing and "遵义市" not in listing and "省民政厅" not in listing
    assert c.get(f"/deadlines/obligations/{zunyi.pk}/").status_code == 404
    assert c.post(f"/deadlines/obligations/{zunyi.pk}/", {"action": "submit", "text": "x"}).status_code == 404
    with pytest.raises(NotAllowed):
        obligation_submit(obligation=zunyi, text="越权", by=users["city_guiyang"])
    assert (
        c.post(f"/deadlines/obligations/{guiyang.pk}/", {"action": "submit", "text": "阶段性总结"}).status_code == 302
    )
    guiyang.refresh_from_db()
    assert guiyang.status == "submitted"


def test_liaison_sees_only_their_unit_and_office_sees_all(users, obligations, client_for):
    mine = client_for(users["liaison_mzt"]).get("/deadlines/?status=all").content.decode()
    assert "省民政厅" in mine and "省公安厅" not in mine and "贵阳市" not in mine
    assert client_for(users["liaison_mzt"]).get(f"/deadlines/obligations/{obligations['zjt'].pk}/").status_code == 404
    everything = client_for(users["office"]).get("/deadlines/?status=all").content.decode()
    assert "省民政厅" in everything and "省公安厅" in everything and "贵阳市" in everything
    # the office can read but not submit for a unit
    r = client_for(users["office"]).post(
        f"/deadlines/obligations/{obligations['mzt'].pk}/", {"action": "submit", "text": "代交"}
    )
    assert r.status_code == 404


def test_overdue_board_by_unit_with_press(users, obligations, client_for):
    with time_machine.travel(at(2024, 10, 14), tick=False):
        convener = client_for(users["convener"])
        page = convener.get("/deadlines/overdue/").content.decode()
        assert "省民政厅" in page and "严重逾期" in page and "6 天" in page and "催办" in page
        r = convener.post("/deadlines/press/", {"subject": f"obligation:{obligations['mzt'].pk}"})
        assert r.status_code == 302
        assert Message.objects.filter(recipient=users["liaison_mzt"], kind__startswith="press:").exists()
        assert AuditEntry.objects.filter(action="obligation.press").count() == 1
        page = convener.get("/deadlines/overdue/").content.decode()
        assert "1 条" in page
        for who in ("liaison_mzt", "city_guiyang", "member_mzt", "outsider"):
            assert client_for(users[who]).get("/deadlines/overdue/").status_code == 404
            assert client_for(users[who]).post("/deadlines/press/", {"subject": "obligation:1"}).status_code == 404


@pytest.mark.parametrize(
    "url", ["/deadlines/preview/", "/deadlines/calendar/", "/deadlines/calendar/2027/", "/deadlines/deliveries/"]
)
def test_office_pages_are_404_for_units(users, client_for, url):
    assert client_for(users["office"]).get(url).status_code == 200
    assert client_for(users["admin"]).get(url).status_code == 200
    for who in ("liaison_mzt", "city_guiyang", "outsider"):
        assert client_for(users[who]).get(url).status_code == 404


def test_office_enters_2027_calendar_and_the_warning_goes(users, client_for):
    c = client_for(users["office"])
    with time_machine.travel(at(2026, 12, 1), tick=False):
        assert "2027 年" in c.get("/deadlines/calendar/").content.decode()
        assert "节假日安排缺失" in c.get("/deadlines/calendar/").content.decode()
        bad = c.post("/deadlines/calendar/2027/", {"holidays": "2027-13-01 元旦", "workdays": "", "note": ""})
        assert bad.status_code == 200 and "YYYY-MM-DD" in bad.content.decode()
        wrong = c.post("/deadlines/calendar/2027/", {"holidays": "", "workdays": "2027-09-27 周一", "note": ""})
        assert "本来就上班" in wrong.content.decode()
        r = c.post(
            "/deadlines/calendar/2027/",
            {
                "holidays": "2027-01-01 元旦\n2027-10-01 国庆节",
                "workdays": "2027-09-26 国庆节调休上班",
                "note": "国办发明电",
            },
        )
        assert r.status_code == 302
        assert "节假日安排缺失" not in c.get("/deadlines/calendar/").content.decode()
        assert AuditEntry.objects.filter(action="calendar.year_save").count() == 1
        # a known year's form is prefilled from the package
        assert "2026-10-01" in c.get("/deadlines/calendar/2026/").content.decode()


def test_notifications_are_personal(users, obligations, client_for):
    with time_machine.travel(at(2024, 9, 27, 9), tick=False):
        from deadlines.reminders import reminders_plan

        reminders_plan()
    mine = client_for(users["liaison_mzt"]).get("/deadlines/notifications/").content.decode()
    assert "临期提醒" in mine and "季度工作情况" in mine
    assert "暂无通知" in client_for(users["city_guiyang"]).get("/deadlines/notifications/").content.decode()


def test_navigation_entries_by_role(users, client_for):
    office = client_for(users["office"]).get("/mechanism/").content.decode()
    assert all(x in office for x in ("报送任务", "逾期督办", "节假日日历", "发送记录", "截止日期预览"))
    liaison = client_for(users["liaison_mzt"]).get("/mechanism/").content.decode()
    assert "报送任务" in liaison and "逾期督办" not in liaison and "节假日日历" not in liaison


def test_due_preview_lists_twelve_months(users, client_for):
    with time_machine.travel(at(2024, 9, 1), tick=False):
        html = client_for(users["convener"]).get("/deadlines/preview/").content.decode()
    assert "2024年10月8日" in html and "2024年11月15日" in html and "2025年7月7日" in html
    assert "节假日安排缺失" not in html


def test_obligations_api_follows_the_same_visibility(users, obligations, client_for):
    mine = client_for(users["liaison_mzt"]).get("/api/v1/obligations/?limit=500").json()
    assert {o["obligor"] for o in mine["results"]} == {"省民政厅"}
    assert client_for(users["liaison_mzt"]).get(f"/api/v1/obligations/{obligations['zjt'].pk}/").status_code == 404
    city = client_for(users["city_guiyang"]).get("/api/v1/obligations/?limit=500").json()
    assert {o["obligor"] for o in city["results"]} == {"贵阳市"}
    everything = client_for(users["convener"]).get("/api/v1/obligations/?status=owed&limit=500").json()
    assert everything["count"] == Obligation.objects.count()
    one = client_for(users["office"]).get(f"/api/v1/obligations/{obligations['mzt'].pk}/").json()
    assert one["title"] == "季度工作情况" and one["due_on"] == "2024-10-08" and one["status_display"] == "待报送"
    assert client_for(users["outsider"]).get("/api/v1/obligations/").json()["count"] == 0


def test_a_report_cannot_be_submitted_before_its_window_opens(users, client_for):
    """Decision (docs/deadlines.md): before 报送期 opens the service refuses, in Chinese; the page says
    when it opens instead of showing the form. A one-off report opens when its rule starts."""
    with time_machine.travel(at(2026, 12, 20), tick=False):
        obligations_generate()
        o = Obligation.objects.get(member_unit__code="mzt", period="2026Q4")
        assert o.opens_on == date(2027, 1, 1)
        with pytest.raises(DomainError, match="报送期自 2027年1月1日 起"):
            obligation_submit(obligation=o, text="提前报送", by=users["liaison_mzt"])
        o.refresh_from_db()
        assert o.status == Obligation.OPEN and not o.submissions.exists()
        page = client_for(users["liaison_mzt"]).get(f"/deadlines/obligations/{o.pk}/").content.decode()
        assert "报送期自 2027年1月1日 起" in page and 'value="submit"' not in page
        posted = client_for(users["liaison_mzt"]).post(
            f"/deadlines/obligations/{o.pk}/", {"action": "submit", "text": "提前报送"}
        )
        assert posted.status_code == 200 and "现在还不能报送" in posted.content.decode()
        assert "提前报送</textarea>" in posted.content.decode()  # what was typed is shown back, not lost
        assert not o.submissions.exists()
    with time_machine.travel(at(2027, 1, 1), tick=False):
        obligation_submit(obligation=o, text="按期报送", by=users["liaison_mzt"])
    o.refresh_from_db()
    assert o.status == Obligation.SUBMITTED


def test_a_one_off_report_opens_when_its_rule_starts(mechanism):
    from deadlines.models import DeadlineRule

    spec = DeadlineRule.objects.get(mechanism=mechanism, code="implementation_plan").spec()
    [p] = spec.periods(date(2020, 1, 1), date(2020, 12, 31))
    assert p.opens == spec.starts < p.due
