"""二次交办 and 成员审核 in a person's 待办 (docs/divisions.md): `pending_for(user, *, limit)` returns what
waits for this person as plain dicts (kind, key, title, unit, due_on, url, action), soonest due first,
for the unified 我的待办 to merge with the other apps' sources. Each source is one query."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse

from members.access import access_for

from .division_selectors import _unit_reviewer_units
from .models import DivisionPart, HeadReview


def parts_pending_for(user, *, limit: int = 50) -> list[dict]:
    """The open parts of the user's divisions (办理中 or 退回修改): one query, read in the index's order."""
    division_ids = access_for(user).division_ids if user.is_authenticated else ()
    if not division_ids:
        return []
    rows = (
        DivisionPart.objects.filter(division_id__in=division_ids, status__in=DivisionPart.WORKABLE)
        .order_by("due_date", "pk")
        .values_list("pk", "item_id", "item__title", "assignment__unit__name", "division__name", "due_date", "status")[
            :limit
        ]
    )
    return [
        {
            "kind": "division_part",
            "key": f"part:{pk}",
            "title": title,
            "unit": f"{unit}{division}",
            "due_on": due,
            "url": reverse("items:detail", args=[item_id]) + f"#part-{pk}",
            "action": "修改后报送" if status == DivisionPart.Status.RETURNED else "办理并报送",
        }
        for pk, item_id, title, unit, division, due, status in rows
    ]


def reviews_pending_for(user, *, limit: int = 50) -> list[dict]:
    """What waits for this member's review (成员审核): one query (plus one for the unit grants, cached
    on the user)."""
    if not user.is_authenticated:
        return []
    access = access_for(user)
    units = _unit_reviewer_units(user)
    if not access.review_division_ids and not units:
        return []
    from django.db.models import Q

    rows = (
        HeadReview.objects.filter(status=HeadReview.Status.PENDING)
        .filter(Q(division_id__in=access.review_division_ids) | Q(division__isnull=True, unit_id__in=units))
        .annotate(due=Coalesce(F("part__due_date"), F("assignment__due_date")))
        .order_by("due", "pk")
        .values_list("pk", "item_id", "item__title", "unit__name", "division__name", "due")[:limit]
    )
    return [
        {
            "kind": "head_review",
            "key": f"review:{pk}",
            "title": title,
            "unit": f"{unit}{division or ''}",
            "due_on": due,
            "url": reverse("items:detail", args=[item_id]) + f"#review-{pk}",
            "action": "成员审核",
        }
        for pk, item_id, title, unit, division, due in rows
    ]


def pending_for(user, *, limit: int = 50) -> list[dict]:
    """Both sources, soonest due first."""
    rows = parts_pending_for(user, limit=limit) + reviews_pending_for(user, limit=limit)
    return sorted(rows, key=lambda r: (r["due_on"], r["key"]))[:limit]


# --- the same steps as sources of the unified 我的待办 (workflow.inbox, docs/inbox.md) ----------------------


class DivisionPartSource:
    """A part of a unit's share passed to one of the person's divisions (二次交办), to report."""

    kind, label, order = "division_part", "处室任务", 15
    shown_when_empty = False  # an occasional step: no empty tab for everyone who might get one

    def applies(self, ctx) -> bool:
        return bool(access_for(ctx.user).division_ids)

    def _qs(self, ctx, filters):
        from workflow.inbox import due_filter

        qs = DivisionPart.objects.filter(
            division_id__in=access_for(ctx.user).division_ids, status__in=DivisionPart.WORKABLE
        )
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(assignment__unit_id=ref[1]) if ref[0] == "mu" else qs.none()
        if filters.q:
            qs = qs.filter(item__title__contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="due_date")

    def entries(self, ctx, *, after, limit, filters):
        from workflow.inbox import InboxEntry, keyset

        rows = keyset(self._qs(ctx, filters), after, due="due_date", limit=limit).values_list(
            "pk",
            "item_id",
            "item__title",
            "assignment__unit__name",
            "division__name",
            "due_date",
            "status",
            "assigned_at",
        )
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=title,
                unit_name=f"{unit}{division}",
                due=due,
                url=reverse("items:detail", args=[item_id]) + f"#part-{pk}",
                verb="修改后报送" if status == DivisionPart.Status.RETURNED else "办理",
                since=since,
                status_label=str(DivisionPart.Status(status).label),
            )
            for pk, item_id, title, unit, division, due, status, since in rows
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class HeadReviewSource:
    """What a liaison submitted, waiting for this member's review (成员审核) before it leaves the unit."""

    kind, label, order = "head_review", "成员审核", 25
    shown_when_empty = False  # an occasional step: no empty tab for everyone who might get one

    def applies(self, ctx) -> bool:
        # No query: a division's member (review_division_ids) or a unit-level member (the role); the
        # unit grants themselves are read by the source's one query.
        access = access_for(ctx.user)
        return bool(access.review_division_ids) or any(role == "member" for role, _label in access.roles)

    def _qs(self, ctx, filters):
        from django.db.models import Q

        from workflow.inbox import due_filter

        access = access_for(ctx.user)
        qs = (
            HeadReview.objects.filter(status=HeadReview.Status.PENDING)
            .filter(
                Q(division_id__in=access.review_division_ids)
                | Q(division__isnull=True, unit_id__in=_unit_reviewer_units(ctx.user))
            )
            .annotate(due=Coalesce(F("part__due_date"), F("assignment__due_date")))
        )
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(unit_id=ref[1]) if ref[0] == "mu" else qs.none()
        if filters.q:
            qs = qs.filter(item__title__contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="due")

    def entries(self, ctx, *, after, limit, filters):
        from workflow.inbox import InboxEntry, keyset

        rows = keyset(self._qs(ctx, filters), after, due="due", limit=limit).values_list(
            "pk", "item_id", "item__title", "unit__name", "division__name", "due", "submitted_at"
        )
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=title,
                unit_name=f"{unit}{division or ''}",
                due=due,
                url=reverse("items:detail", args=[item_id]) + f"#review-{pk}",
                verb="审核",
                since=since,
                status_label="待成员审核",
            )
            for pk, item_id, title, unit, division, due, since in rows
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)
