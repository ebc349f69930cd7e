"""In a real browser (Debian's chromium): 贵阳市 passes its 阶段性总结 down to its three counties on a wide
screen; a county submits on a 390 px phone; the prefecture, on the phone, reads the returns side by side,
receives one and consolidates; the province opens the counties' returns. Both widths: nothing scrolls
sideways and axe-core finds no serious or critical violation on 县区分解与汇总."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deadlines import calendar
from deadlines.models import Obligation
from deadlines.services.obligations import obligation_submit, obligations_generate
from tests.county_world import county_world
from tests.test_responsive import _signed_in, chromium  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _axe(page):
    from axe_playwright_python.sync_playwright import Axe

    bad = [
        (v["id"], v["nodes"][0]["target"])
        for v in Axe().run(page).response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not bad, bad


def test_pass_down_submit_on_a_phone_consolidate(users, live_server, chromium):  # noqa: F811
    world = county_world(users)
    today = timezone.localdate()
    obligations_generate(today=today)
    parent = Obligation.objects.filter(reporting_unit__code="guiyang").order_by("due_on").first()
    due = calendar.next_working_day(today + timedelta(days=21))
    Obligation.objects.filter(pk=parent.pk).update(
        due_on=due, opens_on=today, period_start=today - timedelta(days=90), period_end=today
    )
    parent.refresh_from_db()

    # 1. The prefecture passes it down, on a wide screen.
    context = _signed_in(chromium, live_server, users["city_guiyang"], 1440, 900)
    page = context.new_page()
    page.goto(f"/deadlines/obligations/{parent.pk}/")
    page.get_by_role("link", name="县区分解与汇总").click()
    _fits(page, 1440)
    _axe(page)
    page.fill("#id_instructions", "请按附件模板报送本县（市、区）阶段性总结。")
    page.get_by_role("button", name="下发").click()
    assert "已下发 3 个县（市、区）" in page.locator("main").inner_text()
    context.close()
    shares = {s.reporting_unit.code: s for s in parent.shares.select_related("reporting_unit")}
    assert len(shares) == 3 and all(s.due_on < due for s in shares.values())

    # 2. A county submits on a phone, from its notification.
    context = _signed_in(chromium, live_server, users["city_chengdong"], 390, 844)
    page = context.new_page()
    page.goto("/deadlines/notifications/")
    assert "分解下发" in page.locator("main").inner_text()
    page.goto("/deadlines/")
    page.get_by_role("link", name=parent.title).click()
    assert "请按附件模板报送" in page.locator("main").inner_text()
    _fits(page, 390)
    page.fill("#id_text", "城东区：已创建绿色社区 4 个，另有 2 个在建。")
    page.get_by_role("button", name="提交报送").click()
    assert "已报送，等待贵阳市接收。" in page.locator("main").inner_text()
    context.close()
    for code, text in (("gy_chengxi", "城西区：已创建 3 个。"), ("gy_shannan", "山南县：已创建 2 个。")):
        obligation_submit(obligation=shares[code], text=text, by=world[f"city_{code[3:]}"])

    # 3. The prefecture, on its phone: the returns side by side, one received, then consolidated.
    context = _signed_in(chromium, live_server, users["city_guiyang"], 390, 844)
    page = context.new_page()
    page.goto(f"/deadlines/obligations/{parent.pk}/counties/")
    main = page.locator("main").inner_text()
    assert all(t in main for t in ("城东区：已创建绿色社区 4 个", "城西区：已创建 3 个。", "山南县：已创建 2 个。"))
    _fits(page, 390)
    _axe(page)
    page.locator(f"#share-{shares['gy_chengdong'].pk}").get_by_role("button", name="接收").click()
    assert "已接收城东区的报送" in page.locator("main").inner_text()
    assert "【城东区】" in page.input_value("#id_text")
    page.get_by_role("button", name="提交汇总报送").click()
    assert "已汇总报送" in page.locator("main").inner_text()
    context.close()
    parent.refresh_from_db()
    assert parent.status == Obligation.SUBMITTED and "【山南县】" in parent.submissions.get().text

    # 4. The province reads the consolidated answer and opens a county's.
    context = _signed_in(chromium, live_server, users["office"], 1440, 900)
    page = context.new_page()
    page.goto(f"/deadlines/obligations/{parent.pk}/")
    assert "【城西区】" in page.locator("main").inner_text()
    page.get_by_role("link", name="县区分解与汇总").click()
    page.get_by_role("link", name="山南县").click()
    assert "山南县：已创建 2 个。" in page.locator("main").inner_text()
    context.close()
