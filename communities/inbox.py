"""Assessments in 我的待办 (workflow.inbox, docs/inbox.md): for a prefecture, its communities'
self-assessments to fill in (自评) and to review (审核); for the office, reviewed assessments to confirm
(确认). Who acts is `communities.selectors.assessments_waiting_for`'s rule, read here as one bounded
query with the unit and title filters. Assessments have no due date: they sort after dated steps."""

from django.db.models import Q
from django.urls import reverse

from workflow.inbox import InboxEntry, keyset, register_source, undated_excluded

from .models import Assessment

_SENTINEL = 987654321
VERBS = {Assessment.Status.DRAFT: "自评", Assessment.Status.SUBMITTED: "审核", Assessment.Status.REVIEWED: "确认"}


class AssessmentSource:
    kind, label, order = "assessment", "社区评估", 100

    def applies(self, ctx) -> bool:
        return bool(ctx.reporting_unit_ids) or (ctx.has_perm("members.dispatch") and ctx.mechanism_id is not None)

    def _qs(self, ctx, filters):
        wanted = Q(pk__in=[])
        own = ctx.reporting_ids(filters)
        if own:
            wanted |= Q(
                community__reporting_unit_id__in=own, status__in=[Assessment.Status.DRAFT, Assessment.Status.SUBMITTED]
            )
        if ctx.has_perm("members.dispatch") and ctx.mechanism_id is not None:
            office = Q(status=Assessment.Status.REVIEWED, community__reporting_unit__mechanism_id=ctx.mechanism_id)
            ref = filters.unit_ref()
            if ref is None and not filters.unit:
                wanted |= office
            elif ref is not None and ref[0] == "ru":
                wanted |= office & Q(community__reporting_unit_id=ref[1])
        qs = Assessment.objects.filter(wanted)
        if filters.q:
            qs = qs.filter(community__name__contains=filters.q)
        return qs.none() if undated_excluded(filters) else qs

    def entries(self, ctx, *, after, limit, filters):
        href = reverse("communities:assessment", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")
        labels = {value: str(label) for value, label in Assessment.Status.choices}
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=f"{name} {year}年度评估",
                unit_name=unit,
                due=None,
                url=href.format(pk),
                verb=VERBS[status],
                since=at,
                status_label=labels[status],
            )
            for pk, name, year, unit, status, at in keyset(
                self._qs(ctx, filters), after, due=None, limit=limit
            ).values_list("pk", "community__name", "year", "community__reporting_unit__name", "status", "updated_at")
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


def register() -> None:
    register_source(AssessmentSource())
