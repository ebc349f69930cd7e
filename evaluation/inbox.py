"""考评 in 我的待办 (workflow.inbox, docs/inbox.md): the year's evaluation waiting for the convener's
confirmation (召集人确认), and a confirmed one waiting for the office to publish it. One query each."""

from django.db.models import Q
from django.urls import reverse

from core.parsing import int_or_none
from workflow.inbox import InboxEntry, keyset, undated_excluded

from .models import Evaluation

OFFICE, DECIDE = "members.dispatch", "members.decide"


class EvaluationSource:
    kind, label, order = "evaluation", "年度考评", 95

    def applies(self, ctx) -> bool:
        return ctx.mechanism_id is not None and (ctx.has_perm(DECIDE) or ctx.has_perm(OFFICE))

    def _qs(self, ctx, filters):
        wanted = Q(pk__in=[])
        if ctx.has_perm(DECIDE):
            wanted |= Q(status=Evaluation.Status.ADJUSTED)
        if ctx.has_perm(OFFICE):
            wanted |= Q(status=Evaluation.Status.CONFIRMED)
        qs = Evaluation.objects.filter(wanted, mechanism_id=ctx.mechanism_id)
        if filters.unit or undated_excluded(filters):
            return qs.none()
        if filters.q:  # the title is “<year>年度考评”: match the year or the words
            year = int_or_none(filters.q.rstrip("年度考评"))
            qs = qs.filter(year=year) if year is not None else qs if filters.q in "年度考评" else qs.none()
        return qs

    def entries(self, ctx, *, after, limit, filters):
        out = []
        for pk, year, status, at in keyset(self._qs(ctx, filters), after, due=None, limit=limit).values_list(
            "pk", "year", "status", "computed_at"
        ):
            confirm = status == Evaluation.Status.ADJUSTED
            out.append(
                InboxEntry(
                    kind=self.kind,
                    pk=pk,
                    title=f"{year}年度考评",
                    unit_name="",
                    due=None,
                    url=reverse("evaluation:detail", args=[pk]),
                    verb="确认" if confirm else "发布",
                    since=at,
                    status_label=str(Evaluation.Status(status).label),
                )
            )
        return out

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)
