"""Changes to the membership: a unit proposes, the office checks, the convener confirms; a B角 for a leave."""

import datetime as dt

import pytest
import time_machine
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.errors import DomainError, NotAllowed
from core.models import AuditEntry
from deadlines.models import Message
from meetings.flows import MembershipChangeFlow
from meetings.models import MembershipChange
from meetings.services.meetings import meeting_decide, meeting_propose, meeting_schedule
from meetings.services.membership import (
    backup_name,
    change_check,
    change_confirm,
    change_propose_replace,
    change_propose_unit_add,
)
from members.models import MemberUnit, Person, Role, RoleAssignment
from members.services import access_sync_all, account_create
from tasks import services as item_flow, services as task_services
from tasks.selectors import Filters, inbox
from tests.conftest import PASSWORD

from .conftest import CST


@pytest.fixture
def newcomer(mechanism):
    unit = MemberUnit.objects.get(code="mzt")
    person = Person.objects.create(unit=unit, division=unit.divisions.get(), name="新联络员")
    return account_create(username="newcomer", password=PASSWORD, person=person)


def _inbox_titles(user):
    rows, _ = inbox(user, Filters())
    return [r.title for r in rows]


def test_liaison_replaced_from_a_future_date_moves_the_tasks_on_that_day(users, unit, newcomer, frozen):
    old = users["liaison_mzt"]
    item = item_flow.item_dispatch(
        by=users["office"],
        title="建立社区协商议事平台",
        content="请办理。",
        source="ad_hoc",
        lead_units=[unit("mzt")],
        participating_units=[],
        due_date=dt.date(2026, 6, 30),
    )
    liaison = RoleAssignment.objects.get(person=old.person, role=Role.LIAISON)

    change = change_propose_replace(
        assignment=liaison,
        new_person=newcomer.person,
        effective_date=dt.date(2026, 4, 1),
        reason="王浩然调任其他处室",
        by=users["member_mzt"],
    )
    with pytest.raises(NotAllowed):
        change_check(change=change, passed=True, by=users["liaison_mzt"])
    change_check(change=change, passed=True, by=users["office"])
    with pytest.raises(NotAllowed):
        change_confirm(change=change, confirm=True, by=users["office"])
    change_confirm(change=change, confirm=True, by=users["convener"])
    change.refresh_from_db()
    assert change.status == MembershipChange.Status.CONFIRMED and not change.on_behalf_of_convener
    assert not Task.objects.filter(
        process__artifact_object_id=change.pk, process__flow_class=MembershipChangeFlow, status=STATUS.NEW
    ).exists()

    # Before the effective date the old liaison holds the unit's tasks.
    assert _inbox_titles(old) == ["建立社区协商议事平台"] and _inbox_titles(newcomer) == []

    with time_machine.travel(dt.datetime(2026, 4, 1, 8, 0, tzinfo=CST), tick=False):
        access_sync_all()  # the nightly beat task
        old.refresh_from_db()
        newcomer.refresh_from_db()
        assert _inbox_titles(old) == [] and _inbox_titles(newcomer) == ["建立社区协商议事平台"]
        assignment = item.assignments.get()
        with pytest.raises(NotAllowed):
            task_services.assignment_claim(assignment=assignment, by=old)
        task_services.assignment_claim(assignment=assignment, by=newcomer)

    history = RoleAssignment.objects.filter(unit__code="mzt", role=Role.LIAISON).order_by("start_date")
    assert [(a.person.name, a.end_date) for a in history] == [("王浩然", dt.date(2026, 4, 1)), ("新联络员", None)]
    assert AuditEntry.objects.filter(action="membership.confirm", object_id=str(change.pk)).exists()
    assert AuditEntry.objects.filter(action="role.replace", changes__to="新联络员").exists()


def test_a_newcomer_named_in_the_proposal_is_created_on_confirmation(users, frozen):
    member = RoleAssignment.objects.get(person__name="方海", role=Role.MEMBER)
    change = change_propose_replace(
        assignment=member,
        new_person_name="刘新",
        new_person_title="处长",
        effective_date=dt.date(2026, 5, 1),
        reason="方海退休",
        by=users["liaison_mzt"],
    )
    change_check(change=change, passed=True, by=users["office"])
    change_confirm(change=change, confirm=True, by=users["deputy"])
    change.refresh_from_db()
    assert change.on_behalf_of_convener and change.new_person.name == "刘新"
    assert RoleAssignment.objects.get(person__name="刘新", role=Role.MEMBER).start_date == dt.date(2026, 5, 1)


