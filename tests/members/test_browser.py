import pytest

from tests.conftest import PASSWORD, second_factor_pass

pytestmark = pytest.mark.browser


def test_convener_signs_in_and_sees_the_roster(users, browser_page):
    page = browser_page
    page.goto("/mechanism/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "convener")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/**")
    assert "两步验证" in page.locator("h1").inner_text()  # the convener's second factor
    second_factor_pass(page, "convener")
    page.wait_for_url("**/mechanism/")
    assert page.locator("h1").inner_text() == "贵州省绿色社区创建行动联席会议"
    body = page.locator("main").inner_text()
    assert "陈维明" in body and "成员 14 人，联络员 15 人" in body
    page.get_by_role("link", name="首页").click()
    page.wait_for_url("**/dashboard/")  # the convener's first screen is 督办总览 (issue 6)
    assert "召集人" in page.locator(".who-roles").inner_text()
    assert page.locator("h1").inner_text() == "督办总览"


def test_office_sets_up_the_second_factor_on_a_phone(users, browser_page):
    import base64
    import hmac
    import struct
    import time

    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/**")
    assert page.locator("h1").inner_text() == "设置两步验证"
    assert page.locator(".qr svg").is_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_token", f"{code:06d}")
    page.click("button[type=submit]")
    assert page.locator(".recovery-codes li").count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url("**/items/queue/")
