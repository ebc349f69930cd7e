"""The same journeys through the web pages, as each person meets them; bad input on the pages."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from members.models import WorkLine
from tasks.models import Attachment, Item, UnitRequest

pytestmark = pytest.mark.django_db


def share(item, code):
    return item.assignments.exclude(status="rerouted").get(unit__code=code)


def post_item(client, unit, **over):
    data = {
        "title": "推进老旧小区绿色化改造",
        "content": "请按分工办理。",
        "source": "ad_hoc",
        "source_note": "",
        "primary_lead": unit("zjt").pk,
        "co_leads": [],
        "participating": [unit("mzt").pk, unit("gat").pk],
        "due_date": "2026-03-20",
        "contribution_due_date": "",
    }
    data.update(over)
    return client.post("/items/new/", data)


def test_one_lead_two_participants_through_the_pages(users, client_for, unit, frozen):
    office = client_for(users["office"])
    response = post_item(office, unit)
    assert response.status_code == 302
    item = Item.objects.get()
    assert response["Location"] == f"/items/{item.pk}/"

    for code in ("mzt", "gat"):
        c = client_for(users[f"liaison_{code}"])
        inbox = c.get("/items/inbox/").content.decode()
        assert "推进老旧小区绿色化改造" in inbox and "协办（配合）" in inbox and "2026-03-18" in inbox
        a = share(item, code)
        assert c.post(f"/items/tasks/{a.pk}/claim/").status_code == 302
        a.refresh_from_db()
        r = c.post(f"/items/tasks/{a.pk}/work/", {"result": f"{code} 的反馈", "version": a.version, "submit": "1"})
        assert r.status_code == 302, r.content.decode()

    zjt = client_for(users["liaison_zjt"])
    lead = share(item, "zjt")
    zjt.post(f"/items/tasks/{lead.pk}/claim/")
    page = zjt.get(f"/items/{item.pk}/").content.decode()
    assert "mzt 的反馈" in page and "gat 的反馈" in page and "汇总报送" in page  # side by side
    lead.refresh_from_db()
    zjt.post(f"/items/tasks/{lead.pk}/work/", {"result": "汇总稿", "version": lead.version, "submit": "1"})
    item.refresh_from_db()
    assert item.status == "under_review"

    page = office.get(f"/items/{item.pk}/").content.decode()
    assert "办结" in page and "退回修改" in page
    r = office.post(f"/items/{item.pk}/revise/", {"reason": "请补充数据", "version": item.version})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "revision"
    assert "退回修改" in zjt.get("/items/inbox/").content.decode()
    zjt.post(f"/items/tasks/{lead.pk}/work/", {"result": "补充后的汇总", "version": lead.version, "submit": "1"})
    item.refresh_from_db()
    r = office.post(f"/items/{item.pk}/accept/", {"version": item.version})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.status == "done"
    page = office.get(f"/items/{item.pk}/").content.decode()
    for text in ("交办", "签收", "提交反馈", "汇总报送", "退回修改", "办结", "请补充数据"):
        assert text in page, text


def test_work_line_prefills_lead_and_participating_units(users, client_for, mechanism):
    line = WorkLine.objects.get(code="4b")  # mzt leads, zjt and gat take part
    form = client_for(users["office"]).get(f"/items/new/?work_line={line.pk}").context["form"]
    assert form.initial["primary_lead"] == line.lead_units[0].pk
    assert sorted(form.initial["participating"]) == sorted(u.pk for u in line.participating_units)
    joint = WorkLine.objects.get(code="5c")  # mzt + fgw + jtt
    form = client_for(users["office"]).get(f"/items/new/?work_line={joint.pk}").context["form"]
    assert len(form.initial["co_leads"]) == 2


def test_return_reroute_and_extensions_through_the_pages(users, client_for, unit, frozen):
    post_item(client_for(users["office"]), unit)
    item = Item.objects.get()
    gat = client_for(users["liaison_gat"])
    a = share(item, "gat")
    assert gat.post(f"/items/tasks/{a.pk}/return/", {"reason": "属生态环境厅职责"}).status_code == 302
    req = UnitRequest.objects.get()
    assert "属生态环境厅职责" in client_for(users["convener"]).get("/items/queue/").content.decode()
    # The office cannot decide; a liaison cannot even see the decision URL.
    assert (
        client_for(users["office"]).post(f"/items/requests/{req.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )
    r = client_for(users["convener"]).post(
        f"/items/requests/{req.pk}/decide/", {"decision": "approve", "units": [unit("sthjt").pk], "note": "改派"}
    )
    assert r.status_code == 302
    assert share(item, "sthjt").rerouted_from_id == a.pk

    mzt = client_for(users["liaison_mzt"])
    m = share(item, "mzt")
    mzt.post(f"/items/tasks/{m.pk}/extension/", {"reason": "需调研", "new_due_date": "2026-03-19"})
    r1 = UnitRequest.objects.get(kind="extension")
    client_for(users["deputy"]).post(f"/items/requests/{r1.pk}/decide/", {"decision": "refuse", "note": "按期"})
    m.refresh_from_db()
    assert m.due_date == dt.date(2026, 3, 18)
    z = share(item, "zjt")
    client_for(users["liaison_zjt"]).post(
        f"/items/tasks/{z.pk}/extension/", {"reason": "数据晚到", "new_due_date": "2026-03-27"}
    )
    r2 = UnitRequest.objects.get(kind="extension", status="pending")
    client_for(users["convener"]).post(f"/items/requests/{r2.pk}/decide/", {"decision": "approve"})
    item.refresh_from_db()
    assert item.due_date == dt.date(2026, 3, 27)
    page = client_for(users["liaison_mzt"]).get(f"/items/{item.pk}/").content.decode()
    assert "不同意" in page and "同意" in page and "省生态环境厅" in page  # every decision is visible


@pytest.mark.parametrize(
    "over, message",
    [
        ({"title": ""}, "该字段是必填项"),
        ({"title": "长" * 121}, "120"),
        ({"due_date": "2026-02-27"}, "办理时限不能早于今天"),
        ({"due_date": "明天"}, "输入一个有效的日期"),
        ({"contribution_due_date": "2026-03-25"}, "不能晚于办理时限"),
        ({"participating": [], "co_leads": [], "primary_lead": ""}, "该字段是必填项"),
    ],
)
def test_bad_item_form_gives_chinese_message_and_creates_nothing(users, client_for, unit, frozen, over, message):
    r = post_item(client_for(users["office"]), unit, **over)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert Item.objects.count() == 0


def _claimed(users, client_for, unit):
    post_item(client_for(users["office"]), unit)
    item = Item.objects.get()
    c = client_for(users["liaison_mzt"])
    a = share(item, "mzt")
    c.post(f"/items/tasks/{a.pk}/claim/")
    a.refresh_from_db()
    return c, a


def test_bad_task_input_changes_nothing(users, client_for, unit, frozen):
    c, a = _claimed(users, client_for, unit)
    before = (AuditEntry.objects.count(), a.version)

    def check(response, text, status=400):
        assert response.status_code == status, response.status_code
        assert text in response.content.decode(), response.content.decode()[:3000]
        a.refresh_from_db()
        assert (AuditEntry.objects.count(), a.version) == before

    check(c.post(f"/items/tasks/{a.pk}/work/", {"result": "  ", "version": a.version, "submit": "1"}), "请填写办理情况")
    check(
        c.post(f"/items/tasks/{a.pk}/work/", {"result": "字" * 5001, "version": a.version, "submit": "1"}),
        "办理情况不能超过 5000 字",
    )
    r = c.post(f"/items/tasks/{a.pk}/work/", {"result": "保留我写的内容", "version": a.version - 1, "submit": "1"})
    check(r, "已被他人修改", 409)
    assert "保留我写的内容" in r.content.decode()  # the user's text is not lost
    check(
        c.post(f"/items/tasks/{a.pk}/attach/", {"file": SimpleUploadedFile("run.exe", b"MZ\x90\x00")}),
        "不支持的文件类型",
    )
    check(c.post(f"/items/tasks/{a.pk}/attach/", {"file": SimpleUploadedFile("fake.pdf", b"<html>")}), "的内容与扩展名")
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (20 * 1024 * 1024))
    check(c.post(f"/items/tasks/{a.pk}/attach/", {"file": big}), "单个文件不能超过 20 MB")
    check(c.post(f"/items/tasks/{a.pk}/attach/", {}), "请选择要上传的文件")
    check(c.post(f"/items/tasks/{a.pk}/extension/", {"reason": "x", "new_due_date": "2026-02-01"}), "须晚于现时限")
    check(c.post(f"/items/tasks/{a.pk}/extension/", {"reason": "x", "new_due_date": "2026/3/19"}), "日期格式不正确")
    check(c.post(f"/items/tasks/{a.pk}/extension/", {"reason": "", "new_due_date": "2026-03-19"}), "请填写延期理由")
    check(c.post(f"/items/tasks/{a.pk}/return/", {"reason": ""}), "请填写退回理由")
    check(c.post(f"/items/{a.item_id}/comment/", {"body": ""}), "请填写意见内容")
    assert Attachment.objects.count() == 0 and UnitRequest.objects.count() == 0


def test_double_submit_second_click_is_refused(users, client_for, unit, frozen):
    c, a = _claimed(users, client_for, unit)
    data = {"result": "反馈", "version": a.version, "submit": "1"}
    assert c.post(f"/items/tasks/{a.pk}/work/", data).status_code == 302
    count = AuditEntry.objects.count()
    r = c.post(f"/items/tasks/{a.pk}/work/", data, follow=True)  # the same click again: it succeeded
    assert r.status_code == 200 and "已提交反馈" in r.content.decode()
    assert AuditEntry.objects.count() == count
    r = c.post(f"/items/tasks/{a.pk}/work/", {**data, "result": "另一段"})
    assert r.status_code == 409 and "请勿重复提交" in r.content.decode() and "另一段" in r.content.decode()
    assert AuditEntry.objects.count() == count


def test_attachment_upload_and_download(users, client_for, unit, frozen):
    c, a = _claimed(users, client_for, unit)
    r = c.post(f"/items/tasks/{a.pk}/attach/", {"file": SimpleUploadedFile("反馈材料.pdf", b"%PDF-1.4 test")})
    assert r.status_code == 302
    att = Attachment.objects.get()
    assert att.name == "反馈材料.pdf" and att.assignment == a
    r = c.get(f"/items/attachments/{att.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.4 test"


def test_inbox_filters_search_and_keyset_pages(users, client_for, unit, frozen):
    from tasks import services as fs

    for i in range(5):
        fs.item_dispatch(
            by=users["office"],
            title=f"事项{i}",
            content="c",
            source="ad_hoc",
            lead_units=[unit("mzt")] if i % 2 else [unit("zjt")],
            participating_units=[] if i % 2 else [unit("mzt")],
            due_date=dt.date(2026, 3, 10 + i),
        )
    fs.item_dispatch(
        by=users["office"],
        title="逾期以后",
        content="c",
        source="ad_hoc",
        lead_units=[unit("mzt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 2),
    )
    c = client_for(users["liaison_mzt"])
    rows = c.get("/items/inbox/").context["rows"]
    assert [r.title for r in rows][:2] == ["逾期以后", "事项0"]
    assert [r.title for r in c.get("/items/inbox/?role=lead").context["rows"]] == ["逾期以后", "事项1", "事项3"]
    assert [r.title for r in c.get("/items/inbox/?q=事项3").context["rows"]] == ["事项3"]
    soon = [r.title for r in c.get("/items/inbox/?due=soon").context["rows"]]
    assert soon == ["逾期以后"]
    from tasks import selectors

    page1, cursor = selectors.inbox(users["liaison_mzt"], selectors.Filters(), limit=4)
    page2, end = selectors.inbox(users["liaison_mzt"], selectors.Filters(after=cursor), limit=4)
    assert len(page1) == 4 and len(page2) == 2 and end == ""
    assert {r.pk for r in page1}.isdisjoint({r.pk for r in page2})
    colours = {r.title: r.colour for r in rows}
    assert colours["逾期以后"] == "yellow" and colours["事项4"] == "none"
    html = c.get("/items/inbox/").content.decode()
    assert "今日到期" in html and "ladder-yellow" in html


def test_odd_query_strings_do_not_break_the_lists(users, client_for, frozen):
    for url in (
        "/items/inbox/?after=garbage",
        "/items/inbox/?after=2026-13-01.5",
        "/items/inbox/?after=2026-03-01.-1",
        "/items/inbox/?after=2026-03-01.99999999999999999999999",
        "/items/inbox/?status=nope&role=x&due=y",
        "/items/inbox/?q=" + "长" * 200,
    ):
        assert client_for(users["liaison_mzt"]).get(url).status_code == 200, url
    for url in (
        "/items/queue/?unit=99999999999999999999999",
        "/items/queue/?unit=abc&status=all",
        "/items/queue/?after=2026-03-01.1",
    ):
        assert client_for(users["office"]).get(url).status_code == 200, url
