"""A liaison with a supervised item, a quarterly report owed and minutes to agree sees all three in
我的待办 and takes each from there (issue 12), on a phone and on a wide screen."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from deadlines.models import Obligation
from deadlines.services.obligations import obligations_generate
from meetings.services.meetings import meeting_attendance_record, meeting_decide, meeting_propose, meeting_schedule
from meetings.services.minutes import minutes_save, minutes_submit
from members.models import MemberUnit
from tasks import services as fs
from tasks.models import Assignment
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _world(users):
    unit = MemberUnit.objects.get
    today = timezone.localdate()
    fs.item_dispatch(
        by=users["office"],
        title="建立社区议事协商平台",
        content="请反馈进展。",
        source="ad_hoc",
        lead_units=[unit(code="zjt")],
        participating_units=[unit(code="mzt")],
        due_date=today + dt.timedelta(days=30),
    )
    obligations_generate()
    report = Obligation.objects.filter(member_unit__code="mzt").order_by("due_on", "pk").first()
    Obligation.objects.filter(pk=report.pk).update(
        opens_on=today - dt.timedelta(days=5), due_on=today + dt.timedelta(days=1), status=Obligation.OPEN
    )
    meeting = meeting_propose(
        title="第二次联席会议", topics="部署改造", reasons="年度部署", unit=unit(code="mzt"), by=users["liaison_mzt"]
    )
    meeting_decide(meeting=meeting, approve=True, by=users["convener"])
    meeting_schedule(
        meeting=meeting,
        starts_at=timezone.now() + dt.timedelta(days=2),
        place="会议室",
        chair="陈维明",
        units=[unit(code="mzt"), unit(code="zjt")],
        by=users["office"],
    )
    minutes = meeting_attendance_record(
        meeting=meeting, attended_units=[unit(code="mzt"), unit(code="zjt")], by=users["office"]
    )
    minutes_save(
        minutes=minutes,
        title="第二次联席会议纪要",
        summary="",
        by=users["office"],
        matters=[
            {
                "content": "推进改造",
                "done_criteria": "完成并书面反馈",
                "due_date": today + dt.timedelta(days=60),
                "lead_units": [unit(code="zjt")],
                "participating_units": [unit(code="mzt")],
            }
        ],
    )
    minutes_submit(minutes=minutes, by=users["office"])
    return Obligation.objects.get(pk=report.pk), minutes


def test_a_liaison_takes_an_item_a_report_and_minutes_from_the_inbox(users, browser_page, tmp_path):
    report, minutes = _world(users)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.fill("#id_username", "liaison_mzt")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/items/inbox/")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    text = page.locator("main").inner_text()
    for words in ("建立社区议事协商平台", report.title, "第二次联席会议纪要", "督办事项 1", "报送任务 1", "纪要会签 1"):
        assert words in text, words
    # Most urgent first: the report (due tomorrow), the item (in 30 days), then the minutes (no date).
    assert report.title in rows.nth(0).inner_text() and "第二次联席会议纪要" in rows.nth(2).inner_text()
    # The cards fit a phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    if os.environ.get("INBOX_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["INBOX_SCREENSHOTS"], "inbox-390.png"), full_page=True)

    # 1. The report: 报送 → the report's page → 提交报送.
    rows.filter(has_text=report.title).get_by_role("link", name="报送").click()
    page.wait_for_url(f"**/deadlines/obligations/{report.pk}/")
    page.fill("textarea[name=text]", "本季度完成 12 个社区的绿色社区创建自评。")
    page.get_by_role("button", name="提交报送").click()
    page.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == Obligation.SUBMITTED

    # 2. The item: 签收 → the item page → 签收, then write and 提交反馈.
    page.goto("/items/inbox/")
    assert page.locator("tbody tr").count() == 2
    page.locator("tbody tr", has_text="建立社区议事协商平台").get_by_role("link", name="签收").click()
    page.get_by_role("button", name="签收").click()
    page.wait_for_selector("text=已签收，请办理。")
    page.fill("textarea[name=result]", "已指导 12 个社区建立议事协商平台。")
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_selector("text=已提交反馈。")
    assert Assignment.objects.get(unit__code="mzt", item__title="建立社区议事协商平台").status == "submitted"

    # 3. The minutes: 会签 → the minutes page → 同意 → 提交意见.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/items/inbox/")
    assert page.locator("tbody tr").count() == 1
    page.locator("tbody tr", has_text="第二次联席会议纪要").get_by_role("link", name="会签").click()
    page.wait_for_url(f"**/meetings/minutes/{minutes.pk}/")
    page.get_by_role("button", name="提交意见").click()
    page.wait_for_selector("text=意见已提交。")
    assert minutes.reviews.filter(unit__code="mzt", decision="agree").exists()

    page.goto("/items/inbox/")
    assert "没有待办事项" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
