"""When the office enters (or deletes) a year's holidays, the due days already stored follow: every owed
obligation, its planned reminders, the overdue board and the API — with an audit row per move and a
notice to the unit — while a day a person set, and reports already submitted, keep theirs."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import AuditEntry
from deadlines.models import Message, Obligation
from deadlines.reminders import reminders_plan
from deadlines.selectors import overdue_board
from deadlines.services.calendar import calendar_year_delete, calendar_year_save
from deadlines.services.obligations import obligations_generate

TZ = ZoneInfo("Asia/Shanghai")
# A 2027 calendar as the office would enter it (the package ships up to 2026): Qingming Monday 5 April
# is off, so the Q1 report due 5 April (31 March + 5 days) moves to Tuesday 6 April.
HOLIDAYS_2027 = "2027-01-01 元旦\n2027-04-05 清明节\n2027-10-01 国庆节"


def at(y, m, d, h=10):
    return datetime(y, m, d, h, 0, tzinfo=TZ)


@pytest.fixture
def world(mechanism, users):
    for key, n in (("liaison_mzt", 1), ("liaison_zjt", 2), ("liaison_gat", 3)):
        person = users[key].person
        person.mobile, person.email = f"1390000000{n}", f"{key}@example.gov.cn"
        person.save()
    with time_machine.travel(at(2026, 12, 20), tick=False):
        obligations_generate()
    q1 = Obligation.objects.filter(rule__code="quarterly_report", period="2027Q1")
    assert q1.count() == 7 and set(q1.values_list("due_on", flat=True)) == {date(2027, 4, 5)}
    # One unit's report is already submitted; another's day was fixed by a person (not the rule's).
    Obligation.objects.filter(pk=q1.get(member_unit__code="gat").pk).update(status=Obligation.SUBMITTED)
    Obligation.objects.filter(pk=q1.get(member_unit__code="zjt").pk).update(due_on=date(2027, 4, 9))
    return q1


def test_entering_a_year_moves_owed_due_days_with_reminders_board_audit_and_notices(world, users, client_for):
    q1 = world
    with time_machine.travel(at(2027, 3, 31), tick=False):
        assert reminders_plan() > 0  # before:3 for 5 April (weekends only: 1, 2 and 5 April)
        mzt = q1.get(member_unit__code="mzt")
        old_sms = Message.objects.filter(subject=f"obligation:{mzt.pk}", channel="sms", period="2027-04-05")
        assert old_sms.filter(status="pending").count() == 1

        calendar_year_save(year=2027, holidays=HOLIDAYS_2027, workdays="", note="国办通知", by=users["office"])

        owed = q1.filter(status=Obligation.OPEN).exclude(member_unit__code="zjt")
        assert owed.count() == 5 and set(owed.values_list("due_on", flat=True)) == {date(2027, 4, 6)}
        assert q1.get(member_unit__code="gat").due_on == date(2027, 4, 5)  # submitted: kept
        assert q1.get(member_unit__code="zjt").due_on == date(2027, 4, 9)  # set by a person: kept
        # The Q4 report due Tuesday 5 January is not touched by 1 January being a holiday.
        q4 = Obligation.objects.filter(rule__code="quarterly_report", period="2026Q4")
        assert set(q4.values_list("due_on", flat=True)) == {date(2027, 1, 5)}

        moves = AuditEntry.objects.filter(action="obligation.due_move")
        assert sorted(int(m.object_id) for m in moves) == sorted(owed.values_list("pk", flat=True))
        assert {tuple(m.changes["due_on"]) for m in moves} == {("2027-04-05", "2027-04-06")}
        assert {m.reason for m in moves} == {"录入 2027 年节假日安排"}
        assert all(m.actor == users["office"] for m in moves)
        year_entry = AuditEntry.objects.get(action="calendar.year_save")
        assert year_entry.changes["moved"] == 5

        # The SMS planned for the old day and not sent is withdrawn; what was delivered stays in the log.
        assert not old_sms.exists()
        assert Message.objects.filter(
            subject=f"obligation:{mzt.pk}", channel="inapp", period="2027-04-05", kind="before:3"
        ).exists()
        # The unit is told, on the channels of a 'normal' event of the catalogue (in-app and e-mail).
        notices = Message.objects.filter(kind="date_moved", recipient=users["liaison_mzt"])
        assert {n.channel for n in notices} == {"inapp", "email"}
        assert all("2027年4月5日" in n.body and "2027年4月6日" in n.body for n in notices)
        assert not Message.objects.filter(kind="date_moved", recipient=users["liaison_gat"]).exists()
        assert not Message.objects.filter(kind="date_moved", recipient=users["liaison_zjt"]).exists()

        # The plan follows: the same day is again 3 working days before the new due day (1, 2 and 6 April).
        assert reminders_plan() > 0
        new_sms = Message.objects.get(subject=f"obligation:{mzt.pk}", channel="sms", kind="before:3")
        assert new_sms.period == "2027-04-06" and "2027-04-06" in new_sms.body

        # The API says the new day.
        api = client_for(users["liaison_mzt"]).get(f"/api/v1/obligations/{mzt.pk}/").json()
        assert api["due_on"] == "2027-04-06"

    # The overdue board: on 6 April nothing of Q1 is overdue; on 7 April the moved ones are, from 6 April.
    subjects = {f"obligation:{pk}" for pk in owed.values_list("pk", flat=True)}
    with time_machine.travel(at(2027, 4, 6), tick=False):
        board = {row["subject"] for g in overdue_board() for row in g["rows"]}
        assert not board & subjects
    with time_machine.travel(at(2027, 4, 7), tick=False):
        rows = {row["subject"]: row for g in overdue_board() for row in g["rows"]}
        assert subjects <= set(rows)
        assert {rows[s]["reminder"].due_on for s in subjects} == {date(2027, 4, 6)}
        page = client_for(users["office"]).get("/deadlines/overdue/").content.decode()
        assert "2027-04-06" in page or "2027年4月6日" in page


def test_deleting_the_year_moves_them_back_and_saving_twice_moves_once(world, users):
    q1 = world
    with time_machine.travel(at(2027, 3, 1), tick=False):
        calendar_year_save(year=2027, holidays=HOLIDAYS_2027, workdays="", by=users["office"])
        calendar_year_save(year=2027, holidays=HOLIDAYS_2027, workdays="", by=users["office"])
        assert AuditEntry.objects.filter(action="obligation.due_move").count() == 5
        calendar_year_delete(year=2027, by=users["office"])
    owed = q1.filter(status=Obligation.OPEN).exclude(member_unit__code="zjt")
    assert set(owed.values_list("due_on", flat=True)) == {date(2027, 4, 5)}
    back = AuditEntry.objects.filter(action="obligation.due_move", reason="删除 2027 年录入的节假日安排")
    assert back.count() == 5 and {tuple(m.changes["due_on"]) for m in back} == {("2027-04-06", "2027-04-05")}
    assert q1.get(member_unit__code="zjt").due_on == date(2027, 4, 9)


def test_an_admin_edit_of_a_day_moves_them_too(world, users, client_for):
    q1 = world
    with time_machine.travel(at(2027, 3, 1), tick=False):
        admin = client_for(users["admin"])  # signed in on the day (a session from today would have expired)
        r = admin.post("/admin/deadlines/calendarday/add/", {"day": "2027-04-05", "is_working": "", "name": "清明节"})
        assert r.status_code == 302, r.content.decode()[-3000:]
        assert r["Location"].endswith("/admin/deadlines/calendarday/"), r["Location"]
    owed = q1.filter(status=Obligation.OPEN).exclude(member_unit__code="zjt")
    assert set(owed.values_list("due_on", flat=True)) == {date(2027, 4, 6)}
    moves = AuditEntry.objects.filter(action="obligation.due_move")
    assert moves.count() == 5 and {m.reason for m in moves} == {"在管理后台修改节假日安排"}