def test_a_unit_cannot_propose_changes_to_another_units_members(users, frozen):
    zjt_liaison = RoleAssignment.objects.get(person__name="蔡立智", role=Role.LIAISON)
    with pytest.raises(NotAllowed):
        change_propose_replace(
            assignment=zjt_liaison,
            new_person_name="某人",
            effective_date=dt.date(2026, 5, 1),
            reason="调整",
            by=users["liaison_mzt"],
        )
    mzt_liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    with pytest.raises(DomainError, match="同一成员单位"):
        change_propose_replace(
            assignment=mzt_liaison,
            new_person=Person.objects.get(name="蔡立智"),
            effective_date=dt.date(2026, 5, 1),
            reason="调整",
            by=users["liaison_mzt"],
        )
    with pytest.raises(DomainError, match="生效日期"):
        change_propose_replace(
            assignment=mzt_liaison,
            new_person_name="某人",
            effective_date=dt.date(2026, 1, 1),
            reason="调整",
            by=users["liaison_mzt"],
        )
    assert not MembershipChange.objects.exists()


def test_rejected_change_changes_nothing(users, frozen):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    change = change_propose_replace(
        assignment=liaison,
        new_person_name="某人",
        effective_date=dt.date(2026, 5, 1),
        reason="调整",
        by=users["liaison_mzt"],
    )
    with pytest.raises(DomainError, match="理由"):
        change_check(change=change, passed=False, by=users["office"])
    change_check(change=change, passed=False, note="请附任免文件", by=users["office"])
    change.refresh_from_db()
    assert change.status == MembershipChange.Status.REJECTED
    liaison.refresh_from_db()
    assert liaison.end_date is None and not Person.objects.filter(name="某人").exists()


def test_adding_a_member_unit_goes_through_the_same_confirmation(users, frozen):
    change = change_propose_unit_add(
        name="省水利厅",
        code="slt",
        divisions=["水资源处"],
        member={"name": "赵成员", "title": "处长"},
        liaison={"name": "钱联络", "title": "四级调研员"},
        effective_date=dt.date(2026, 4, 1),
        reason="海绵城市建设需要水利部门参与",
        by=users["office"],
    )
    assert not MemberUnit.objects.filter(code="slt").exists()
    change_check(change=change, passed=True, by=users["office"])
    change_confirm(change=change, confirm=True, by=users["convener"])
    unit = MemberUnit.objects.get(code="slt")
    assert unit.joined_on == dt.date(2026, 4, 1) and list(unit.divisions.values_list("name", flat=True)) == ["水资源处"]
    roles = {(a.role, a.person.name, a.start_date) for a in unit.role_assignments.select_related("person")}
    assert roles == {(Role.MEMBER, "赵成员", dt.date(2026, 4, 1)), (Role.LIAISON, "钱联络", dt.date(2026, 4, 1))}
    assert unit not in MemberUnit.objects.current() and unit in MemberUnit.objects.current(dt.date(2026, 4, 1))
    with pytest.raises(NotAllowed):
        change_propose_unit_add(
            name="省X厅",
            code="x",
            divisions=["一处"],
            member={"name": "甲"},
            liaison={"name": "乙"},
            effective_date=dt.date(2026, 4, 1),
            reason="r",
            by=users["liaison_mzt"],
        )


def test_backup_liaison_receives_the_reminder_only_during_the_leave(users, unit, newcomer, frozen):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    backup_name(
        liaison=liaison,
        backup=newcomer.person,
        start_date=dt.date(2026, 3, 9),
        end_date=dt.date(2026, 3, 14),
        reason="王浩然休年假",
        by=users["liaison_mzt"],
    )
    with pytest.raises(NotAllowed):
        backup_name(
            liaison=liaison,
            backup=newcomer.person,
            start_date=dt.date(2026, 4, 9),
            end_date=dt.date(2026, 4, 14),
            reason="休假",
            by=users["liaison_zjt"],
        )

    def invite(day, title):
        with time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=CST), tick=False):
            m = meeting_propose(title=title, topics="议题", reasons="理由", by=users["office"])
            meeting_decide(meeting=m, approve=True, by=users["convener"])
            meeting_schedule(
                meeting=m,
                starts_at=dt.datetime.combine(day + dt.timedelta(days=7), dt.time(9, 0), tzinfo=CST),
                place="会议室",
                chair="陈维明",
                units=[unit("mzt")],
                by=users["office"],
            )
        return set(
            Message.objects.filter(subject=f"meeting:{m.pk}", kind="invitation", channel=Message.INAPP).values_list(
                "recipient__username", flat=True
            )
        )

    assert invite(dt.date(2026, 3, 6), "请假前") == {"liaison_mzt"}
    assert invite(dt.date(2026, 3, 10), "请假中") == {"newcomer"}
    assert invite(dt.date(2026, 3, 16), "请假后") == {"liaison_mzt"}
