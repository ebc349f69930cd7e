"""The office drafts minutes with two agreed matters in a real browser, sends them out, and issues them."""

import datetime as dt

import pytest
from django.utils import timezone

from meetings.models import Minutes
from meetings.services.meetings import meeting_attendance_record, meeting_decide, meeting_propose, meeting_schedule
from meetings.services.minutes import minutes_review, minutes_save, minutes_submit
from members.models import MemberUnit
from tests.conftest import PASSWORD, second_factor_pass

pytestmark = pytest.mark.browser


def test_office_drafts_minutes_with_two_agreed_matters_and_issues_them(users, browser_page):
    unit = {u.code: u for u in MemberUnit.objects.all()}
    m = meeting_propose(title="第三次联席会议", topics="部署年度工作", reasons="例会", by=users["office"])
    meeting_decide(meeting=m, approve=True, by=users["convener"])
    meeting_schedule(
        meeting=m,
        starts_at=timezone.now() + dt.timedelta(days=1),
        place="会议室",
        chair="陈维明",
        units=[unit["mzt"], unit["zjt"]],
        by=users["office"],
    )
    minutes = meeting_attendance_record(meeting=m, attended_units=[unit["mzt"], unit["zjt"]], by=users["office"])
    due1 = timezone.localdate() + dt.timedelta(days=30)
    due2 = timezone.localdate() + dt.timedelta(days=60)

    page = browser_page
    page.goto(f"/meetings/minutes/{minutes.pk}/edit/")
    page.fill("#id_username", "office")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor_pass(page, "office")
    page.wait_for_url(f"**/meetings/minutes/{minutes.pk}/edit/")

    page.fill("#id_title", "第三次联席会议纪要")
    page.fill("#id_summary", "会议听取了各成员单位工作汇报，研究部署了年度重点工作。")
    page.fill("#id_m-0-content", "制定老旧小区绿色化改造年度计划")
    page.fill("#id_m-0-done_criteria", "计划印发")
    page.fill("#id_m-0-due_date", due1.isoformat())
    page.check(f"input[name='m-0-lead_units'][value='{unit['zjt'].pk}']")
    page.check(f"input[name='m-0-participating_units'][value='{unit['mzt'].pk}']")
    page.fill("#id_m-1-content", "建立社区协商议事平台")
    page.fill("#id_m-1-done_criteria", "平台上线运行")
    page.fill("#id_m-1-due_date", due2.isoformat())
    page.check(f"input[name='m-1-lead_units'][value='{unit['mzt'].pk}']")
    page.click("button[name=submit]")
    page.wait_for_url(f"**/meetings/minutes/{minutes.pk}/")
    assert page.locator("#minutes-status").inner_text() == "征求意见中"
    assert page.locator("#matters tbody tr").count() == 2

    for code, who in (("mzt", "liaison_mzt"), ("zjt", "liaison_zjt")):
        minutes_review(minutes=minutes, unit=unit[code], agree=True, by=users[who])

    page.reload()
    assert page.locator("#minutes-status").inner_text() == "会签完成，待印发"
    page.fill("#id_doc_number", "黔绿社联〔2026〕3号")
    page.click("#issue")
    page.wait_for_url(f"**/meetings/minutes/{minutes.pk}/")
    assert page.locator("#minutes-status").inner_text() == "已印发"
    rows = page.locator("#matters tbody tr")
    assert rows.count() == 2
    assert "一、" in rows.nth(0).inner_text() and "办理中" in rows.nth(0).inner_text()
    assert "二、" in rows.nth(1).inner_text() and "省民政厅" in rows.nth(1).inner_text()

    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.ISSUED and minutes.doc_number == "黔绿社联〔2026〕3号"
    items = [mt.item for mt in minutes.matters.select_related("item").order_by("number")]
    assert [(i.due_date, [a.unit.code for a in i.assignments.order_by("role")]) for i in items] == [
        (due1, ["zjt", "mzt"]),
        (due2, ["mzt"]),
    ]


def test_office_edits_minutes_returned_for_changes_and_resends_with_three_matters(users, browser_page):
    """Issue 14: the saved dates come back in the date fields, and a third matter is added on the page."""
    unit = {u.code: u for u in MemberUnit.objects.all()}
    m = meeting_propose(title="第四次联席会议", topics="部署", reasons="例会", by=users["office"])
    meeting_decide(meeting=m, approve=True, by=users["convener"])
    meeting_schedule(
        meeting=m,
        starts_at=timezone.now() + dt.timedelta(days=1),
        place="会议室",
        chair="陈维明",
        units=[unit["mzt"], unit["zjt"]],
        by=users["office"],
    )
    minutes = meeting_attendance_record(meeting=m, attended_units=[unit["mzt"], unit["zjt"]], by=users["office"])
    due = [timezone.localdate() + dt.timedelta(days=d) for d in (30, 60, 90)]
    minutes_save(
        minutes=minutes,
        title="第四次联席会议纪要",
        summary="",
        by=users["office"],
        matters=[
            {
                "content": f"第{n}项工作",
                "done_criteria": "完成",
                "due_date": d,
                "lead_units": [unit["zjt"]],
                "participating_units": [],
            }
            for n, d in ((1, due[0]), (2, due[1]))
        ],
    )
    minutes_submit(minutes=minutes, by=users["office"])
    minutes_review(minutes=minutes, unit=unit["mzt"], agree=False, comment="请增加宣传工作", by=users["liaison_mzt"])
    minutes_review(minutes=minutes, unit=unit["zjt"], agree=True, by=users["liaison_zjt"])

    page = browser_page
    page.goto(f"/meetings/minutes/{minutes.pk}/edit/")
    page.fill("#id_username", "office")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor_pass(page, "office")
    page.wait_for_url(f"**/meetings/minutes/{minutes.pk}/edit/")
    assert page.input_value("#id_m-0-due_date") == due[0].isoformat()
    assert page.input_value("#id_m-1-due_date") == due[1].isoformat()
    slots = page.locator("fieldset.matter").count()
    page.fill("#id_m-2-content", "开展绿色社区宣传")
    page.click("button[name=add_matter]")
    page.wait_for_selector(f"#id_m-{slots}-content")
    assert page.input_value("#id_m-2-content") == "开展绿色社区宣传"  # kept across the extra slot
    page.fill("#id_m-2-done_criteria", "宣传活动开展")
    page.fill("#id_m-2-due_date", due[2].isoformat())
    page.check(f"input[name='m-2-lead_units'][value='{unit['mzt'].pk}']")
    page.click("button[name=submit]")
    page.wait_for_url(f"**/meetings/minutes/{minutes.pk}/")
    assert page.locator("#minutes-status").inner_text() == "征求意见中"
    assert page.locator("#matters tbody tr").count() == 3
    minutes.refresh_from_db()
    assert [(mt.content, mt.due_date) for mt in minutes.matters.order_by("number")] == [
        ("第1项工作", due[0]),
        ("第2项工作", due[1]),
        ("开展绿色社区宣传", due[2]),
    ]
    assert minutes.round == 2
