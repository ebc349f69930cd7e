"""The Django admin is not a way round the rules (issue 11): written as the attacks, office staff
posting to the admin."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from core.models import AuditEntry
from members.models import MemberUnit, Person, Role, RoleAssignment, User
from members.services import access_sync


def _fresh(user):
    return User.objects.get(pk=user.pk)


def test_office_cannot_grant_another_units_object_permission_to_a_liaison(users, client_for):
    office = client_for(users["office"])
    zjt = MemberUnit.objects.get(code="zjt")
    liaison = users["liaison_mzt"]
    # guardian's object-permission pages are not offered on units (grants come from roles only)
    base = f"/admin/members/memberunit/{zjt.pk}/permissions/"
    assert office.get(base).status_code in (302, 404)
    response = office.post(f"{base}user-manage/{liaison.pk}/", {"permissions": ["handle_unit_work"]})
    assert response.status_code in (302, 404)
    response = office.post(base, {"user": liaison.username, "submit_manage_user": "1"})
    assert response.status_code in (302, 404)
    assert not UserObjectPermission.objects.filter(user=liaison, object_pk=str(zjt.pk)).exists()
    units = get_objects_for_user(
        _fresh(liaison), "members.handle_unit_work", klass=MemberUnit, accept_global_perms=False, with_superuser=False
    )
    assert [u.code for u in units] == ["mzt"]
    # and the grant tables are not editable in the admin, not even visible to the office
    assert office.get("/admin/guardian/userobjectpermission/").status_code == 403
    assert office.post("/admin/guardian/userobjectpermission/add/", {}).status_code == 403


def test_office_cannot_make_itself_deputy_convener(users, client_for, mechanism):
    office_user = users["office"]
    office = client_for(office_user)
    person = office_user.person
    lead = mechanism.units.get(is_lead=True)
    today = timezone.localdate().isoformat()
    data = {
        "mechanism": mechanism.pk,
        "person": person.pk,
        "role": Role.DEPUTY_CONVENER,
        "unit": lead.pk,
        "division": "",
        "start_date": today,
        "end_date": "",
        "basis": "",
        "acting_for": "",
    }
    assert office.post("/admin/members/roleassignment/add/", data).status_code == 403
    own = RoleAssignment.objects.get(person=person, role=Role.OFFICE_STAFF)
    assert (
        office.post(
            f"/admin/members/roleassignment/{own.pk}/change/", {**data, "start_date": own.start_date.isoformat()}
        ).status_code
        == 403
    )
    assert office.post(f"/admin/members/roleassignment/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    assert not RoleAssignment.objects.filter(person=person, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER]).exists()
    # the nightly sync has nothing to promote: the office still cannot decide requests
    access_sync(user=_fresh(office_user))
    assert not _fresh(office_user).has_perm("members.decide")
    # the roster stays visible to the office
    assert office.get("/admin/members/roleassignment/").status_code == 200
    assert office.get(f"/admin/members/roleassignment/{own.pk}/change/").status_code == 200


def test_office_cannot_give_itself_permissions_or_groups(users, client_for):
    office_user = users["office"]
    office = client_for(office_user)
    decide = Permission.objects.get(codename="decide")
    conveners = Group.objects.get(name="召集人")
    response = office.post(
        f"/admin/members/user/{office_user.pk}/change/",
        {
            "username": "office",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": [decide.pk],
            "groups": [conveners.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    assert office.post(f"/admin/auth/group/{conveners.pk}/change/", {"name": "召集人"}).status_code == 403
    user = _fresh(office_user)
    assert not user.is_superuser and not user.has_perm("members.decide")
    assert not user.groups.filter(name="召集人").exists()


def test_even_an_administrator_edits_no_groups_or_permissions_by_hand(users, client_for):
    admin = client_for(users["admin"])
    liaison = users["liaison_mzt"]
    decide = Permission.objects.get(codename="decide")
    conveners = Group.objects.get(name="召集人")
    page = admin.get(f"/admin/members/user/{liaison.pk}/change/").content.decode()
    assert 'name="user_permissions"' not in page and 'name="groups"' not in page
    response = admin.post(
        f"/admin/members/user/{liaison.pk}/change/",
        {
            "username": liaison.username,
            "is_active": "on",
            "email": "wang@example.gov.cn",
            "user_permissions": [decide.pk],
            "groups": [conveners.pk],
            "person": liaison.person_id,
            "display_name": "",
            "first_name": "",
            "last_name": "",
            "reporting_unit": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = _fresh(liaison)
    assert user.email == "wang@example.gov.cn"
    assert not user.has_perm("members.decide") and not user.groups.exists()
    entry = AuditEntry.objects.get(action="account.change", object_id=str(liaison.pk))
    assert entry.actor_id == users["admin"].pk and entry.changes["email"] == ["", "wang@example.gov.cn"]
    assert admin.post(f"/admin/auth/group/{conveners.pk}/change/", {"name": "x"}).status_code == 403


def test_an_administrators_role_correction_is_audited_and_granted(
    users, client_for, mechanism, django_capture_on_commit_callbacks
):
    admin = client_for(users["admin"])
    person = users["liaison_zjt"].person
    today = timezone.localdate().isoformat()
    data = {
        "mechanism": mechanism.pk,
        "person": person.pk,
        "role": Role.DEPUTY_CONVENER,
        "unit": person.unit_id,
        "division": "",
        "start_date": today,
        "end_date": "",
        "basis": "省政府文件",
        "acting_for": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/admin/members/roleassignment/add/", data)
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(person=person, role=Role.DEPUTY_CONVENER)
    entry = AuditEntry.objects.get(action="role.create", object_id=str(assignment.pk))
    assert entry.actor_id == users["admin"].pk
    assert entry.changes["role"] == [None, "deputy_convener"] and entry.changes["person"] == [None, person.name]
    assert _fresh(users["liaison_zjt"]).has_perm("members.decide")
    # ending it is a change with old and new values; deleting is not offered
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/members/roleassignment/{assignment.pk}/change/", {**data, "end_date": "2099-01-01"}
        )
    assert response.status_code == 302
    change = AuditEntry.objects.get(action="role.change", object_id=str(assignment.pk))
    assert change.changes == {"end_date": [None, "2099-01-01"]}
    assert admin.post(f"/admin/members/roleassignment/{assignment.pk}/delete/", {"post": "yes"}).status_code == 403


def test_contact_details_edited_in_the_admin_keep_old_and_new_values(users, client_for):
    office = client_for(users["office"])
    person = users["liaison_gat"].person
    Person.objects.filter(pk=person.pk).update(mobile="13800000000")
    response = office.post(
        f"/admin/members/person/{person.pk}/change/",
        {
            "unit": person.unit_id,
            "division": person.division_id or "",
            "name": person.name,
            "title": person.title,
            "mobile": "13900000000",
            "email": "chen@example.gov.cn",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.mobile == "13900000000"
    entry = AuditEntry.objects.get(action="person.change", object_id=str(person.pk))
    assert entry.actor_id == users["office"].pk
    assert entry.changes == {"mobile": ["13800000000", "13900000000"], "email": ["", "chen@example.gov.cn"]}


@pytest.mark.parametrize("who", ["liaison_mzt", "convener", "city_guiyang"])
def test_people_without_the_admin_never_reach_it(users, client_for, who):
    response = client_for(users[who]).post("/admin/members/roleassignment/add/", {})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_administrator_setting_a_password_leaves_an_audit_row(users, client_for):
    admin = client_for(users["admin"])
    liaison = users["liaison_mzt"]
    url = f"/admin/members/user/{liaison.pk}/password/"
    assert client_for(users["office"]).post(url, {}).status_code == 403
    response = admin.post(url, {"password1": "管理员重设-2026-密码", "password2": "管理员重设-2026-密码"})
    assert response.status_code == 302
    assert _fresh(liaison).check_password("管理员重设-2026-密码")
    entry = AuditEntry.objects.get(action="account.password_set_by_admin", object_id=str(liaison.pk))
    assert entry.actor_id == users["admin"].pk
