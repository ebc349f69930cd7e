"""A person adds a mobile on 个人设置 (at phone width), receives the code through the file SMS backend,
confirms it, and the next SMS goes to that number (Debian's chromium through Playwright)."""

import json
import re

import pytest

from deadlines import outbox
from deadlines.reminders import channels_for, notify
from members.models import Contact, User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_adds_a_mobile_confirms_the_code_and_gets_the_next_sms(users, browser_page, settings, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    settings.DEADLINES_SMS_BACKEND = "deadlines.sms.FileBackend"
    settings.DEADLINES_SMS_FILE = str(sms_file)
    settings.DEADLINES_SMS_QUIET_HOURS = "0-0"
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.fill("#id_username", "city_guiyang")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.get_by_role("link", name="个人设置").first.click()
    page.fill("#id_mobile", "13908519999")
    page.locator("input[name=urgent][value=sms]").check()
    page.get_by_role("button", name="保存").click()
    assert "验证后才会用于发送提醒" in page.locator("main").inner_text()
    page.get_by_role("button", name="发送验证码").click()
    assert "验证码已发送到您的手机" in page.locator("main").inner_text()
    for message_id in outbox.due_ids():  # the worker's part (the live server has no worker)
        outbox.message_deliver(message_id=message_id)
    [sent] = [json.loads(line) for line in sms_file.read_text(encoding="utf-8").splitlines()]
    assert sent["mobile"] == "13908519999"
    code = re.search(r"\d{6}", sent["text"]).group()
    page.fill("#id_mobile_code", "000000" if code != "000000" else "111111")
    page.get_by_role("button", name="确认").click()
    assert "验证码不正确" in page.locator("main").inner_text()
    page.fill("#id_mobile_code", code)
    page.get_by_role("button", name="确认").click()
    assert "验证成功" in page.locator("main").inner_text() and "已验证" in page.locator("main").inner_text()
    assert Contact.objects.get(user=users["city_guiyang"]).mobile_ok
    city = User.objects.get(username="city_guiyang")
    notify(
        users=[city],
        subject="test:browser",
        kind="notice",
        title="【催办】测试",
        body="【催办】请尽快报送。",
        channels=channels_for(city, "urgent"),
    )
    for message_id in outbox.due_ids():
        outbox.message_deliver(message_id=message_id)
    lines = [json.loads(line) for line in sms_file.read_text(encoding="utf-8").splitlines()]
    assert [(s["mobile"], s["text"]) for s in lines[1:]] == [("13908519999", "【催办】请尽快报送。")]
