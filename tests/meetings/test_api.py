"""The API answers like the pages: same objects visible, same roles allowed."""

import datetime as dt

import pytest

from meetings.models import Meeting, MembershipChange, Minutes
from members.models import Role, RoleAssignment
from tasks.models import Item

ROLES = ["convener", "deputy", "office", "liaison_mzt", "liaison_zjt", "liaison_gat", "city_guiyang", "outsider"]
O = ("convener", "deputy", "office")


def _get(client, url):
    r = client.get(url)
    return r.status_code, r.json() if r.status_code == 200 else None


@pytest.mark.parametrize(
    "endpoint,visible",
    [
        ("meetings", {"convener": 3, "deputy": 3, "office": 3, "liaison_mzt": 2, "liaison_zjt": 2, "liaison_gat": 1}),
        ("minutes", {"convener": 2, "deputy": 2, "office": 2, "liaison_mzt": 2, "liaison_zjt": 2, "liaison_gat": 1}),
        (
            "agreed-matters",
            {"convener": 2, "deputy": 2, "office": 2, "liaison_mzt": 2, "liaison_zjt": 2, "liaison_gat": 1},
        ),
        ("membership-changes", {"convener": 1, "deputy": 1, "office": 1, "liaison_mzt": 1}),
    ],
)
def test_lists_show_only_what_each_role_may_see(world, users, client_for, endpoint, visible):
    counts = {}
    for role in ROLES:
        status, body = _get(client_for(users[role]), f"/api/v1/{endpoint}/")
        assert status == 200
        counts[role] = body["count"]
    assert counts == {r: visible.get(r, 0) for r in ROLES}


@pytest.mark.parametrize("role,status", [(r, 200 if r in O + ("liaison_mzt", "liaison_zjt") else 404) for r in ROLES])
def test_draft_minutes_only_for_attending_units(world, users, client_for, role, status):
    assert client_for(users[role]).get(f"/api/v1/minutes/{world['draft'].pk}/").status_code == status


def test_anonymous_gets_nothing(world, client):
    assert client.get("/api/v1/meetings/").status_code in (401, 403)


@pytest.mark.parametrize(
    "role,status", [("convener", 200), ("deputy", 200), ("office", 403), ("liaison_mzt", 404), ("outsider", 404)]
)
def test_only_convener_or_deputy_approve_through_the_api(world, users, client_for, role, status):
    meeting = world["proposed"]
    r = client_for(users[role]).post(
        f"/api/v1/meetings/{meeting.pk}/decide/", {"approve": True}, content_type="application/json"
    )
    assert r.status_code == status
    meeting.refresh_from_db()
    assert (meeting.status == Meeting.Status.APPROVED) == (status == 200)
    if status == 200:
        assert r.json()["on_behalf_of_convener"] == (role == "deputy")
    if status == 403:
        assert "召集人" in r.json()["detail"]


def test_a_unit_cannot_propose_changes_to_another_units_members_through_the_api(world, users, client_for):
    zjt = RoleAssignment.objects.get(person__name="蔡立智", role=Role.LIAISON)
    r = client_for(users["liaison_mzt"]).post(
        "/api/v1/membership-changes/",
        {"assignment": zjt.pk, "new_person_name": "某人", "effective_date": "2026-05-01", "reason": "调整"},
        content_type="application/json",
    )
    assert r.status_code == 404 and not MembershipChange.objects.filter(assignment=zjt).exists()
    assert client_for(users["liaison_zjt"]).get(f"/api/v1/membership-changes/{world['change'].pk}/").status_code == 404


def test_the_api_takes_a_meeting_from_proposal_to_issued_minutes(users, client_for, frozen):
    mzt, office, convener = (client_for(users[r]) for r in ("liaison_mzt", "office", "convener"))
    post = lambda c, url, data: c.post(url, data, content_type="application/json")  # noqa: E731
    r = post(mzt, "/api/v1/meetings/", {"title": "专题会", "topics": "议题", "reasons": "理由", "unit": "mzt"})
    assert r.status_code == 201, r.json()
    mid = r.json()["id"]
    assert (
        post(mzt, "/api/v1/meetings/", {"title": "会", "topics": "议题", "reasons": "理由", "unit": "zjt"}).status_code
        == 404
    )
    assert post(convener, f"/api/v1/meetings/{mid}/decide/", {"approve": True}).status_code == 200
    r = post(
        office,
        f"/api/v1/meetings/{mid}/schedule/",
        {
            "starts_at": "2026-03-10T09:30:00+08:00",
            "place": "会议室",
            "chair": "陈维明",
            "units": ["mzt", "zjt"],
            "guests": [{"kind": "expert", "name": "李教授", "organisation": "贵州大学"}],
        },
    )
    assert r.status_code == 200, r.json()
    r = post(office, f"/api/v1/meetings/{mid}/attendance/", {"units": ["mzt", "zjt"]})
    assert r.status_code == 200
    minutes_id = r.json()["id"]
    bad = office.put(
        f"/api/v1/minutes/{minutes_id}/draft/",
        {
            "title": "纪要",
            "matters": [{"content": "甲", "done_criteria": "完成", "due_date": "2026-01-01", "lead_units": ["zjt"]}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "完成时限" in bad.json()["detail"]
    r = office.put(
        f"/api/v1/minutes/{minutes_id}/draft/",
        {
            "title": "专题会纪要",
            "matters": [
                {
                    "content": "制定计划",
                    "done_criteria": "印发计划",
                    "due_date": "2026-04-30",
                    "lead_units": ["zjt"],
                    "participating_units": ["mzt"],
                }
            ],
        },
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["matters"][0]["number_cn"] == "一"
    assert post(office, f"/api/v1/minutes/{minutes_id}/submit/", {}).status_code == 200
    assert (
        post(
            client_for(users["liaison_gat"]), f"/api/v1/minutes/{minutes_id}/review/", {"unit": "gat", "agree": True}
        ).status_code
        == 404
    )
    assert post(mzt, f"/api/v1/minutes/{minutes_id}/review/", {"unit": "mzt", "agree": True}).status_code == 200
    assert (
        post(
            client_for(users["liaison_zjt"]), f"/api/v1/minutes/{minutes_id}/review/", {"unit": "zjt", "agree": True}
        ).status_code
        == 200
    )
    assert post(mzt, f"/api/v1/minutes/{minutes_id}/issue/", {"doc_number": "X"}).status_code == 403
    r = post(office, f"/api/v1/minutes/{minutes_id}/issue/", {"doc_number": "黔绿社联〔2026〕9号"})
    assert r.status_code == 200 and r.json()["status"] == Minutes.Status.ISSUED
    matter = r.json()["matters"][0]
    assert matter["live_status"]["label"] == "办理中"
    assert Item.objects.get(pk=matter["item"]).due_date == dt.date(2026, 4, 30)
