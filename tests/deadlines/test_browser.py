"""A liaison submits the quarterly report in a real browser; the office returns it; the liaison
resubmits; the office accepts it (Debian's chromium through Playwright)."""

from datetime import date

import pytest

from deadlines.models import Obligation
from deadlines.services.obligations import obligations_generate
from tests.conftest import PASSWORD, second_factor_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor_pass(page, username)
    page.wait_for_url("**/")


def test_submit_return_resubmit_accept_in_the_browser(users, browser_page, tmp_path):
    # Generated as on 1 October 2026: the 2026Q3 report's window (from 1 October) is open whatever today is
    # (a report cannot be submitted before its window opens).
    obligations_generate(today=date(2026, 10, 1))
    o = Obligation.objects.filter(member_unit__code="mzt").order_by("due_on").first()
    assert o.opens_on <= date.today()
    page = browser_page
    sign_in(page, "liaison_mzt")
    page.get_by_role("link", name="报送任务", exact=True).click()
    page.get_by_role("link", name=o.title).click()
    page.fill("#id_text", "本季度开展了绿色社区创建培训两次。")
    report = tmp_path / "季度报告.pdf"
    report.write_bytes(b"%PDF-1.4 quarterly")
    page.set_input_files("#id_files", str(report))
    page.get_by_role("button", name="提交报送").click()
    assert "已报送，等待联席会议办公室接收。" in page.locator("main").inner_text()
    page.click("button.link")  # 退出

    sign_in(page, "office")
    page.goto(f"/deadlines/obligations/{o.pk}/")
    page.fill("#id_reason", "请补充培训照片。")
    page.get_by_role("button", name="退回修改").click()
    assert "已退回修改" in page.locator("main").inner_text()
    page.click("button.link")

    sign_in(page, "liaison_mzt")
    page.get_by_role("link", name="我的通知").click()
    assert "请补充培训照片" in page.locator("main").inner_text()
    page.goto(f"/deadlines/obligations/{o.pk}/")
    page.fill("#id_text", "已补充培训照片。")
    page.get_by_role("button", name="提交报送").click()
    page.click("button.link")

    sign_in(page, "office")
    page.goto(f"/deadlines/obligations/{o.pk}/")
    page.get_by_role("button", name="接收", exact=True).click()
    assert "已接收。" in page.locator("main").inner_text()
    o.refresh_from_db()
    assert o.status == "accepted" and o.submissions.count() == 2


def test_office_pastes_the_notice_on_a_phone_confirms_and_saves(users, browser_page):
    """At 390 px: paste the 2026 notice, read it, see the table before anything is saved, then save."""
    from pathlib import Path

    from deadlines.models import CalendarDay, CalendarYear

    text = (Path(__file__).parent / "notices" / "2026.txt").read_text(encoding="utf-8")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "office")
    page.goto("/deadlines/calendar/2026/")
    page.fill("#id_holidays", "")
    page.fill("#id_notice", text)
    page.get_by_role("button", name="从通知读取").click()
    main = page.locator("main")
    assert "从通知读取的安排（尚未保存）" in main.inner_text()
    assert "2026-02-16 春节" in page.input_value("#id_holidays")
    assert page.input_value("#id_workdays").splitlines()[0] == "2026-01-04 元旦调休上班"
    assert not CalendarYear.objects.filter(year=2026).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="保存 2026 年安排").click()
    page.wait_for_url("**/deadlines/calendar/")
    assert CalendarYear.objects.get(year=2026).note.startswith("国务院办公厅关于2026年部分节假日安排的通知")
    assert CalendarDay.objects.filter(day__year=2026, is_working=True).count() == 6
