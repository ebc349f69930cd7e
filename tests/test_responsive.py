"""Every role's main pages at phone width (390 × 844) and on a wide screen (1440 × 900): the page never
scrolls sideways, and axe-core finds no serious or critical accessibility violation."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from members.models import MemberUnit
from tests.conftest import CHROMIUM, verified_login

pytestmark = pytest.mark.browser

WIDTHS = [(390, 844), (1440, 900)]
PAGES = {
    "liaison_mzt": ["/items/inbox/", "{item}", "/deadlines/", "/deadlines/notifications/", "/meetings/", "/mechanism/"],
    "member_mzt": ["/items/inbox/", "{item}"],
    "convener": ["/dashboard/", "/deadlines/overdue/", "/dashboard/list/?metric=overdue", "/items/queue/", "{item}"],
    "office": [
        "/items/queue/",
        "/items/new/",
        "{item}",
        "/deadlines/",
        "/deadlines/preview/",
        "/deadlines/calendar/",
        "/deadlines/deliveries/",
        "/communities/",
        "/communities/progress/",
        "/meetings/",
    ],
    "city_guiyang": ["/deadlines/", "/communities/", "/communities/progress/"],
}


@pytest.fixture
def chromium(live_server):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _signed_in(browser, live_server, user, width, height):
    client = verified_login(Client(), user)
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": width, "height": height})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.fixture
def item(users):
    from tasks.services import item_dispatch

    units = {u.code: u for u in MemberUnit.objects.all()}
    return item_dispatch(
        by=users["office"],
        source="ad_hoc",
        content="请按照工作方案要求办理并按时反馈。" * 4,
        title="关于推进城镇老旧小区改造中绿色社区创建工作并同步开展智慧安防系统建设情况的督办事项（第一批）",
        lead_units=[units["mzt"], units["zjt"]],
        participating_units=[units["gat"], units["sthjt"], units["fgw"]],
        due_date=timezone.localdate() + timedelta(days=2),
    )


def test_every_main_page_fits_the_screen_and_passes_axe(users, live_server, chromium, item):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for username, paths in PAGES.items():
        for width, height in WIDTHS:
            context = _signed_in(chromium, live_server, users[username], width, height)
            page = context.new_page()
            for path in paths:
                path = path.format(item=f"/items/{item.pk}/")
                response = page.goto(path)
                assert response.status == 200, (username, path, response.status)
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    problems.append(f"{username} {path} @{width}px: 页面宽 {scroll_width}px")
                if width == 390 or path in {"/dashboard/", "/items/queue/"}:
                    for v in axe.run(page).response["violations"]:
                        if v["impact"] in {"serious", "critical"}:
                            problems.append(f"{username} {path} @{width}px: {v['id']} {v['nodes'][0]['target']}")
            context.close()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_and_the_page_stays_in_chinese(users, live_server, chromium):
    context = _signed_in(chromium, live_server, users["liaison_mzt"], 390, 844)
    page = context.new_page()
    page.goto("/items/inbox/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    nav = page.locator("#sidebar")
    assert not nav.is_visible()  # folded on a phone
    page.get_by_role("button", name="菜单").click()
    assert nav.is_visible()
    assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"
    nav.get_by_role("link", name="报送任务").click()
    page.wait_for_url("**/deadlines/")
    context.close()
    wide = _signed_in(chromium, live_server, users["liaison_mzt"], 1440, 900).new_page()
    wide.goto("/items/inbox/")
    assert wide.locator("#sidebar").is_visible() and not wide.locator(".nav-toggle").is_visible()


# A 1 × 1 JPEG, as a phone's camera would hand over (only bigger).
PHOTO = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300ffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc2000b08000100010101"
    "1100ffc40014100100000000000000000000000000000000ffda0008010100013f10ffd9"
)


@pytest.mark.django_db(transaction=True)
def test_a_liaison_signs_for_reports_with_a_photo_and_submits_at_phone_width(users, live_server, chromium, tmp_path):
    from tasks.models import Assignment, Attachment
    from tasks.services import item_dispatch

    units = {u.code: u for u in MemberUnit.objects.all()}
    item = item_dispatch(
        by=users["office"],
        source="ad_hoc",
        title="社区垃圾分类设施现场核查",
        content="请拍照反馈。",
        lead_units=[units["zjt"]],
        participating_units=[units["mzt"]],
        due_date=timezone.localdate() + timedelta(days=20),
    )
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(PHOTO)
    context = _signed_in(chromium, live_server, users["liaison_mzt"], 390, 844)
    page = context.new_page()
    page.goto("/items/inbox/")
    page.locator("tbody tr", has_text="社区垃圾分类设施现场核查").get_by_role(
        "link", name="社区垃圾分类设施现场核查"
    ).click()
    claim = page.get_by_role("button", name="签收")
    box = claim.bounding_box()
    assert box["height"] >= 40 and box["x"] + box["width"] <= 390  # a thumb reaches it, on screen
    claim.click()
    page.wait_for_selector("text=已签收，请办理。")
    page.fill("textarea[name=result]", "已完成 3 个小区的现场核查，照片见附件。")
    page.set_input_files("input[type=file]", str(photo))
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_selector("text=已提交反馈。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    a = Assignment.objects.get(item=item, unit__code="mzt")
    assert a.status == "submitted" and a.result.startswith("已完成 3 个小区")
    assert Attachment.objects.get(assignment=a).name == "现场照片.jpg"
    context.close()
