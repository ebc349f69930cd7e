"""Members who change job are replaced from an effective date; liaisons name a B角 for their leave."""

from datetime import date, timedelta

import pytest
import time_machine
from guardian.shortcuts import get_objects_for_user

from core.errors import DomainError
from core.models import AuditEntry
from members.models import MemberUnit, Person, Role, RoleAssignment
from members.selectors import acting_for, unit_recipients
from members.services import access_sync, access_sync_all, account_create, backup_assign, role_replace
from tests.conftest import PASSWORD


def _handles(user):
    return [
        u.code for u in get_objects_for_user(user, "members.handle_unit_work", MemberUnit, accept_global_perms=False)
    ]


@pytest.fixture
def mzt_newcomer(mechanism):
    unit = MemberUnit.objects.get(code="mzt")
    person = Person.objects.create(unit=unit, division=unit.divisions.get(), name="新联络员")
    return account_create(username="newcomer", password=PASSWORD, person=person)


@time_machine.travel(date(2026, 3, 2), tick=False)
def test_liaison_replaced_from_a_future_date(users, mzt_newcomer):
    old = users["liaison_mzt"]
    liaison = RoleAssignment.objects.get(person=old.person, role=Role.LIAISON)
    role_replace(
        assignment=liaison,
        new_person=mzt_newcomer.person,
        effective_date=date(2026, 4, 1),
        by=users["office"],
        reason="王浩然调任其他处室，经联席会议确认",
    )
    access_sync(user=old)
    access_sync(user=mzt_newcomer)
    assert _handles(old) == ["mzt"] and _handles(mzt_newcomer) == []
    assert [p.name for p in unit_recipients(liaison.unit)] == ["王浩然"]

    with time_machine.travel(date(2026, 4, 1), tick=False):
        access_sync_all()  # what the nightly beat task does
        old.refresh_from_db()
        assert _handles(old) == [] and _handles(mzt_newcomer) == ["mzt"]
        assert [p.name for p in unit_recipients(liaison.unit)] == ["新联络员"]

    history = RoleAssignment.objects.filter(unit__code="mzt", role=Role.LIAISON).order_by("start_date")
    assert [(a.person.name, a.start_date, a.end_date) for a in history] == [
        ("王浩然", date(2020, 9, 11), date(2026, 4, 1)),
        ("新联络员", date(2026, 4, 1), None),
    ]
    entry = AuditEntry.objects.get(action="role.replace")
    assert entry.actor == users["office"] and entry.changes["from"] == "王浩然" and "调任" in entry.reason


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(reason=" "), "理由"),
        (dict(effective_date=date(2020, 9, 11)), "生效日期"),
        (dict(new_person="王浩然"), "相同"),
        (dict(new_person="陈显伟"), "同一成员单位"),
    ],
)
def test_bad_replacements_are_refused_and_change_nothing(users, mzt_newcomer, change, message):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    kwargs = dict(
        assignment=liaison,
        new_person=mzt_newcomer.person,
        effective_date=date(2026, 4, 1),
        by=users["office"],
        reason="调整",
    )
    if "new_person" in change:
        change = {"new_person": Person.objects.get(name=change["new_person"])}
    kwargs.update(change)
    with pytest.raises(DomainError, match=message):
        role_replace(**kwargs)
    liaison.refresh_from_db()
    assert liaison.end_date is None and RoleAssignment.objects.filter(role=Role.LIAISON, unit__code="mzt").count() == 1


def test_backup_receives_the_work_only_during_the_leave(users, mzt_newcomer):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    backup_assign(
        liaison=liaison,
        backup=mzt_newcomer.person,
        start_date=date(2026, 7, 1),
        end_date=date(2026, 7, 15),
        by=users["liaison_mzt"],
        reason="王浩然休假",
    )
    unit = liaison.unit
    assert [p.name for p in unit_recipients(unit, on=date(2026, 6, 30))] == ["王浩然"]
    assert [p.name for p in unit_recipients(unit, on=date(2026, 7, 1))] == ["新联络员"]
    assert [p.name for p in unit_recipients(unit, on=date(2026, 7, 14))] == ["新联络员"]
    assert [p.name for p in unit_recipients(unit, on=date(2026, 7, 15))] == ["王浩然"]
    with time_machine.travel(date(2026, 7, 3), tick=False):
        access_sync(user=mzt_newcomer)
        assert _handles(mzt_newcomer) == ["mzt"]
        assert acting_for(mzt_newcomer, unit).name == "王浩然"
    with time_machine.travel(date(2026, 7, 20), tick=False):
        access_sync(user=mzt_newcomer)
        assert _handles(mzt_newcomer) == [] and acting_for(mzt_newcomer, unit) is None


def test_overlapping_backup_is_refused(users, mzt_newcomer):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    backup_assign(
        liaison=liaison,
        backup=mzt_newcomer.person,
        start_date=date(2026, 7, 1),
        end_date=date(2026, 7, 15),
        by=users["liaison_mzt"],
        reason="休假",
    )
    with pytest.raises(DomainError, match="已有B角"):
        backup_assign(
            liaison=liaison,
            backup=mzt_newcomer.person,
            start_date=date(2026, 7, 10),
            end_date=date(2026, 7, 20),
            by=users["liaison_mzt"],
            reason="再次",
        )
    with pytest.raises(DomainError, match="本单位"):
        backup_assign(
            liaison=liaison,
            backup=Person.objects.get(name="陈显伟"),
            start_date=date(2026, 8, 1),
            end_date=date(2026, 8, 5),
            by=users["liaison_mzt"],
            reason="休假",
        )
    assert RoleAssignment.objects.filter(role=Role.BACKUP_LIAISON).count() == 1


def test_unit_without_liaison_falls_back_to_members(users):
    RoleAssignment.objects.filter(unit__code="gat", role=Role.LIAISON).update(end_date=date.today() - timedelta(days=1))
    assert [p.name for p in unit_recipients(MemberUnit.objects.get(code="gat"))] == ["刘伯春"]
