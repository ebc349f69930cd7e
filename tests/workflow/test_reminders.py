"""Supervised items are reminded by the same engine as obligations (deadlines.reminders)."""

import datetime as dt

import pytest
import time_machine

from deadlines.models import Message
from deadlines.reminders import reminders_plan
from members.models import Person, Role, RoleAssignment
from members.services import account_create, backup_assign
from tasks import services as flow_services, services as task_services
from tasks.models import Assignment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))


def sweep(day):
    with time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=CST), tick=False):
        return reminders_plan()


def inapp(subject=None, **filters):
    # The reminder engine's rows only (交办 itself is told as an event, subject "item:<id>").
    qs = Message.objects.filter(channel=Message.INAPP, subject__startswith="task:", **filters)
    if subject:
        qs = qs.filter(subject=subject)
    return sorted(qs.values_list("subject", "kind", "recipient__username"))


def test_each_unit_is_reminded_of_its_own_share(users, dispatch):
    item = dispatch(lead=["zjt"], participating=["mzt"], due=dt.date(2026, 3, 20))
    lead = Assignment.objects.get(item=item, unit__code="zjt")
    part = Assignment.objects.get(item=item, unit__code="mzt")
    assert part.due_date == dt.date(2026, 3, 18)  # participants: two working days before the lead
    sweep(dt.date(2026, 3, 17))  # 1 working day before the participant's day, 3 before the lead's
    assert inapp() == sorted(
        [(f"task:{part.pk}", "before:1", "liaison_mzt"), (f"task:{lead.pk}", "before:3", "liaison_zjt")]
    )
    sweep(dt.date(2026, 3, 17))
    assert (
        Message.objects.filter(channel=Message.INAPP, subject__startswith="task:").count() == 2
    )  # a second sweep adds nothing


def test_overdue_share_escalates_to_convener_and_deputy_and_stops_when_done(users, dispatch):
    item = dispatch(lead=["gat"], participating=[], due=dt.date(2026, 3, 20))
    task = Assignment.objects.get(item=item)
    sweep(dt.date(2026, 3, 25))  # 3 working days overdue
    assert (f"task:{task.pk}", "escalation", "convener") in inapp()
    assert (f"task:{task.pk}", "escalation", "deputy") in inapp()
    with time_machine.travel(dt.datetime(2026, 3, 25, 10, tzinfo=CST), tick=False):
        task = task_services.assignment_claim(assignment=task, by=users["liaison_gat"])
        flow_services.assignment_submit(assignment=task, result="已完成", version=task.version, by=users["liaison_gat"])
    before = Message.objects.count()
    sweep(dt.date(2026, 3, 27))
    assert Message.objects.count() == before  # a submitted share is no longer owed


def test_backup_receives_the_reminder_during_the_leave(users, dispatch):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    person = Person.objects.create(unit=liaison.unit, division=liaison.division, name="民政厅B角")
    account_create(username="backup_mzt", password=PASSWORD, person=person)
    backup_assign(
        liaison=liaison,
        backup=person,
        start_date=dt.date(2026, 3, 16),
        end_date=dt.date(2026, 3, 19),
        by=users["liaison_mzt"],
        reason="年休假",
    )
    item = dispatch(lead=["zjt"], participating=["mzt"], due=dt.date(2026, 3, 20))
    part = Assignment.objects.get(item=item, unit__code="mzt")
    sweep(dt.date(2026, 3, 17))
    sweep(dt.date(2026, 3, 18))
    sweep(dt.date(2026, 3, 20))  # after the leave: 2 working days overdue → the liaison again
    assert inapp(f"task:{part.pk}") == [
        (f"task:{part.pk}", "before:1", "backup_mzt"),
        (f"task:{part.pk}", "due", "backup_mzt"),
        (f"task:{part.pk}", "overdue:2", "liaison_mzt"),
    ]
