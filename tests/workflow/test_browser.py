import datetime as dt

import pytest

from members.models import MemberUnit
from tasks import services as fs
from tasks.models import Assignment, Attachment
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_claims_attaches_and_submits(users, browser_page, tmp_path):
    unit = MemberUnit.objects.get
    item = fs.item_dispatch(
        by=users["office"],
        title="建立社区议事协商平台",
        content="请反馈进展。",
        source="ad_hoc",
        lead_units=[unit(code="zjt")],
        participating_units=[unit(code="mzt")],
        due_date=dt.date.today() + dt.timedelta(days=30),
    )
    draft = tmp_path / "反馈材料.pdf"
    draft.write_bytes(b"%PDF-1.4\n% test\n")

    page = browser_page
    page.goto("/")
    page.fill("#id_username", "liaison_mzt")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/items/inbox/")
    assert page.locator("h1").inner_text() == "我的待办"
    row = page.locator("tbody tr", has_text="建立社区议事协商平台")
    assert "待签收" in row.inner_text() and "协办（配合）" in row.inner_text()
    row.get_by_role("link", name="建立社区议事协商平台").click()
    page.get_by_role("button", name="签收").click()
    page.wait_for_selector("text=已签收，请办理。")
    page.set_input_files("input[type=file]", str(draft))
    page.get_by_role("button", name="上传附件", exact=True).click()
    page.wait_for_selector("text=附件已上传。")
    assert page.get_by_role("link", name="反馈材料.pdf").count() >= 1
    page.fill("textarea[name=result]", "已指导 12 个社区建立议事协商平台。")
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_selector("text=已提交反馈。")
    assert "已反馈" in page.locator("main").inner_text()

    a = Assignment.objects.get(item=item, unit__code="mzt")
    assert a.status == "submitted" and a.result.startswith("已指导") and a.submitted_by == users["liaison_mzt"]
    assert Attachment.objects.get().assignment == a
    page.goto("/items/inbox/")
    assert "没有待办事项" in page.locator("main").inner_text()


def test_typed_feedback_survives_two_uploads_and_is_submitted(users, browser_page, tmp_path):
    """Issue 14: typing, then uploading (twice), must not lose the text; 提交反馈 sends it with both files."""
    unit = MemberUnit.objects.get
    item = fs.item_dispatch(
        by=users["office"],
        title="开展绿色社区宣传",
        content="请反馈。",
        source="ad_hoc",
        lead_units=[unit(code="zjt")],
        participating_units=[unit(code="mzt")],
        due_date=dt.date.today() + dt.timedelta(days=30),
    )
    first, second = tmp_path / "宣传方案.pdf", tmp_path / "活动照片.png"
    first.write_bytes(b"%PDF-1.4\n% test\n")
    second.write_bytes(b"\x89PNG\r\n\x1a\n")
    text = "已在 8 个社区开展绿色生活宣传，发放资料 3000 份。"

    page = browser_page
    page.goto(f"/items/{item.pk}/")
    page.fill("#id_username", "liaison_mzt")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("button", name="签收").click()
    page.wait_for_selector("text=已签收，请办理。")
    page.fill("textarea[name=result]", text)
    page.set_input_files("input[type=file][name=file]", str(first))
    page.get_by_role("button", name="上传附件", exact=True).click()
    page.wait_for_selector("text=附件已上传。")
    assert page.input_value("textarea[name=result]") == text
    page.set_input_files("input[type=file][name=file]", str(second))
    page.get_by_role("button", name="上传附件", exact=True).click()
    page.wait_for_selector("text=附件已上传。")
    assert page.input_value("textarea[name=result]") == text
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_selector("text=已提交反馈。")

    a = Assignment.objects.get(item=item, unit__code="mzt")
    assert a.status == "submitted" and a.result == text
    assert sorted(Attachment.objects.filter(assignment=a).values_list("name", flat=True)) == [
        "宣传方案.pdf",
        "活动照片.png",
    ]
    assert text in page.locator("main").inner_text()
