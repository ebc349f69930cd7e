"""Reads of the deadlines app that depend on who is asking."""

from datetime import date, timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from members.counties import reporting_units_in_tree
from members.selectors import (
    is_overseer,
    mechanism_id_current,
    mechanism_id_for,
    reporting_units_for_user,
    units_for_user,
)
from workflow.transitions import transition_allowed

from . import calendar, ladder
from .models import DeadlineRule, Message, Obligation
from .reminders import Cursor, sources
from .schedules import OBLIGOR_LABELS, missing_years_for, period_title


def may_edit_calendar(user) -> bool:
    return user.is_authenticated and (user.has_perm("members.dispatch") or user.is_staff)


def may_receive(user) -> bool:
    return user.is_authenticated and (user.has_perm("members.dispatch") or user.is_superuser)


def may_decide(user, obligation) -> bool:
    """接收 / 退回修改 now: the office, while a submission waits."""
    return may_receive(user) and transition_allowed(obligation, "accept")


def obligations_for_user(user):
    """Overseers see every obligation of their mechanism; a liaison or member their unit's; a
    prefecture user their own and their counties'; a county user their own."""
    qs = Obligation.objects.select_related("rule", "member_unit", "reporting_unit")
    if not user.is_authenticated:
        return qs.none()
    if is_overseer(user) or user.is_superuser:
        # The mechanism's rule ids as a list, not a join: the planner then reads them along
        # obligation_rule_due instead of hashing the whole table (docs/performance.md).
        rule_ids = list(DeadlineRule.objects.filter(mechanism_id=mechanism_id_for(user)).values_list("pk", flat=True))
        return qs.filter(rule_id__in=rule_ids)
    # A prefecture user also sees its counties' obligations (members.counties, docs/counties.md).
    return qs.filter(Q(member_unit__in=units_for_user(user)) | Q(reporting_unit__in=reporting_units_in_tree(user)))


def get_obligation_for_user_or_404(user, pk) -> Obligation:
    obligation = obligations_for_user(user).filter(pk=pk).first()
    if obligation is None:
        raise Http404("没有找到该报送任务。")
    return obligation


def may_submit(user, obligation: Obligation) -> bool:
    if obligation.member_unit_id:
        return units_for_user(user).filter(pk=obligation.member_unit_id).exists()
    return reporting_units_for_user(user).filter(pk=obligation.reporting_unit_id).exists()


def obligation_colour(o: Obligation, today: date | None = None) -> str:
    if o.status not in Obligation.OWED:
        return ladder.NONE
    return ladder.colour_for(o.due_on, today, ladder.Ladder(o.rule.blue_from, o.rule.red_after))


def messages_of_mechanism(mechanism_id):
    """Messages to the people of one joint meeting (its units' people and its prefectures' accounts)
    and to its units' group robots: the delivery log an office sees. Rows with neither a person nor a
    unit (invited guests' mail, the office's own group) belong to the deployment's joint meeting."""
    from members.models import User
    from members.selectors import mechanism_deployed

    people = User.objects.filter(
        Q(person__unit__mechanism_id=mechanism_id) | Q(reporting_unit__mechanism_id=mechanism_id)
    )
    mine = Q(recipient_id__in=people.values("pk")) | Q(robot__unit__mechanism_id=mechanism_id)
    deployed = mechanism_deployed()
    if deployed is not None and deployed.pk == mechanism_id:
        mine |= Q(recipient__isnull=True, robot__unit__isnull=True)
    return Message.objects.filter(mine)


def messages_for_user(user):
    """The delivery log (e-mail and SMS) of the user's mechanism."""
    return messages_of_mechanism(mechanism_id_for(user)).exclude(channel=Message.INAPP)


def messages_for_subjects(subjects) -> dict[str, dict]:
    """subject → {"count": reminders sent (SMS/e-mail/in-app), "failed": failures} for the boards."""
    rows = (
        Message.objects.filter(subject__in=list(subjects))
        .values("subject")
        .annotate(count=Count("id", filter=Q(status=Message.SENT)), failed=Count("id", filter=Q(status=Message.FAILED)))
    )
    return {r["subject"]: r for r in rows}


def overdue_board(today: date | None = None, mechanism_id: int | None = None) -> list[dict]:
    """Every overdue subject of every registered source (obligations, supervised items) of the
    mechanism (the signed-in person's by default), grouped by unit, worst first. Unbounded: for
    checks and exports; the 逾期督办 page reads `overdue_summary` and `overdue_page`."""
    today = today or timezone.localdate()
    mechanism_ids = [mechanism_id or mechanism_id_current()]
    reminders = [
        r for source in sources() for r in source.owed(until=today - timedelta(days=1), mechanism_ids=mechanism_ids)
    ]
    sent = messages_for_subjects(r.subject for r in reminders)
    units: dict[str, list] = {}
    for r in reminders:
        units.setdefault(r.unit_label, []).append(
            {
                "reminder": r,
                "subject": r.subject,
                "days_overdue": (today - r.due_on).days,
                "working_days_overdue": calendar.working_days_between(r.due_on, today),
                "colour": ladder.colour_for(r.due_on, today, r.ladder),
                "sent": sent.get(r.subject, {}).get("count", 0),
                "failed": sent.get(r.subject, {}).get("failed", 0),
            }
        )
    out = [{"unit": unit, "rows": sorted(rows, key=lambda x: -x["days_overdue"])} for unit, rows in units.items()]
    return sorted(out, key=lambda g: -max(x["days_overdue"] for x in g["rows"]))


