"""What waits for a person in `inspections`, for the unified 我的待办: the office's findings not yet
issued as rectification items, and the inspections a team member is on that are still open."""

from django.db import connection
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat
from django.urls import reverse

from members.selectors import mechanism_id_for

from .models import Finding, Inspection


def pending_for(user, *, limit: int = 20) -> list[dict]:
    """Dicts (kind, key, title, unit, due_on, url, action), soonest first, in one query."""
    if not user.is_authenticated:
        return []
    mechanism_id = mechanism_id_for(user)
    cols = ("kind", "pk", "label", "place", "due_on")
    team = (
        Inspection.objects.filter(team=user, status=Inspection.Status.PLANNED, mechanism_id=mechanism_id)
        .annotate(
            kind=Value("inspection", output_field=CharField()),
            label=F("title"),
            place=F("reporting_unit__name"),
            due_on=F("ends_on"),
        )
        .values_list(*cols)
    )
    query = team.order_by()
    if user.has_perm("members.dispatch"):
        office = (
            Finding.objects.filter(status=Finding.Status.RECORDED, inspection__mechanism_id=mechanism_id)
            .annotate(
                kind=Value("finding", output_field=CharField()),
                label=Concat(F("inspection__title"), Value(" 问题"), F("number"), output_field=CharField()),
                place=F("reporting_unit__name"),
                due_on=F("inspection__ends_on"),
            )
            .values_list(*cols)
        )
        if connection.features.supports_slicing_ordering_in_compound:
            # Each side limited first (PostgreSQL): the oldest waiting findings through the
            # (status, recorded_at) index, so the union sorts at most 2 × limit rows.
            query = team.order_by("due_on", "pk")[:limit].union(office.order_by("recorded_at", "pk")[:limit], all=True)
        else:
            query = team.order_by().union(office.order_by(), all=True)  # no ORDER BY inside (SQLite)
    rows = list(query.order_by("due_on", "pk")[:limit])
    out = []
    for kind, pk, label, place, due_on in rows:
        if kind == "inspection":
            out.append(
                {
                    "kind": "inspection",
                    "key": f"inspection:{pk}",
                    "title": label,
                    "unit": place or "",
                    "due_on": due_on,
                    "url": reverse("inspections:detail", args=[pk]),
                    "action": "记录检查发现的问题",
                }
            )
        else:
            out.append(
                {
                    "kind": "finding",
                    "key": f"finding:{pk}",
                    "title": label,
                    "unit": place or "",
                    "due_on": due_on,
                    "url": reverse("inspections:finding", args=[pk]),
                    "action": "交办整改",
                }
            )
    return out


# --- the same steps as sources of the unified 我的待办 (workflow.inbox, docs/inbox.md) ----------------------


class InspectionSource:
    """An inspection the person is on, still open: findings to record on site (检查中), due by its last day."""

    kind, label, order = "inspection", "督导检查", 75
    shown_when_empty = False  # an occasional step: no empty tab for everyone who might get one

    def applies(self, ctx) -> bool:
        return ctx.mechanism_id is not None  # anyone may be named to a team (one bounded query)

    def _qs(self, ctx, filters):
        from workflow.inbox import due_filter

        qs = Inspection.objects.filter(team=ctx.user, status=Inspection.Status.PLANNED, mechanism_id=ctx.mechanism_id)
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(reporting_unit_id=ref[1]) if ref[0] == "ru" else qs.none()
        if filters.q:
            qs = qs.filter(title__contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="ends_on")

    def entries(self, ctx, *, after, limit, filters):
        from workflow.inbox import InboxEntry, keyset

        rows = keyset(self._qs(ctx, filters), after, due="ends_on", limit=limit).values_list(
            "pk", "title", "reporting_unit__name", "ends_on"
        )
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=title,
                unit_name=place or "",
                due=due,
                url=reverse("inspections:detail", args=[pk]),
                verb="记录问题",
                status_label="检查中",
            )
            for pk, title, place, due in rows
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class FindingSource:
    """A finding recorded on site, waiting for the office to issue it as a rectification (交办整改)."""

    kind, label, order = "finding", "待交办整改", 85

    def applies(self, ctx) -> bool:
        return ctx.mechanism_id is not None and ctx.has_perm("members.dispatch")

    def _qs(self, ctx, filters):
        from workflow.inbox import due_filter

        qs = Finding.objects.filter(status=Finding.Status.RECORDED, inspection__mechanism_id=ctx.mechanism_id)
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(reporting_unit_id=ref[1]) if ref[0] == "ru" else qs.none()
        if filters.q:
            qs = qs.filter(inspection__title__contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="inspection__ends_on")

    def entries(self, ctx, *, after, limit, filters):
        from workflow.inbox import InboxEntry, keyset

        rows = keyset(self._qs(ctx, filters), after, due="inspection__ends_on", limit=limit).values_list(
            "pk", "inspection__title", "number", "reporting_unit__name", "inspection__ends_on", "recorded_at"
        )
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=f"{title} 问题{number}",
                unit_name=place or "",
                due=due,
                url=reverse("inspections:finding", args=[pk]),
                verb="交办整改",
                since=since,
                status_label=str(Finding.Status.RECORDED.label),
            )
            for pk, title, number, place, due, since in rows
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)
