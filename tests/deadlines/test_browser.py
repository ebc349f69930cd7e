"""A liaison submits the quarterly report in a real browser; the office returns it; the liaison
resubmits; the office accepts it (Debian's chromium through Playwright)."""

import pytest

from deadlines.models import Obligation
from deadlines.services import obligations_generate
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
    obligations_generate()
    o = Obligation.objects.filter(member_unit__code="mzt").order_by("due_on").first()
    page = browser_page
    sign_in(page, "liaison_mzt")
    page.get_by_role("link", name="报送任务").click()
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
