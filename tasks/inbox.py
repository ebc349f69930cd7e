"""The supervised items' steps in 我的待办 (workflow.inbox, docs/inbox.md): a unit's open tasks (签收,
办理, 修改), the office's items waiting for review (办结 or 退回修改), and the 延期/退回 requests waiting
for the convener or deputy. Each is one bounded keyset query on an index of the due date."""

from django.db.models import Exists, OuterRef
from django.urls import reverse

from workflow.inbox import InboxEntry, due_filter, keyset

from .models import Assignment, Item, UnitRequest, role_label_for

_SENTINEL = 987654321


def _detail_href() -> str:
    """`/items/{}/`, reversed once per page (a page of 50 rows would reverse 50 times)."""
    return reverse("items:detail", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices}


class TaskSource:
    """A member unit's open share of a supervised item: what the old 我的待办 listed, at its speed."""

    kind, label, order = "task", "督办事项", 10
    extra_filters = {  # shown when 督办事项 is the chosen kind
        "status": ("状态", [(s.value, s.label) for s in Assignment.Status if s in Assignment.OPEN]),
        "role": (
            "分工",
            [(Assignment.Role.LEAD.value, "主办（牵头）"), (Assignment.Role.PARTICIPATING.value, "协办（配合）")],
        ),
    }
    VERBS = {
        Assignment.Status.TODO: "签收",
        Assignment.Status.CLAIMED: "办理",
        Assignment.Status.RETURN_REQUESTED: "等待决定",
        Assignment.Status.REVISION: "修改",
    }

    def applies(self, ctx) -> bool:
        return bool(ctx.unit_ids)

    def _qs(self, ctx, filters):
        status = filters.extra.get("status", "")
        statuses = [status] if status in Assignment.OPEN else list(Assignment.OPEN)
        qs = Assignment.objects.filter(unit_id__in=ctx.member_unit_ids(filters), status__in=statuses)
        role = filters.extra.get("role", "")
        if role in Assignment.Role.values:
            qs = qs.filter(role=role)
        if filters.q:
            qs = qs.filter(item__title__text_contains=filters.q)  # the bigram index (core.search)
        return due_filter(qs, filters, ctx.today, due="due_date")

    def entries(self, ctx, *, after, limit, filters):
        rows = keyset(self._qs(ctx, filters), after, due="due_date", limit=limit).values_list(
            "pk", "item_id", "item__title", "unit__name", "due_date", "status", "role", "order", "claimed_at"
        )
        href, labels = _detail_href(), _labels(Assignment.Status.choices)
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=title,
                unit_name=unit,
                due=due,
                url=f"{href.format(item_id)}#task-{pk}",
                verb=self.VERBS.get(status, "办理"),
                since=claimed,
                status_label=f"{role_label_for(role, order)} · {labels[status]}",
            )
            for pk, item_id, title, unit, due, status, role, order, claimed in rows
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class ItemReviewSource:
    """Items the lead unit has reported back on, waiting for the office to accept (办结) or return."""

    kind, label, order = "item_review", "待审核办结", 20

    def applies(self, ctx) -> bool:
        return ctx.has_perm("members.dispatch")

    def _qs(self, ctx, filters):
        qs = Item.objects.filter(status=Item.Status.UNDER_REVIEW).filter(
            Exists(Assignment.objects.filter(item=OuterRef("pk"), unit__mechanism_id=ctx.mechanism_id))
        )
        ref = filters.unit_ref()
        if ref is not None:
            if ref[0] != "mu":
                return qs.none()
            qs = qs.filter(Exists(Assignment.objects.filter(item=OuterRef("pk"), unit_id=ref[1])))
        if filters.q:
            qs = qs.filter(title__text_contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="due_date")

    def entries(self, ctx, *, after, limit, filters):
        href = _detail_href()
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=title,
                unit_name="",
                due=due,
                url=href.format(pk),
                verb="审核",
                status_label="待审核",
            )
            for pk, title, due in keyset(self._qs(ctx, filters), after, due="due_date", limit=limit).values_list(
                "pk", "title", "due_date"
            )
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class RequestSource:
    """延期/退回 requests waiting for the convener or deputy, due when the unit's share is due."""

    kind, label, order = "request", "延期/退回申请", 30

    def applies(self, ctx) -> bool:
        return ctx.has_perm("members.decide")

    def _qs(self, ctx, filters):
        qs = UnitRequest.objects.filter(
            status=UnitRequest.Status.PENDING, assignment__unit__mechanism_id=ctx.mechanism_id
        )
        ref = filters.unit_ref()
        if ref is not None:
            qs = qs.filter(assignment__unit_id=ref[1]) if ref[0] == "mu" else qs.none()
        if filters.q:
            qs = qs.filter(assignment__item__title__text_contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="assignment__due_date")

    def entries(self, ctx, *, after, limit, filters):
        href, kinds = _detail_href(), _labels(UnitRequest.Kind.choices)
        rows = keyset(self._qs(ctx, filters), after, due="assignment__due_date", limit=limit).values_list(
            "pk",
            "kind",
            "assignment__item_id",
            "assignment__item__title",
            "assignment__unit__name",
            "assignment__due_date",
            "requested_at",
            "requested_due_date",
        )
        out = []
        for pk, kind, item_id, title, unit, due, at, wanted in rows:
            label = kinds[kind] + (f"：延至 {wanted.isoformat()}" if wanted else "")
            out.append(
                InboxEntry(
                    kind=self.kind,
                    pk=pk,
                    title=title,
                    unit_name=unit,
                    due=due,
                    url=f"{href.format(item_id)}#requests",
                    verb="决定",
                    since=at,
                    status_label=label,
                )
            )
        return out

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)
