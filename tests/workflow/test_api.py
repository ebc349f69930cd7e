"""The journeys through the API, with the same rules and Chinese messages as the pages."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.models import Item

pytestmark = pytest.mark.django_db


def api(client_for, user):
    c = client_for(user)

    def call(method, url, data=None, **kw):
        if data is not None and "format" not in kw:
            kw["content_type"] = "application/json"
        return (
            getattr(c, method)(f"/api/v1/{url}", data, **kw)
            if data is not None
            else getattr(c, method)(f"/api/v1/{url}")
        )

    return call


def my_task(call, item_id):
    return next(t for t in call("get", "tasks/").json()["results"] if t["item"] == item_id)


def work(call, item_id, text):
    t = my_task(call, item_id)
    t = call("post", f"tasks/{t['id']}/claim/").json()
    r = call("post", f"tasks/{t['id']}/submit/", {"result": text, "version": t["version"]})
    assert r.status_code == 200, r.json()
    return r.json()


def create(office, lead=("zjt",), participating=("mzt", "gat"), **over):
    body = {
        "title": "推进绿色社区创建",
        "content": "请办理",
        "source": "ad_hoc",
        "lead_units": list(lead),
        "participating_units": list(participating),
        "due_date": "2026-03-20",
        **over,
    }
    return office("post", "items/", body)


def test_lead_and_two_participants_through_the_api(users, client_for, frozen):
    office = api(client_for, users["office"])
    r = create(office)
    assert r.status_code == 201, r.json()
    item = r.json()
    assert [(a["unit_code"], a["role"], a["due_date"]) for a in item["assignments"]] == [
        ("zjt", "lead", "2026-03-20"),
        ("mzt", "participating", "2026-03-18"),
        ("gat", "participating", "2026-03-18"),
    ]
    mzt, gat, zjt = (api(client_for, users[f"liaison_{c}"]) for c in ("mzt", "gat", "zjt"))
    t = my_task(zjt, item["id"])
    t = zjt("post", f"tasks/{t['id']}/claim/").json()
    early = zjt("post", f"tasks/{t['id']}/submit/", {"result": "汇总", "version": t["version"]})
    assert early.status_code == 400 and "尚有单位未反馈" in early.json()["detail"]
    r = gat("post", f"tasks/{my_task(gat, item['id'])['id']}/claim/").json()
    up = gat(
        "post",
        f"tasks/{r['id']}/attachments/",
        {"file": SimpleUploadedFile("表.xlsx", b"PK\x03\x04xx")},
        format="multipart",
    )
    assert up.status_code == 201 and up.json()["name"] == "表.xlsx"
    bad = gat(
        "post", f"tasks/{r['id']}/attachments/", {"file": SimpleUploadedFile("x.sh", b"#!/bin/sh")}, format="multipart"
    )
    assert bad.status_code == 400 and "不支持的文件类型" in bad.json()["detail"]
    gat("post", f"tasks/{r['id']}/submit/", {"result": "公安厅反馈", "version": r["version"]})
    work(mzt, item["id"], "民政厅反馈")
    t = zjt("get", f"tasks/{t['id']}/").json()
    assert zjt("post", f"tasks/{t['id']}/submit/", {"result": "汇总", "version": t["version"]}).status_code == 200
    detail = office("get", f"items/{item['id']}/").json()
    assert detail["status"] == "under_review" and len(detail["attachments"]) == 1
    r = office("post", f"items/{item['id']}/revise/", {"reason": "", "version": detail["version"]})
    assert r.status_code == 400 and r.json()["detail"] == "请填写退回修改的理由。"
    r = office("post", f"items/{item['id']}/revise/", {"reason": "补充数据", "version": detail["version"]})
    assert r.json()["status"] == "revision"
    t = my_task(zjt, item["id"])
    assert t["status"] == "revision"
    zjt("post", f"tasks/{t['id']}/submit/", {"result": "补充后的汇总", "version": t["version"]})
    v = office("get", f"items/{item['id']}/").json()["version"]
    stale = office("post", f"items/{item['id']}/accept/", {"version": v - 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    done = office("post", f"items/{item['id']}/accept/", {"version": v})
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = office("post", f"items/{item['id']}/accept/", {"version": v})  # a repeat of one's own 办结
    assert again.status_code == 200 and again.json()["version"] == done.json()["version"]  # succeeded, no write


def test_joint_leads_through_the_api(users, client_for, frozen):
    office = api(client_for, users["office"])
    item = create(office, lead=("mzt", "gat"), participating=()).json()
    assert [a["role_label"] for a in item["assignments"]] == ["主办（主牵头）", "主办（共同牵头）"]
    work(api(client_for, users["liaison_gat"]), item["id"], "公安厅部分")
    work(api(client_for, users["liaison_mzt"]), item["id"], "民政厅汇总")
    assert office("get", f"items/{item['id']}/").json()["status"] == "under_review"


def test_return_rerouted_and_extensions_through_the_api(users, client_for, frozen):
    office = api(client_for, users["office"])
    item = create(office).json()
    gat = api(client_for, users["liaison_gat"])
    t = my_task(gat, item["id"])
    r = gat("post", f"tasks/{t['id']}/return/", {"reason": "非本厅职责"})
    assert r.status_code == 201
    convener = api(client_for, users["convener"])
    pending = convener("get", "requests/").json()["results"]
    assert [p["kind"] for p in pending] == ["return"]
    assert (
        convener(
            "post", f"requests/{pending[0]['id']}/decide/", {"decision": "approve", "units": ["nosuch"]}
        ).status_code
        == 400
    )
    r = convener("post", f"requests/{pending[0]['id']}/decide/", {"decision": "approve", "units": ["sthjt"]})
    assert r.status_code == 200 and r.json()["rerouted_to"] == ["省生态环境厅"]
    codes = [
        a["unit_code"] for a in office("get", f"items/{item['id']}/").json()["assignments"] if a["status"] != "rerouted"
    ]
    assert sorted(codes) == ["mzt", "sthjt", "zjt"]
    assert all(t["item"] != item["id"] for t in gat("get", "tasks/").json()["results"])

    zjt = api(client_for, users["liaison_zjt"])
    t = my_task(zjt, item["id"])
    past = zjt("post", f"tasks/{t['id']}/extension/", {"reason": "x", "new_due_date": "2026-02-01"})
    assert past.status_code == 400 and "须晚于现时限" in past.json()["detail"]
    missing = zjt("post", f"tasks/{t['id']}/extension/", {"reason": "x"})
    assert missing.status_code == 400 and missing.json()["detail"] == "请填写申请延至的日期。"
    req = zjt("post", f"tasks/{t['id']}/extension/", {"reason": "数据晚到", "new_due_date": "2026-03-31"}).json()
    deputy = api(client_for, users["deputy"])
    assert deputy("post", f"requests/{req['id']}/decide/", {"decision": "approve"}).json()["status"] == "approved"
    assert office("get", f"items/{item['id']}/").json()["due_date"] == "2026-03-31"
    mzt = api(client_for, users["liaison_mzt"])
    t = my_task(mzt, item["id"])
    req = mzt("post", f"tasks/{t['id']}/extension/", {"reason": "调研", "new_due_date": "2026-03-25"}).json()
    assert (
        convener("post", f"requests/{req['id']}/decide/", {"decision": "refuse", "note": "按期"}).json()["status"]
        == "refused"
    )
    assert my_task(mzt, item["id"])["due_date"] == "2026-03-18"


def test_bad_create_input_through_the_api(users, client_for, frozen):
    office = api(client_for, users["office"])
    for over, text in [
        ({"title": ""}, "请填写标题"),
        ({"due_date": "2026-01-01"}, "不能早于今天"),
        ({"lead_units": []}, "请至少选择一个牵头单位"),
        ({"lead_units": ["xyz"]}, "没有这些成员单位"),
        ({"due_date": "not a date"}, "办理时限：日期格式错误"),
    ]:
        r = create(office, **over)
        assert r.status_code == 400 and text in r.json()["detail"], (over, r.json())
    assert Item.objects.count() == 0


def test_items_list_is_keyset_paginated(users, client_for, frozen, unit):
    from tasks import services as fs

    for i in range(3):
        fs.item_dispatch(
            by=users["office"],
            title=f"事项{i}",
            content="c",
            source="ad_hoc",
            lead_units=[unit("zjt")],
            participating_units=[],
            due_date=dt.date(2026, 3, 10 + i),
        )
    r = client_for(users["office"]).get("/api/v1/items/").json()
    assert [i["title"] for i in r["results"]] == ["事项0", "事项1", "事项2"] and "next" in r


def test_schema_lists_the_endpoints(users, client_for):
    schema = client_for(users["office"]).get("/api/schema/").content.decode()
    for path in (
        "/api/v1/items/",
        "/api/v1/tasks/{id}/submit/",
        "/api/v1/tasks/{id}/claim/",
        "/api/v1/items/{id}/accept/",
        "/api/v1/requests/{id}/decide/",
        "/api/v1/tasks/{id}/attachments/",
    ):
        assert path in schema, path


def test_item_from_a_work_line_takes_its_units(users, client_for, frozen):
    from members.models import WorkLine

    office = api(client_for, users["office"])
    line = WorkLine.objects.get(code="5c")  # joint leads mzt + fgw + jtt
    r = office(
        "post",
        "items/",
        {
            "title": line.title,
            "content": line.content,
            "source": "work_line",
            "work_line": line.pk,
            "due_date": "2026-03-20",
        },
    )
    assert r.status_code == 201, r.json()
    assert [(a["unit_code"], a["role"], a["order"]) for a in r.json()["assignments"]] == [
        (u.code, "lead", i) for i, u in enumerate(line.lead_units)
    ]
    line = WorkLine.objects.get(code="1b")  # zjt leads, mzt and sthjt take part
    r = office(
        "post",
        "items/",
        {"title": "t", "content": "c", "source": "work_line", "work_line": line.pk, "due_date": "2026-03-20"},
    )
    assert sorted(a["unit_code"] for a in r.json()["assignments"] if a["role"] == "participating") == ["mzt", "sthjt"]
