"""Reports in 我的待办 (workflow.inbox, docs/inbox.md): what a member unit or a prefecture still owes
(待报送, 退回修改), and for the office the reports waiting for acceptance. Also gives the inbox the
colour ladder and the 临期 window, so `workflow` needs no import of this app."""

import time
from datetime import date

from django.db.models import Q
from django.urls import reverse

from workflow import inbox
from workflow.inbox import InboxEntry, due_filter, keyset

from .calendar import add_working_days
from .ladder import LABELS, colour_for, countdown
from .models import Obligation
from .schedules import period_title

_SENTINEL = 987654321

# colour_for counts working days one by one; a page asks about the same few dates all day. Kept for
# ten minutes at most, so a holiday calendar edited by hand shows up soon after.
_CACHE: dict = {}
_TTL_SECONDS = 600


def urgency(due: date, today: date) -> tuple[str, str, str]:
    """(colour, colour label, 剩余 N 天 / 今日到期 / 逾期 N 天) on the default ladder."""
    epoch = (today, int(time.monotonic() // _TTL_SECONDS))
    if _CACHE.get("epoch") != epoch:
        _CACHE.clear()
        _CACHE["epoch"] = epoch
    hit = _CACHE.get(due)
    if hit is None:
        colour = colour_for(due, today)
        hit = (colour, LABELS[colour], countdown(due, today))
        if len(_CACHE) < 5000:
            _CACHE[due] = hit
    return hit


def soon_until(today: date) -> date:
    return add_working_days(today, 3)


def _href() -> str:
    return reverse("deadlines:obligation", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")


_VALUES = (
    "pk",
    "period_label",
    "rule__title",
    "member_unit__name",
    "reporting_unit__name",
    "due_on",
    "status",
    "submitted_at",
)


class ReportSource:
    """Reports the person's member units or prefectures owe: open (opened for submission) or returned."""

    kind, label, order = "report", "报送任务", 40

    def applies(self, ctx) -> bool:
        return bool(ctx.unit_ids or ctx.reporting_unit_ids)

    def _qs(self, ctx, filters):
        units, prefectures = ctx.member_unit_ids(filters), ctx.reporting_ids(filters)
        qs = Obligation.objects.filter(
            Q(member_unit_id__in=units) | Q(reporting_unit_id__in=prefectures),
            status__in=Obligation.OWED,
            opens_on__lte=ctx.today,
            rule__active=True,
        )
        if filters.q:
            qs = qs.filter(Q(rule__title__contains=filters.q) | Q(period_label__contains=filters.q))
        return due_filter(qs, filters, ctx.today, due="due_on")

    def entries(self, ctx, *, after, limit, filters):
        href = _href()
        out = []
        for pk, period, rule, unit, prefecture, due, status, _ in keyset(
            self._qs(ctx, filters), after, due="due_on", limit=limit
        ).values_list(*_VALUES):
            returned = status == Obligation.RETURNED
            out.append(
                InboxEntry(
                    kind=self.kind,
                    pk=pk,
                    title=period_title(period, rule),
                    unit_name=unit or prefecture,
                    due=due,
                    url=href.format(pk),
                    verb="重新报送" if returned else "报送",
                    status_label="退回修改" if returned else "待报送",
                )
            )
        return out

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class AcceptSource:
    """Reports submitted and waiting for the office to accept (接收) or return them."""

    kind, label, order = "report_accept", "待接收报送", 50

    def applies(self, ctx) -> bool:
        return ctx.has_perm("members.dispatch") and ctx.mechanism_id is not None

    def _qs(self, ctx, filters):
        # A county's return is received by its prefecture (CountyReturnSource), not by the office.
        qs = Obligation.objects.filter(
            status=Obligation.SUBMITTED, rule__mechanism_id=ctx.mechanism_id, parent__isnull=True
        )
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(**{"member_unit_id" if ref[0] == "mu" else "reporting_unit_id": ref[1]})
        if filters.q:
            qs = qs.filter(Q(rule__title__contains=filters.q) | Q(period_label__contains=filters.q))
        return due_filter(qs, filters, ctx.today, due="due_on")

    def entries(self, ctx, *, after, limit, filters):
        href = _href()
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=period_title(period, rule),
                unit_name=unit or prefecture,
                due=due,
                url=href.format(pk),
                verb="接收",
                since=at,
                status_label="已报送待接收",
            )
            for pk, period, rule, unit, prefecture, due, _, at in keyset(
                self._qs(ctx, filters), after, due="due_on", limit=limit
            ).values_list(*_VALUES)
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class CountyReturnSource:
    """A county's return of a report its prefecture passed down, waiting for the prefecture to receive
    it (接收) or send it back (deadlines.cascade, docs/counties.md)."""

    kind, label, order = "county_return", "县区报送待接收", 55

    def applies(self, ctx) -> bool:
        return bool(ctx.reporting_unit_ids)

    def _qs(self, ctx, filters):
        qs = Obligation.objects.filter(
            status=Obligation.SUBMITTED, reporting_unit__parent_id__in=ctx.reporting_unit_ids
        )
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(reporting_unit_id=ref[1]) if ref[0] == "ru" else qs.none()
        if filters.q:
            qs = qs.filter(Q(rule__title__contains=filters.q) | Q(period_label__contains=filters.q))
        return due_filter(qs, filters, ctx.today, due="due_on")

    def entries(self, ctx, *, after, limit, filters):
        href = _href()
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=period_title(period, rule),
                unit_name=unit or prefecture,
                due=due,
                url=href.format(pk),
                verb="接收",
                since=at,
                status_label="县区已报送待接收",
            )
            for pk, period, rule, unit, prefecture, due, _, at in keyset(
                self._qs(ctx, filters), after, due="due_on", limit=limit
            ).values_list(*_VALUES)
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


def register() -> None:
    inbox.register_urgency(urgency)
    inbox.register_soon(soon_until)
    inbox.register_source(ReportSource())
    inbox.register_source(AcceptSource())
    inbox.register_source(CountyReturnSource())
