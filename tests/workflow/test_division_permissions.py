"""The permission matrix extended to division accounts (docs/divisions.md): 住建厅's division liaisons
and members see the item only through their own division's part, never another division's part, its
files or its review; the unit's liaison sees all of the unit's; everyone else 404."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from members.models import Division, MemberUnit, Person
from members.services import account_create, unit_division_settings_set
from tasks import divisions as ds, services as fs, services as ts
from tasks.models import HeadReview
from tests.conftest import PASSWORD, verified_login

from .test_permissions import DISPATCHERS, OVERSEERS, ROLES

pytestmark = pytest.mark.django_db

TITLE = "处室测试事项乙"
SECRET_1 = "第二处室的机密办理情况"
DIVISIONS = {
    "div0": ("住房保障处", "刘光伦", "文健"),
    "div1": ("房地产市场监管处", "樊欣", "陈少鸿"),
    "div2": ("信息化处", "罗雄", "罗立平"),
}
DIVISION_ROLES = [f"{d}_{k}" for d in DIVISIONS for k in ("liaison", "member")]
ALL = ROLES + DIVISION_ROLES
UNIT = {"liaison_zjt"}
SEES_ITEM = OVERSEERS | UNIT | {"liaison_gat"} | {"div0_liaison", "div0_member", "div1_liaison", "div1_member"}
SEES_PART_1 = OVERSEERS | UNIT | {"div1_liaison", "div1_member"}


@pytest.fixture
def world(users, unit, frozen):
    accounts = dict(users)
    zjt = MemberUnit.objects.get(code="zjt")
    for key, (_division, liaison, member) in DIVISIONS.items():
        accounts[f"{key}_liaison"] = account_create(
            username=f"{key}_l", password=PASSWORD, person=Person.objects.get(name=liaison)
        )
        accounts[f"{key}_member"] = account_create(
            username=f"{key}_m", password=PASSWORD, person=Person.objects.get(name=member)
        )
    unit_division_settings_set(
        unit=zjt, coordinating_division=zjt.coordinating_division, head_review=True, by=users["office"]
    )
    item = fs.item_dispatch(
        by=users["office"],
        title=TITLE,
        content="c",
        source="ad_hoc",
        lead_units=[unit("zjt")],
        participating_units=[unit("gat")],
        due_date=dt.date(2026, 3, 20),
    )
    share = item.assignments.get(unit__code="zjt")
    ts.assignment_claim(assignment=share, by=users["liaison_zjt"])
    d0, d1 = (Division.objects.get(unit=zjt, name=DIVISIONS[k][0]) for k in ("div0", "div1"))
    p0, p1 = ds.share_assign_divisions(assignment=share, divisions=[d0, d1], by=users["liaison_zjt"])
    att0 = ds.part_attachment_add(part=p0, upload=SimpleUploadedFile("零.pdf", b"%PDF-1"), by=accounts["div0_liaison"])
    att1 = ds.part_attachment_add(part=p1, upload=SimpleUploadedFile("一.pdf", b"%PDF-1"), by=accounts["div1_liaison"])
    ds.division_part_submit(part=p1, result=SECRET_1, version=None, by=accounts["div1_liaison"])
    review1 = HeadReview.objects.get(part=p1)
    return {
        "accounts": accounts,
        "ids": {
            "item": item.pk,
            "share": share.pk,
            "part0": p0.pk,
            "part1": p1.pk,
            "att0": att0.pk,
            "att1": att1.pk,
            "review1": review1.pk,
        },
    }


SHARE_MANAGERS = UNIT | DISPATCHERS
PAGES = [
    ("get", "/items/{item}/", None, SEES_ITEM),
    ("get", "/api/v1/items/{item}/", None, SEES_ITEM),
    ("get", "/divisions/", None, set(ALL)),
    ("get", "/divisions/settings/", None, DISPATCHERS),
    ("post", "/divisions/settings/", {"unit": "0"}, set()),  # no such unit: 404 for everyone
    ("get", "/divisions/files/{att0}/", None, OVERSEERS | UNIT | {"div0_liaison", "div0_member"}),
    ("get", "/divisions/files/{att1}/", None, SEES_PART_1),
    ("post", "/divisions/parts/{part0}/work/", {"result": "", "version": "0"}, {"div0_liaison", "div0_member"}),
    ("post", "/divisions/parts/{part1}/work/", {"result": "", "version": "0"}, {"div1_liaison", "div1_member"}),
    ("post", "/divisions/parts/{part1}/return/", {"reason": ""}, SHARE_MANAGERS),
    ("post", "/divisions/parts/{part0}/withdraw/", {"reason": ""}, SHARE_MANAGERS),
    ("post", "/divisions/shares/{share}/assign/", {"divisions": "x"}, SHARE_MANAGERS),
    ("post", "/divisions/shares/{share}/review/", {"result": ""}, UNIT),
    ("post", "/divisions/shares/{share}/approve/", {}, UNIT),
    ("post", "/divisions/reviews/{review1}/decide/", {"decision": "maybe"}, {"div1_member"}),
    ("post", "/items/tasks/{share}/work/", {"result": "", "version": "0"}, UNIT),
]


def test_division_permission_matrix(world):
    accounts, ids = world["accounts"], world["ids"]
    leaks = []
    for method, template, data, allowed in PAGES:
        url = template.format(**ids)
        for role in ALL:
            client = verified_login(Client(), accounts[role])
            response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
            body = b"" if getattr(response, "streaming", False) else response.content
            if role in allowed:
                if response.status_code in (403, 404) or response.status_code >= 500:
                    leaks.append(f"{role} {method} {url}: {response.status_code} (should pass the gate)")
            elif response.status_code != 404:
                leaks.append(f"{role} {method} {url}: {response.status_code} (expected 404)")
            if role not in SEES_ITEM and TITLE.encode() in body:
                leaks.append(f"{role} {method} {url}: shows the item's title")
            if role not in SEES_PART_1 and SECRET_1.encode() in body:
                leaks.append(f"{role} {method} {url}: shows another division's part")
    assert leaks == [], "\n".join(leaks)


def test_lists_of_a_division_hold_its_own_parts_only(world):
    accounts = world["accounts"]
    rows = {k: verified_login(Client(), accounts[k]).get("/divisions/").content.decode() for k in DIVISION_ROLES}
    assert TITLE in rows["div0_liaison"] and TITLE in rows["div1_member"]  # a part to work; a review to make
    assert TITLE not in rows["div2_liaison"] and TITLE not in rows["div2_member"]
    assert TITLE not in rows["div1_liaison"]  # in review: nothing for the liaison to do now
    # 我的待办 holds the division's part (处室任务), never the unit's share (督办事项), which is the unit liaison's.
    client = verified_login(Client(), accounts["div0_liaison"])
    assert TITLE in client.get("/items/inbox/?kind=division_part").content.decode()
    assert TITLE not in client.get("/items/inbox/?kind=task").content.decode()