BOARD_PAGE = 50  # rows of 逾期督办 per page


def _source_units(source, until, mechanism_ids):
    if hasattr(source, "overdue_units"):
        return source.overdue_units(until=until, mechanism_ids=mechanism_ids)
    # A source without the bounded reads: every row, grouped here (correct, not bounded).
    return [(r.unit_key or r.unit_label, 1, r.due_on) for r in source.owed(until=until, mechanism_ids=mechanism_ids)]


def _subject_pk(subject: str) -> int:
    pk = subject.split(":", 1)[-1]
    return int(pk) if pk.isdigit() else 0


def _source_page(source, until, mechanism_ids, unit, after, limit):
    if hasattr(source, "overdue_page"):
        return source.overdue_page(until=until, mechanism_ids=mechanism_ids, unit=unit, after=after, limit=limit)
    rows = [
        r
        for r in source.owed(until=until, mechanism_ids=mechanism_ids)
        if not unit or unit in (r.unit_key, r.unit_label)
    ]
    key = lambda r: (r.due_on, source.name, _subject_pk(r.subject))  # noqa: E731
    if after is not None:
        rows = [r for r in rows if key(r) > (after.due_on, after.source, after.pk)]
    return sorted(rows, key=key)[:limit]


def unit_labels(keys) -> dict[str, str]:
    """ "mu:3" / "ru:4" → the unit's name (one query for the prefectures; member units are cached)."""
    from members.models import ReportingUnit
    from members.selectors import unit_names

    names = unit_names()
    ru = [int(k[3:]) for k in keys if k.startswith("ru:") and k[3:].isdigit()]
    ru_names = dict(ReportingUnit.objects.filter(pk__in=ru).values_list("pk", "name")) if ru else {}
    out = {}
    for k in keys:
        kind, _, pk = k.partition(":")
        label = (
            names.get(int(pk))
            if kind == "mu" and pk.isdigit()
            else ru_names.get(int(pk))
            if kind == "ru" and pk.isdigit()
            else None
        )
        out[k] = label or k
    return out


def overdue_summary(today: date | None = None, mechanism_id: int | None = None) -> list[dict]:
    """逾期督办's first table: per unit, how many subjects are overdue and the oldest due day, the
    longest overdue first. One grouped query per source: bounded by the mechanism's units, whatever
    the number of rows."""
    today = today or timezone.localdate()
    until, mechanism_ids = today - timedelta(days=1), [mechanism_id or mechanism_id_current()]
    units: dict[str, dict] = {}
    for source in sources():
        for key, n, oldest in _source_units(source, until, mechanism_ids):
            u = units.setdefault(key, {"key": key, "count": 0, "oldest": oldest})
            u["count"] += n
            u["oldest"] = min(u["oldest"], oldest)
    labels = unit_labels(units)
    for u in units.values():
        u["label"] = labels[u["key"]]
        u["days_overdue"] = (today - u["oldest"]).days
        u["working_days_overdue"] = calendar.working_days_between(u["oldest"], today)
        u["drill"] = ":" in u["key"]
    return sorted(units.values(), key=lambda u: (u["oldest"], u["label"]))


def overdue_page(
    today: date | None = None,
    mechanism_id: int | None = None,
    *,
    unit: str = "",
    after: Cursor | None = None,
    limit: int = BOARD_PAGE,
) -> tuple[list[dict], Cursor | None]:
    """One page of 逾期督办's rows (one unit's, or every unit's when `unit` is ""), the longest overdue
    first, after `after`; and the cursor of the next page (None on the last). Each source reads at
    most `limit + 1` rows along an index; the reminders already sent are one grouped query."""
    today = today or timezone.localdate()
    until, mechanism_ids = today - timedelta(days=1), [mechanism_id or mechanism_id_current()]
    merged = []
    for source in sources():
        for r in _source_page(source, until, mechanism_ids, unit, after, limit + 1):
            merged.append(((r.due_on, source.name, _subject_pk(r.subject)), r))
    merged.sort(key=lambda pair: pair[0])
    more = len(merged) > limit
    merged = merged[:limit]
    sent = messages_for_subjects(r.subject for _, r in merged)
    rows = [
        {
            "reminder": r,
            "subject": r.subject,
            "unit": r.unit_label,
            "unit_key": r.unit_key,
            "days_overdue": (today - r.due_on).days,
            "working_days_overdue": calendar.working_days_between(r.due_on, today),
            "colour": ladder.colour_for(r.due_on, today, r.ladder),
            "sent": sent.get(r.subject, {}).get("count", 0),
            "failed": sent.get(r.subject, {}).get("failed", 0),
        }
        for _, r in merged
    ]
    return rows, (Cursor(*merged[-1][0]) if more and merged else None)


