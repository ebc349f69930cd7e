"""The access snapshot (members.access): every page reads the user's units, roles and permissions from
a per-process cache, so it must follow every change of access on the very next request."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, remove_perm

from members.access import access_for
from members.models import MemberUnit, Person, Role, RoleAssignment, User
from members.services import GROUP_CONVENERS, access_sync, role_replace
from tests.conftest import verified_login

pytestmark = pytest.mark.django_db


def nav_labels(client):
    response = client.get("/mechanism/")
    return [label for _, items in response.context["nav_groups"] for _, label, _ in items]


def inbox_units(client):
    response = client.get("/items/inbox/")
    return list(response.context["my_unit_names"]) if response.status_code == 200 else None


def test_a_cached_page_reads_access_with_no_query(users, client_for):
    client = client_for(users["liaison_mzt"])
    client.get("/items/inbox/")  # fills the cache
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/items/inbox/").status_code == 200
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "guardian_userobjectpermission" not in tables
    assert "members_roleassignment" not in tables and "auth_permission" not in tables
    # session, user (with person), the page's own lists (one per kind of step the liaison may take:
    # items, reports, minutes, a division's parts, an inspection visit — workflow.inbox) and their counts
    # in one, the header's unread count
    from workflow.inbox import InboxContext, sources

    kinds = [s.kind for s in sources() if s.applies(InboxContext.for_user(users["liaison_mzt"]))]
    assert {"task", "report", "minutes"} <= set(kinds)
    assert len(ctx.captured_queries) == 2 + len(kinds) + 1 + 1
    assert "deadlines_message" in ctx.captured_queries[-1]["sql"] or any(
        "read_at" in q["sql"] for q in ctx.captured_queries
    )


def test_losing_a_unit_grant_shows_on_the_next_request(users, client_for):
    liaison = users["liaison_mzt"]
    client = client_for(liaison)
    assert inbox_units(client) == ["省民政厅"]
    remove_perm("handle_unit_work", liaison, MemberUnit.objects.get(code="mzt"))
    assert inbox_units(client) == []
    assign_perm("handle_unit_work", liaison, MemberUnit.objects.get(code="gat"))
    assert inbox_units(client) == ["省公安厅"]


def test_group_changes_from_either_side_and_group_permission_changes_show_at_once(users, client_for):
    office = users["office"]
    client = client_for(office)
    assert "工作台" in nav_labels(client)
    office_group = office.groups.get()
    office_group.user_set.remove(office)  # the reverse side of the relation
    assert "工作台" not in nav_labels(client)
    office.groups.add(office_group)
    assert "工作台" in nav_labels(client)
    office_group.permissions.remove(Permission.objects.get(codename="dispatch"))
    assert "工作台" not in nav_labels(client) and "督办事项" in nav_labels(client)
    Permission.objects.get(codename="dispatch").group_set.add(office_group)
    assert "工作台" in nav_labels(client)


def test_a_direct_permission_and_account_flags_show_at_once(users, client_for):
    outsider = users["outsider"]
    client = client_for(outsider)
    assert "督办总览" not in nav_labels(client)
    outsider.user_permissions.add(Permission.objects.get(codename="oversee"))
    # seen at once: an overseer must pass the second factor first (members.security), then sees 督办总览
    assert client.get("/mechanism/")["Location"].startswith("/accounts/2fa/")
    verified_login(client, User.objects.get(pk=outsider.pk))
    assert "督办总览" in nav_labels(client)
    User.objects.filter(pk=outsider.pk).update(is_active=False)  # a bulk update: the key holds the flag
    assert client.get("/mechanism/").status_code == 302  # signed out: inactive accounts are refused


def test_a_role_replaced_shows_on_the_next_request(users, client_for, mechanism, django_capture_on_commit_callbacks):
    liaison = users["liaison_mzt"]
    client = client_for(liaison)
    assert "联络员" in client.get("/mechanism/").context["nav_roles"]
    role = RoleAssignment.objects.get(person=liaison.person, role=Role.LIAISON)
    newcomer = Person.objects.create(unit=role.unit, division=role.division, name="新联络员")
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # the grants follow the roles on commit
            role_replace(
                assignment=role,
                new_person=newcomer,
                effective_date=dt.date(2026, 6, 1),
                by=users["office"],
                reason="工作调动",
            )
        assert inbox_units(client) == []  # no unit any more
        assert "联络员" not in client.get("/mechanism/").context["nav_roles"]


def test_a_role_starting_tomorrow_counts_from_tomorrow(users, client_for, mechanism):
    outsider = users["outsider"]
    client = client_for(outsider)
    today = dt.date(2026, 3, 2)
    tz = dt.timezone(dt.timedelta(hours=8))
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=tz), tick=False):
        RoleAssignment.objects.create(
            mechanism=mechanism,
            person=outsider.person,
            role=Role.LIAISON,
            unit=MemberUnit.objects.get(code="jtt"),
            start_date=today + dt.timedelta(days=1),
        )
        access_sync(user=outsider)
        assert inbox_units(client) == []
    with time_machine.travel(dt.datetime(2026, 3, 3, 0, 10, tzinfo=tz), tick=False):
        access_sync(user=User.objects.get(pk=outsider.pk))  # the nightly sync
        assert inbox_units(client) == ["省交通运输厅"]
        assert "联络员" in client.get("/mechanism/").context["nav_roles"]


def test_a_rolled_back_change_leaves_the_old_access(users, client_for):
    liaison = users["liaison_mzt"]
    client = client_for(liaison)
    before = User.objects.get(pk=liaison.pk).access_stamp
    assert inbox_units(client) == ["省民政厅"]
    with pytest.raises(RuntimeError), transaction.atomic():
        remove_perm("handle_unit_work", liaison, MemberUnit.objects.get(code="mzt"))
        assert User.objects.get(pk=liaison.pk).access_stamp != before
        raise RuntimeError
    assert User.objects.get(pk=liaison.pk).access_stamp == before
    assert inbox_units(client) == ["省民政厅"]


def test_every_save_renews_the_stamp_and_a_group_deletion_reaches_its_members(users, client_for):
    convener = users["convener"]
    stamp = User.objects.get(pk=convener.pk).access_stamp
    convener.save(update_fields=["last_login"])
    assert User.objects.get(pk=convener.pk).access_stamp != stamp
    client = client_for(convener)
    assert "督办总览" in nav_labels(client)
    Group.objects.get(name=GROUP_CONVENERS).delete()
    assert "督办总览" not in nav_labels(client)


def test_an_instance_not_loaded_by_sign_in_reads_the_database(users):
    """A fixture or worker instance may carry an old stamp: it never trusts the shared cache."""
    liaison = users["liaison_mzt"]
    loaded = User.objects.get(pk=liaison.pk)
    loaded._access_loaded = True  # as AccountBackend.get_user marks request.user
    assert access_for(loaded).unit_ids  # cached under the current stamp
    stale = User.objects.get(pk=liaison.pk)
    remove_perm("handle_unit_work", liaison, MemberUnit.objects.get(code="mzt"))
    assert access_for(stale).unit_ids == ()
