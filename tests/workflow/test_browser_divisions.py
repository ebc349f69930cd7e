"""二次交办 in the browser (docs/divisions.md): 住建厅's liaison passes the unit's share to two divisions,
each division's liaison reports on a phone, each division head approves (成员审核), the unit's
liaison consolidates, the office accepts. Pages fit 390 px and 1440 px and pass axe."""

import datetime as dt

import pytest

from members.models import Division, MemberUnit, Person
from members.services import account_create, unit_division_settings_set
from tasks import services as fs
from tasks.models import Assignment, DivisionPart, HeadReview, Item
from tests.conftest import PASSWORD, second_factor_pass

from ..test_responsive import chromium  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "推进既有住宅加装电梯和物业服务提升"
PEOPLE = {"zjt_zfbz": "刘光伦", "zjt_fdc": "樊欣", "head_zfbz": "文健", "head_fdc": "陈少鸿"}


def _sign_in(browser, live_server, username, width):
    context = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport={"width": width, "height": 844 if width < 800 else 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor_pass(page, username)
    page.wait_for_load_state()
    return context, page


def _fits_and_passes_axe(page, width, problems, label):
    from axe_playwright_python.sync_playwright import Axe

    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{label} @{width}px: 页面宽 {scroll}px")
    for v in Axe().run(page).response["violations"]:
        if v["impact"] in {"serious", "critical"}:
            problems.append(f"{label} @{width}px: {v['id']} {v['nodes'][0]['target']}")


def test_pass_down_to_two_divisions_review_consolidate_accept(users, live_server, chromium):  # noqa: F811
    zjt = MemberUnit.objects.get(code="zjt")
    unit_division_settings_set(
        unit=zjt, coordinating_division=zjt.coordinating_division, head_review=True, by=users["office"]
    )
    for username, name in PEOPLE.items():
        account_create(username=username, password=PASSWORD, person=Person.objects.get(name=name))
    item = fs.item_dispatch(
        by=users["office"],
        title=TITLE,
        content="请住建厅统筹办理并反馈。",
        source="ad_hoc",
        lead_units=[zjt],
        participating_units=[],
        due_date=dt.date.today() + dt.timedelta(days=30),
    )
    problems = []

    # 1. The unit's liaison (蔡立智, 城市建设处) claims and passes the share to two divisions.
    context, page = _sign_in(chromium, live_server, "liaison_zjt", 1440)
    page.goto(f"/items/{item.pk}/")
    page.get_by_role("button", name="签收").click()
    page.wait_for_selector("text=已签收，请办理。")
    page.locator("summary", has_text="二次交办给处室").click()
    page.get_by_label("住房保障处").check()
    page.get_by_label("房地产市场监管处").check()
    page.fill("textarea[name=note]", "住房保障处负责加装电梯，房地产市场监管处负责物业服务")
    page.get_by_role("button", name="交由处室办理").click()
    page.wait_for_selector("text=已交由处室办理")
    assert page.locator("#divisions-" + str(item.assignments.get().pk)).get_by_text("住房保障处").count() >= 1
    _fits_and_passes_axe(page, 1440, problems, "liaison_zjt item")
    context.close()

    # 2. Each division's liaison reports on a phone, from 处室事项.
    for username, text in (("zjt_zfbz", "已完成 36 个小区加装电梯摸底。"), ("zjt_fdc", "已约谈 12 家物业服务企业。")):
        context, page = _sign_in(chromium, live_server, username, 390)
        page.goto("/divisions/")
        assert "处室事项" in page.locator("h1").inner_text()
        _fits_and_passes_axe(page, 390, problems, f"{username} 处室事项")
        page.get_by_role("link", name=TITLE).click()
        page.wait_for_selector("text=本处室任务")
        _fits_and_passes_axe(page, 390, problems, f"{username} item")
        page.locator("section[id^=part-] textarea[name=result]").fill(text)
        page.get_by_role("button", name="提交成员审核").click()
        page.wait_for_selector("text=已提交成员审核。")
        context.close()
    assert set(DivisionPart.objects.values_list("status", flat=True)) == {"in_review"}

    # 3. Each division head approves (成员审核).
    for username in ("head_zfbz", "head_fdc"):
        context, page = _sign_in(chromium, live_server, username, 390)
        page.goto("/divisions/")
        page.get_by_role("link", name=TITLE).click()
        page.wait_for_selector("text=成员审核：")
        _fits_and_passes_axe(page, 390, problems, f"{username} review")
        page.get_by_role("button", name="审核通过").click()
        page.wait_for_selector("text=已审核通过。")
        context.close()
    assert set(DivisionPart.objects.values_list("status", flat=True)) == {"submitted"}
    assert set(HeadReview.objects.values_list("status", flat=True)) == {"approved"}

    # 4. The unit's liaison consolidates the two parts into the unit's report.
    share = Assignment.objects.get(item=item)
    context, page = _sign_in(chromium, live_server, "liaison_zjt", 390)
    page.goto(f"/items/{item.pk}/")
    assert "已完成 36 个小区加装电梯摸底。" in page.locator("main").inner_text()
    page.fill(f"#result-{share.pk}", "汇总：加装电梯摸底 36 个小区；约谈物业服务企业 12 家。")
    page.get_by_role("button", name="汇总报送").click()
    page.wait_for_selector("text=已汇总报送办公室审核。")
    _fits_and_passes_axe(page, 390, problems, "liaison_zjt consolidated")
    context.close()
    assert set(DivisionPart.objects.values_list("status", flat=True)) == {"consolidated"}

    # 5. The office accepts.
    context, page = _sign_in(chromium, live_server, "office", 1440)
    page.goto(f"/items/{item.pk}/")
    assert "成员审核记录" in page.locator("main").inner_text()
    page.get_by_role("button", name="办结").click()
    page.wait_for_selector("text=已办结。")
    context.close()
    assert Item.objects.get(pk=item.pk).status == Item.Status.DONE
    # 处室与成员审核, on a phone: the office turns 成员审核 off for 住建厅 (audited).
    context, page = _sign_in(chromium, live_server, "office", 390)
    page.goto("/divisions/settings/")
    _fits_and_passes_axe(page, 390, problems, "office 处室与成员审核")
    row = page.locator(f"#unit-{zjt.pk}")
    row.get_by_label("成员审核").uncheck()
    row.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已保存省住房城乡建设厅的设置。")
    context.close()
    zjt.refresh_from_db()
    assert not zjt.head_review
    assert not problems, "\n".join(problems)
    assert Division.objects.filter(unit=zjt).count() == 9