def due_preview(mechanism, today: date | None = None, months: int = 12) -> dict:
    """Every due date of the next `months` months, rule by rule, with the calendar years it needs."""
    today = today or timezone.localdate()
    last = date(today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1, 1) - timedelta(
        days=1
    )
    rows, periods = [], []
    for rule in DeadlineRule.objects.filter(mechanism=mechanism, active=True):
        spec = rule.spec()
        for p in spec.periods(today, last):
            periods.append(p)
            rows.append(
                {
                    "rule": rule,
                    "period": p,
                    "describe": spec.schedule.describe(),
                    "title": period_title(p.label, rule.title),
                    "obligors": OBLIGOR_LABELS[rule.obligors],
                    "weekday": "一二三四五六日"[p.due.weekday()],
                    "missing": calendar.calendar_missing_years([p.due.year, p.end.year, p.opens.year]),
                }
            )
    rows.sort(key=lambda r: (r["period"].due, r["rule"].order))
    return {"rows": rows, "first": today, "last": last, "missing_years": missing_years_for(periods)}


def due_missing_years(o: Obligation) -> list[int]:
    """The years an obligation's stored due day depended on that nobody has entered: while this is not
    empty the day is provisional (counted with weekends only) and may move when the year is entered."""
    return calendar.calendar_missing_years({o.due_on.year, o.period_end.year, o.opens_on.year})


def due_provisional(o: Obligation) -> bool:
    return bool(due_missing_years(o))


def provisional_years(obligations) -> list[int]:
    """Every missing year the given obligations' due days depend on (for the page's warning)."""
    years = set()
    for o in obligations:
        years |= set(due_missing_years(o))
    return sorted(years)


def front_page_warning_years(today: date | None = None) -> list[int]:
    """This year if nobody knows it, and from 1 November (the State Council publishes the coming year's
    holidays around then) the next year too: what the office's front page warns about."""
    today = today or timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return calendar.calendar_missing_years(years)


def calendar_warning_years(today: date | None = None) -> list[int]:
    """This year and the next, if nobody knows their holidays: the office is warned on every page
    it uses for deadlines (the coming year is published late each year)."""
    today = today or timezone.localdate()
    return calendar.calendar_missing_years([today.year, today.year + 1])


def unread_count(user) -> int:
    """How many of `user`'s in-app notifications are unread (the header badge)."""
    return Message.objects.filter(recipient=user, channel=Message.INAPP, read_at__isnull=True).count()


def notifications_for(user, *, kind: str = "", unread_only: bool = False):
    """`user`'s in-app notifications, newest first; `kind` is a kind code of the catalogue ("dispatched")
    and matches its numbered variants ("consult:2")."""
    qs = Message.objects.filter(recipient=user, channel=Message.INAPP)
    if kind:
        qs = qs.filter(Q(kind=kind) | Q(kind__startswith=f"{kind}:"))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def delivery_overview() -> dict:
    """What 发送记录 shows above the log: each channel's state, what waits and what failed per channel,
    and the duplicate window (rows claimed again after a send was interrupted)."""
    from django.db.models import Sum

    from .models import ChannelState
    from .outbox import CHANNEL_LABELS, SENDABLE

    counts = {
        (c, s): n
        for c, s, n in Message.objects.filter(channel__in=SENDABLE)
        .exclude(status=Message.SENT)
        .values("channel", "status")
        .annotate(n=Count("id"))
        .values_list("channel", "status", "n")
    }
    states = list(ChannelState.objects.all())
    by_key = {s.key: s for s in states}
    channels = []
    for c in SENDABLE:
        s = by_key.get(c)
        robots_down = [r for r in states if r.key.startswith(f"{c}:") and r.is_down]
        channels.append(
            {
                "code": c,
                "label": CHANNEL_LABELS[c],
                "state": s,
                "robots_down": robots_down,
                "pending": counts.get((c, Message.PENDING), 0) + counts.get((c, Message.SENDING), 0),
                "failed": counts.get((c, Message.FAILED), 0),
            }
        )
    reclaimed = Message.objects.filter(reclaimed__gt=0).aggregate(rows=Count("id"), times=Sum("reclaimed"))
    return {
        "channel_rows": channels,
        "failed": sum(ch["failed"] for ch in channels),
        "down": [s for s in states if s.is_down],
        "reclaimed_rows": reclaimed["rows"] or 0,
        "reclaimed_sent": Message.objects.filter(reclaimed__gt=0, status=Message.SENT).count(),
    }
