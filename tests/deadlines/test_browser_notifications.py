"""A liaison sees the unread badge appear after the office 交办s an item, and clears it (phone width)."""

import datetime as dt

import pytest

from deadlines.models import Message
from members.models import MemberUnit
from tasks import services as fs
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_sees_the_badge_after_dispatch_and_clears_it(users, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.fill("#id_username", "liaison_mzt")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/items/inbox/")
    assert page.locator(".badge-unread").count() == 0

    fs.item_dispatch(
        by=users["office"],
        title="建立社区议事协商平台",
        content="请反馈进展。",
        source="ad_hoc",
        lead_units=[MemberUnit.objects.get(code="zjt")],
        participating_units=[MemberUnit.objects.get(code="mzt")],
        due_date=dt.date.today() + dt.timedelta(days=30),
    )

    page.reload()
    badge = page.locator("header .badge-unread")
    assert badge.is_visible() and badge.inner_text() == "1"
    page.locator("header .unread-link").click()
    page.wait_for_url("**/deadlines/notifications/")
    row = page.locator("tbody tr", has_text="建立社区议事协商平台")
    assert "交办" in row.inner_text() and "未读" in row.inner_text()
    assert row.get_by_role("link", name="【交办】建立社区议事协商平台").get_attribute("href").startswith("/items/")
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_selector("text=已将 1 条通知标为已读。")
    assert page.locator("header .badge-unread").count() == 0
    assert Message.objects.get(recipient=users["liaison_mzt"], kind="dispatched", channel="inapp").read_at is not None
