"""In a real browser: a prefecture fills in its community's self-assessment and reviews it, the
office confirms it, and the community counts toward the province's target."""

import pytest

from communities.models import Community
from tests.conftest import PASSWORD, second_factor_pass

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor_pass(page, username)
    page.wait_for_url("**/")


def test_self_assessment_reviewed_confirmed_and_counted(users, gy_community, city2, browser_page):
    page = browser_page
    sign_in(page, "city_guiyang")
    page.get_by_role("link", name="社区台账").click()
    page.get_by_role("link", name="中华南路社区").click()
    page.get_by_role("button", name="开始自评").click()
    page.wait_for_url("**/communities/assessments/*/")
    boxes = page.locator(".assessment-form input[type=checkbox]")
    assert boxes.count() == 16
    for i in range(16):
        boxes.nth(i).check()
    page.get_by_role("button", name="保存并计算").click()
    assert page.locator("#total").inner_text() == "16"
    assert page.locator("#verdict").inner_text() == "达到创建标准"
    page.get_by_role("button", name="提交自评").click()
    assert page.locator("#assessment-status").inner_text() == "待市州审核"
    assert page.get_by_role("button", name="审核通过").count() == 0  # not by who filled it in
    assessment_url = page.url
    page.get_by_role("button", name="退出").click()
    sign_in(page, "city_guiyang_2")
    page.goto(assessment_url)
    page.get_by_role("button", name="审核通过").click()
    assert page.locator("#assessment-status").inner_text() == "待办公室确认"
    page.get_by_role("button", name="退出").click()

    sign_in(page, "office")
    page.get_by_role("link", name="社区台账").click()
    assert "中华南路社区" in page.locator("main").inner_text()  # in the office's 待办评估
    page.goto(assessment_url)
    page.get_by_role("button", name="确认评估结果").click()
    assert page.locator("#assessment-status").inner_text() == "已确认"
    page.get_by_role("link", name="创建进度").click()
    province = page.locator("#province-row").inner_text()
    assert "100.0%" in province and "已达到" in province
    gy_community.refresh_from_db()
    assert (
        gy_community.status == "meets_standard" and Community.objects.filter(standard_met_on__isnull=False).count() == 1
    )
