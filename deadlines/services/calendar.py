"""The office's working-day calendar (holidays, make-up workdays) and the stored due dates that
follow it."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from core.errors import DomainError
from core.services import audit_record

from .. import calendar
from ..models import CalendarDay, CalendarYear, DeadlineRule, Obligation

# --- Calendar ----------------------------------------------------------------------------------------


def _parse_days(text: str, field_name: str, year: int) -> list[tuple[date, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        day_text, _sep, name = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise DomainError(f"第 {n} 行 “{line}”：日期应写作 YYYY-MM-DD，后面可跟名称。", field=field_name) from None
        if day.year != year:
            raise DomainError(f"第 {n} 行 {day_text} 不在 {year} 年内。", field=field_name)
        out.append((day, name.strip()[:30]))
    return out


@transaction.atomic
def calendar_year_save(*, year: int, holidays: str, workdays: str, note: str = "", by) -> CalendarYear:
    """Enter (or replace) a whole year's statutory holidays and make-up workdays, as the State
    Council published them. One date per line, optionally followed by a name."""
    if not 2000 <= year <= 2100:
        raise DomainError("年份应在 2000 到 2100 之间。", field="year")
    off = _parse_days(holidays, "holidays", year)
    on = _parse_days(workdays, "workdays", year)
    both = {d for d, _ in off} & {d for d, _ in on}
    if both:
        raise DomainError(f"{'、'.join(sorted(d.isoformat() for d in both))} 不能既放假又调休上班。", field="workdays")
    bad_on = [d for d, _ in on if d.weekday() < 5]
    if bad_on:
        raise DomainError(f"{bad_on[0]} 是周一至周五，本来就上班，不是调休上班日。", field="workdays")
    before = sorted(
        f"{d} {'上班' if w else '放假'}"
        for d, w in CalendarDay.objects.filter(day__year=year).values_list("day", "is_working")
    )
    snapshot = owed_due_snapshot()
    CalendarDay.objects.filter(day__year=year).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(day=d, is_working=False, name=n) for d, n in off]
        + [CalendarDay(day=d, is_working=True, name=n) for d, n in on]
    )
    entry, _ = CalendarYear.objects.update_or_create(year=year, defaults={"note": note[:200], "entered_by": by})
    transaction.on_commit(calendar.cache_clear)
    calendar.cache_clear()
    moved = obligations_follow_calendar(snapshot=snapshot, by=by, why=f"录入 {year} 年节假日安排")
    audit_record(
        actor=by,
        action="calendar.year_save",
        obj=entry,
        reason=note,
        changes={"before": before, "holidays": len(off), "workdays": len(on), "moved": moved},
    )
    return entry


@transaction.atomic
def calendar_year_delete(*, year: int, by) -> None:
    entry = CalendarYear.objects.filter(year=year).first()
    if entry is None:
        raise DomainError(f"{year} 年没有录入的节假日。")
    snapshot = owed_due_snapshot()
    CalendarDay.objects.filter(day__year=year).delete()
    entry_pk = entry.pk
    entry.delete()
    entry.pk = entry_pk
    transaction.on_commit(calendar.cache_clear)
    calendar.cache_clear()
    moved = obligations_follow_calendar(snapshot=snapshot, by=by, why=f"删除 {year} 年录入的节假日安排")
    audit_record(
        actor=by,
        action="calendar.year_delete",
        obj=entry,
        reason=f"删除 {year} 年录入的节假日",
        changes={"moved": moved},
    )


# --- Stored due dates follow the calendar ---------------------------------------------------------------
#
# An obligation is created up to 120 days ahead with the calendar known then; a year the State Council
# publishes later (or the office corrects) changes its due day. Whenever the office saves or deletes a
# year, every owed obligation whose stored due day is exactly what its rule gave under the previous
# calendar is recomputed; one whose stored day differs was not set by the rule (a person fixed it) and
# is left alone. Submitted and accepted obligations keep their day: lateness was decided on it.

REMINDER_KINDS = ("before", "due", "overdue", "escalation")


def owed_due_snapshot() -> dict:
    """(rule id, period key) → (due, opens) for every owed obligation, under the calendar in force now
    (read from the database: this process's cache is cleared first)."""
    calendar.cache_clear()
    out = {}
    rules = {}
    for rule_id, period in Obligation.objects.owed().values_list("rule_id", "period").distinct():
        if rule_id not in rules:
            rules[rule_id] = DeadlineRule.objects.get(pk=rule_id).spec()
        p = rules[rule_id].period(period)
        if p is not None:
            out[(rule_id, period)] = (p.due, p.opens)
    return out


def obligations_follow_calendar(*, snapshot: dict, by, why: str) -> int:
    """Move the owed obligations' due days to what their rules give under the calendar in force now.
    `snapshot` is `owed_due_snapshot()` taken before the calendar changed. Each move is audited (old and
    new day, why), the planned but unsent reminders for the old day are withdrawn (the reminder key's
    period is the due day, so the ladder restarts on the new day by itself) and the obligor's people are
    told. Runs inside the caller's transaction; returns how many obligations moved."""
    from ..events import event_notify
    from ..models import Message

    rules, new = {}, {}
    for (rule_id, period), old in snapshot.items():
        if rule_id not in rules:
            rules[rule_id] = DeadlineRule.objects.get(pk=rule_id).spec()
        p = rules[rule_id].period(period)
        if p is not None and (p.due, p.opens) != old:
            new[(rule_id, period)] = (p.due, p.opens)
    if not new:
        return 0
    candidates = Q()
    for rule_id, period in new:
        candidates |= Q(rule_id=rule_id, period=period)
    moved = []
    for o in (
        Obligation.objects.owed()
        .filter(candidates)
        .select_for_update(of=("self",))
        .select_related("rule", "member_unit", "reporting_unit")
        .order_by("due_on", "id")
    ):
        old_due, old_opens = snapshot[(o.rule_id, o.period)]
        if o.due_on != old_due:
            continue  # not the rule's day: someone set it, and a calendar change must not undo that
        new_due, new_opens = new[(o.rule_id, o.period)]
        o.due_on, o.opens_on = new_due, new_opens
        o.save(update_fields=["due_on", "opens_on"])
        audit_record(
            actor=by,
            action="obligation.due_move",
            obj=o,
            reason=why,
            changes={
                "due_on": [old_due.isoformat(), new_due.isoformat()],
                "opens_on": [old_opens.isoformat(), new_opens.isoformat()],
            },
        )
        moved.append((o, old_due))
    if not moved:
        return 0
    # Reminders planned for the old day and not sent yet would announce the wrong date: withdraw them.
    withdraw = Q()
    for kind in REMINDER_KINDS:
        withdraw |= Q(kind=kind) | Q(kind__startswith=f"{kind}:")
    for o, old_due in moved:
        Message.objects.filter(
            withdraw, subject=f"obligation:{o.pk}", period=old_due.isoformat(), status=Message.PENDING
        ).delete()
    for o, old_due in moved:
        event_notify(
            event="date_moved",
            obj=o,
            by=by,
            old=old_due,
            why=why,
            units=[o.member_unit_id] if o.member_unit_id else [],
            reporting_units=[o.reporting_unit_id] if o.reporting_unit_id else [],
            period=f"{old_due.isoformat()}>{o.due_on.isoformat()}",
        )
    return len(moved)


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def calendar_year_from_package(year: int) -> tuple[str, str]:
    """The package's holidays and make-up workdays of a year as the office's form text ("", "" if unknown)."""
    import chinese_calendar

    holidays, workdays = [], []
    day = date(year, 1, 1)
    while day.year == year:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return "", ""
        label = HOLIDAY_NAMES.get(name, name or "")
        if day.weekday() < 5 and is_holiday:
            holidays.append(f"{day} {label}".strip())
        elif day.weekday() >= 5 and not is_holiday:
            workdays.append(f"{day} {label}调休上班".strip())
        day += timedelta(days=1)
    return "\n".join(holidays), "\n".join(workdays)
