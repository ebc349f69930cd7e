"""On a phone (390 px, Debian's chromium): an inspector records a finding with a photo; the office issues
it; the rectification item appears in the lead unit liaison's 我的待办; the liaison reports, the office
accepts (办结) — and the finding is closed, the inspection's closure rate 100 %."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from inspections.models import Finding, FindingPhoto
from members.models import ReportingUnit
from tests.conftest import CHROMIUM, verified_login

from .conftest import PHOTO

pytestmark = pytest.mark.browser


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


def _phone(browser, live_server, user, width=390, height=844):
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
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _fits(page, width=390):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.django_db(transaction=True)
def test_a_finding_recorded_on_a_phone_is_rectified_through_the_item_flow_and_closes(
    users, live_server, chromium, tmp_path, settings
):
    from inspections.services import inspection_plan

    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    inspection = inspection_plan(
        title="贵阳市绿色社区创建督导检查",
        starts_on=today,
        ends_on=today + timedelta(days=1),
        team=[users["liaison_gat"]],
        leader=users["liaison_gat"],
        reporting_unit=ReportingUnit.objects.get(code="guiyang"),
        by=users["office"],
    )
    photo = tmp_path / "垃圾分类投放点.jpg"
    photo.write_bytes(PHOTO)

    # 1. The inspector, on site, on a phone.
    context, page = _phone(chromium, live_server, users["liaison_gat"])
    page.goto("/inspections/")
    page.get_by_role("link", name="贵阳市绿色社区创建督导检查").click()
    page.fill("#id_description", "小区垃圾分类投放点无分类标识，厨余垃圾桶破损。")
    page.fill("#id_location", "中华南路小区3栋")
    page.set_input_files("#id_photos", str(photo))
    save = page.get_by_role("button", name="保存问题")
    box = save.bounding_box()
    assert box["height"] >= 40 and box["x"] + box["width"] <= 390
    save.click()
    page.wait_for_selector("text=已记录问题1")
    assert page.locator("#finding-1 img").count() == 1  # the photo, shown back
    _fits(page)
    context.close()
    finding = Finding.objects.get()
    assert FindingPhoto.objects.get(finding=finding).name == "垃圾分类投放点.jpg"

    # 2. The office issues it to 省住房城乡建设厅 (also on a phone).
    context, page = _phone(chromium, live_server, users["office"])
    page.goto(f"/inspections/{inspection.pk}/")
    form = page.locator("#finding-1 form")
    form.locator("select").select_option(label="省住房城乡建设厅")
    form.locator("input[type=date]").fill((today + timedelta(days=20)).isoformat())
    form.get_by_role("button", name="交办整改").click()
    page.wait_for_selector("text=已交办整改")
    _fits(page)
    context.close()

    # 3. The lead unit's liaison finds it in 我的待办, claims it and reports.
    context, page = _phone(chromium, live_server, users["liaison_zjt"])
    page.goto("/items/inbox/")
    row = page.locator("tbody tr", has_text="【整改】贵阳市绿色社区创建督导检查 问题1")
    assert row.count() == 1
    row.get_by_role("link").first.click()
    page.get_by_role("button", name="签收").click()
    page.wait_for_selector("text=已签收，请办理。")
    page.fill("textarea[name=result]", "已补设分类标识，更换破损垃圾桶。")
    page.get_by_role("button", name="汇总报送").click()
    page.wait_for_selector("text=已")
    _fits(page)
    context.close()

    # 4. The office accepts (办结): the finding closes by itself.
    context, page = _phone(chromium, live_server, users["office"])
    finding.refresh_from_db()
    page.goto(f"/items/{finding.item_id}/")
    page.get_by_role("button", name="办结").click()
    page.wait_for_load_state()
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED
    page.goto(f"/inspections/{inspection.pk}/")
    assert page.locator(".rate").inner_text() == "100%"
    assert page.locator("#finding-1 .tag").inner_text() == "已整改"
    _fits(page)
    context.close()


def test_the_pages_fit_a_phone_and_a_wide_screen_and_pass_axe(users, live_server, chromium, tmp_path, settings):
    from axe_playwright_python.sync_playwright import Axe

    from inspections.services import finding_record, inspection_plan

    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    inspection = inspection_plan(
        title="遵义市督导检查",
        starts_on=today,
        ends_on=today,
        team=[users["liaison_gat"]],
        leader=None,
        reporting_unit=ReportingUnit.objects.get(code="zunyi"),
        by=users["office"],
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    finding_record(
        inspection=inspection,
        description="公共绿地被占用，" * 20,
        location="丁字口社区",
        photos=[SimpleUploadedFile("照片.jpg", PHOTO)],
        by=users["liaison_gat"],
    )
    pages = {
        "office": [
            "/inspections/",
            "/inspections/plan/",
            f"/inspections/{inspection.pk}/",
            "/meetings/major-matters/raise/",
            "/mechanism/",
        ],
        "liaison_gat": ["/inspections/", f"/inspections/{inspection.pk}/", "/meetings/major-matters/"],
    }
    axe, problems = Axe(), []
    for username, paths in pages.items():
        for width, height in ((390, 844), (1440, 900)):
            context, page = _phone(chromium, live_server, users[username], width, height)
            for path in paths:
                assert page.goto(path).status == 200, (username, path)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{username} {path} @{width}px: 页面宽 {scroll}px")
                for v in axe.run(page).response["violations"]:
                    if v["impact"] in {"serious", "critical"}:
                        problems.append(f"{username} {path} @{width}px: {v['id']} {v['nodes'][0]['target']}")
            context.close()
    assert not problems, "\n".join(problems)
