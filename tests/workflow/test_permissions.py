"""The permission matrix: every page and endpoint × every role. Another unit's liaison or member,
a prefecture user and a person with no role get 404 for the item, its tasks and its attachments
(never a 403 that would admit it exists), and no list or page leaks its title."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks import services as fs, services as ts
from tasks.models import Attachment, UnitRequest
from tests.conftest import verified_login

pytestmark = pytest.mark.django_db

ROLES = [
    "convener",
    "deputy",
    "office",
    "member_mzt",
    "liaison_mzt",
    "liaison_zjt",
    "liaison_gat",
    "city_guiyang",
    "city_zunyi",
    "outsider",
    "admin",
]
OVERSEERS = {"convener", "deputy", "office", "admin"}
DISPATCHERS = {"office", "deputy", "admin"}
DECIDERS = {"convener", "deputy", "admin"}
INVOLVED = {"liaison_zjt", "liaison_gat"}  # units with a share in the item (zjt leads, gat takes part)
SEES_ITEM = OVERSEERS | INVOLVED
TITLE = "机密测试事项甲"


@pytest.fixture
def world(users, unit, frozen):
    item = fs.item_dispatch(
        by=users["office"],
        title=TITLE,
        content="c",
        source="ad_hoc",
        lead_units=[unit("zjt")],
        participating_units=[unit("gat")],
        due_date=dt.date(2026, 3, 20),
    )
    gat = item.assignments.get(unit__code="gat")
    gat = ts.assignment_claim(assignment=gat, by=users["liaison_gat"])
    att = ts.attachment_add(assignment=gat, upload=SimpleUploadedFile("a.pdf", b"%PDF-1"), by=users["liaison_gat"])
    zjt = item.assignments.get(unit__code="zjt")
    req = ts.extension_request(assignment=zjt, reason="r", new_due_date=dt.date(2026, 3, 25), by=users["liaison_zjt"])
    # An item of mzt's own, so that mzt's lists are not trivially empty.
    fs.item_dispatch(
        by=users["office"],
        title="民政厅自己的事项",
        content="c",
        source="ad_hoc",
        lead_units=[unit("mzt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 20),
    )
    return {"item": item.pk, "task": gat.pk, "zjt_task": zjt.pk, "att": att.pk, "req": req.pk}


# (method, url template, data, who passes the gate, code for the others). Someone who may see the item
# but not take the office's action gets 403 (the item's existence is no secret to them); everyone else 404.
PAGES = [
    ("get", "/items/inbox/", None, set(ROLES), 404),
    ("get", "/items/queue/", None, OVERSEERS, 404),
    ("get", "/items/new/", None, DISPATCHERS, 404),
    ("post", "/items/new/", {"title": ""}, DISPATCHERS, 404),
    ("get", "/items/{item}/", None, SEES_ITEM, 404),
    ("get", "/items/attachments/{att}/", None, SEES_ITEM, 404),
    ("post", "/items/{item}/comment/", {"body": ""}, SEES_ITEM, 404),
    ("post", "/items/{item}/accept/", {"version": "0"}, DISPATCHERS, 404),
    ("post", "/items/{item}/revise/", {"reason": "", "version": "0"}, DISPATCHERS, 404),
    ("post", "/items/tasks/{task}/work/", {"result": "", "version": "0"}, {"liaison_gat"}, 404),
    ("post", "/items/tasks/{task}/attach/", {}, {"liaison_gat"}, 404),
    ("post", "/items/tasks/{task}/extension/", {"reason": ""}, {"liaison_gat"}, 404),
    ("post", "/items/tasks/{task}/return/", {"reason": ""}, {"liaison_gat"}, 404),
    ("post", "/items/tasks/{zjt_task}/claim/", {}, {"liaison_zjt"}, 404),
    ("post", "/items/requests/{req}/decide/", {"decision": "maybe"}, DECIDERS, 404),
    ("get", "/api/v1/items/", None, set(ROLES), 404),
    ("get", "/api/v1/items/{item}/", None, SEES_ITEM, 404),
    ("post", "/api/v1/items/", {"title": ""}, DISPATCHERS, 404),
    ("post", "/api/v1/items/{item}/accept/", {"version": 0}, DISPATCHERS, 404),
    ("post", "/api/v1/items/{item}/revise/", {"reason": "", "version": 0}, DISPATCHERS, 404),
    ("post", "/api/v1/items/{item}/comments/", {"body": ""}, SEES_ITEM, 404),
    ("get", "/api/v1/tasks/", None, set(ROLES), 404),
    ("get", "/api/v1/tasks/{task}/", None, {"liaison_gat"}, 404),
    ("post", "/api/v1/tasks/{task}/save/", {"result": "", "version": 0}, {"liaison_gat"}, 404),
    ("post", "/api/v1/tasks/{task}/submit/", {"result": "", "version": 0}, {"liaison_gat"}, 404),
    ("post", "/api/v1/tasks/{task}/extension/", {"reason": ""}, {"liaison_gat"}, 404),
    ("post", "/api/v1/tasks/{task}/return/", {"reason": ""}, {"liaison_gat"}, 404),
    ("post", "/api/v1/tasks/{task}/attachments/", {}, {"liaison_gat"}, 404),
    ("post", "/api/v1/tasks/{zjt_task}/claim/", {}, {"liaison_zjt"}, 404),
    ("get", "/api/v1/requests/", None, set(ROLES), 404),
    ("get", "/api/v1/requests/{req}/", None, OVERSEERS, 404),
    ("post", "/api/v1/requests/{req}/decide/", {"decision": "maybe"}, DECIDERS, 404),
]


def test_permission_matrix(users, world):
    leaks = []
    for method, template, data, allowed, denied in PAGES:
        url = template.format(**world)
        for role in ROLES:
            client = Client()
            verified_login(client, users[role])
            kwargs = {"content_type": "application/json"} if url.startswith("/api/") and data is not None else {}
            if url.startswith("/api/") and data is not None:
                import json

                data_out = json.dumps(data)
            else:
                data_out = data
            response = (
                getattr(client, method)(url, data_out, **kwargs) if data is not None else getattr(client, method)(url)
            )
            body = b"" if getattr(response, "streaming", False) else response.content
            office_action = "/accept/" in url or "/revise/" in url
            if role in allowed:
                if response.status_code in (403, 404) or response.status_code >= 500:
                    leaks.append(f"{role} {method} {url}: {response.status_code} (should pass the gate)")
            elif office_action and role in SEES_ITEM:
                if response.status_code != 403:
                    leaks.append(f"{role} {method} {url}: {response.status_code} (expected 403)")
            elif response.status_code != denied:
                leaks.append(f"{role} {method} {url}: {response.status_code} (expected {denied})")
            if role not in SEES_ITEM and TITLE.encode() in body:
                leaks.append(f"{role} {method} {url}: shows the item's title")
    assert leaks == [], "\n".join(leaks)


def test_involved_unit_may_read_but_office_actions_are_refused_with_403(users, world, client_for):
    r = client_for(users["liaison_zjt"]).post(f"/items/{world['item']}/accept/", {"version": "1"})
    assert r.status_code == 403 and "只有联席会议办公室" in r.content.decode()
    r = client_for(users["liaison_gat"]).post(f"/api/v1/items/{world['item']}/revise/", {"reason": "x", "version": 1})
    assert r.status_code == 403


def test_overseers_see_tasks_but_cannot_act_for_a_unit(users, world, client_for):
    page = client_for(users["office"]).get(f"/items/{world['item']}/").content.decode()
    assert "省公安厅" in page and "签收</button>" not in page
    assert client_for(users["office"]).post(f"/items/tasks/{world['zjt_task']}/claim/").status_code == 404


def test_lists_hold_only_the_users_units(users, world, client_for):
    mzt = client_for(users["liaison_mzt"])
    assert [r["item_title"] for r in mzt.get("/api/v1/tasks/").json()["results"]] == ["民政厅自己的事项"]
    assert [r["title"] for r in mzt.get("/api/v1/items/").json()["results"]] == ["民政厅自己的事项"]
    assert (
        mzt.get("/api/v1/requests/").json() == {"count": 0, "next": None, "previous": None, "results": []}
        or mzt.get("/api/v1/requests/").json()["results"] == []
    )
    gat = client_for(users["liaison_gat"]).get("/items/inbox/").content.decode()
    assert TITLE in gat and "民政厅自己的事项" not in gat
    assert len(client_for(users["office"]).get("/api/v1/items/").json()["results"]) == 2


def test_anonymous_is_sent_to_sign_in_or_refused(world):
    c = Client()
    assert c.get(f"/items/{world['item']}/").status_code == 302
    assert c.get("/items/inbox/")["Location"].startswith("/accounts/login/")
    assert c.get("/api/v1/items/").status_code in (401, 403)
    assert c.get(f"/items/attachments/{world['att']}/").status_code == 302


def test_an_attachment_of_another_item_is_404_even_with_a_valid_item(users, world, client_for, unit):
    other = fs.item_dispatch(
        by=users["office"],
        title="另一事项",
        content="c",
        source="ad_hoc",
        lead_units=[unit("mzt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 20),
    )
    assert Attachment.objects.count() == 1 and UnitRequest.objects.count() == 1
    assert client_for(users["liaison_mzt"]).get(f"/items/{other.pk}/").status_code == 200
    assert client_for(users["liaison_mzt"]).get(f"/items/attachments/{world['att']}/").status_code == 404
