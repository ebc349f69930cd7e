"""Meetings' steps in 我的待办 (workflow.inbox, docs/inbox.md): minutes waiting for an attending unit's
agreement (会签), meeting proposals to decide or schedule, membership changes to check or confirm,
major matters (重大事项) to act on. One bounded query each; who may act is the same as on the pages
(meetings.views and meetings.selectors): units for 会签, `members.dispatch` for the office's steps,
`members.decide` for the convener's and deputy's."""

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from workflow.inbox import InboxEntry, due_filter, keyset, undated_excluded

from .models import Escalation, Meeting, MeetingUnit, MembershipChange, Minutes, MinutesReview

_SENTINEL = 987654321
OFFICE, DECIDE = "members.dispatch", "members.decide"


def _href(name: str) -> str:
    return reverse(name, args=[_SENTINEL]).replace(str(_SENTINEL), "{}")


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices}


def _member_unit_filter(qs, filters, field: str):
    ref = filters.unit_ref()
    if ref is None:
        return qs
    return qs.filter(**{field: ref[1]}) if ref[0] == "mu" else qs.none()


class MinutesSource:
    """A draft in consultation that one of the person's attending units has not answered this round
    (meetings.selectors.minutes_awaiting_user, one step per unit)."""

    kind, label, order = "minutes", "纪要会签", 60

    def applies(self, ctx) -> bool:
        return bool(ctx.unit_ids)

    def _qs(self, ctx, filters):
        answered = MinutesReview.objects.filter(
            minutes=OuterRef("meeting__minutes"), round=OuterRef("meeting__minutes__round"), unit_id=OuterRef("unit_id")
        )
        qs = MeetingUnit.objects.filter(
            unit_id__in=ctx.member_unit_ids(filters), attended=True, meeting__minutes__status=Minutes.Status.CONSULTING
        ).exclude(Exists(answered))
        if filters.q:
            qs = qs.filter(meeting__minutes__title__contains=filters.q)
        return qs.none() if undated_excluded(filters) else qs

    def entries(self, ctx, *, after, limit, filters):
        href = _href("meetings:minutes")
        return [
            InboxEntry(
                kind=self.kind,
                pk=pk,
                title=title,
                unit_name=unit,
                due=None,
                url=href.format(minutes_id),
                verb="会签",
                since=held,
                status_label=f"第 {round_} 轮征求意见",
            )
            for pk, minutes_id, title, unit, held, round_ in keyset(
                self._qs(ctx, filters), after, due=None, limit=limit
            ).values_list(
                "pk",
                "meeting__minutes__id",
                "meeting__minutes__title",
                "unit__name",
                "meeting__starts_at",
                "meeting__minutes__round",
            )
        ]

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class MeetingSource:
    """A proposed meeting waiting for the convener's decision; an approved one waiting for the office
    to schedule it."""

    kind, label, order = "meeting", "会议审批", 70

    def applies(self, ctx) -> bool:
        return ctx.mechanism_id is not None and (ctx.has_perm(DECIDE) or ctx.has_perm(OFFICE))

    def _qs(self, ctx, filters):
        wanted = Q(pk__in=[])
        if ctx.has_perm(DECIDE):
            wanted |= Q(status=Meeting.Status.PROPOSED)
        if ctx.has_perm(OFFICE):
            wanted |= Q(status=Meeting.Status.APPROVED)
        qs = Meeting.objects.filter(wanted, mechanism_id=ctx.mechanism_id)
        qs = _member_unit_filter(qs, filters, "proposing_unit_id")
        if filters.q:
            qs = qs.filter(title__contains=filters.q)
        return qs.none() if undated_excluded(filters) else qs

    def entries(self, ctx, *, after, limit, filters):
        detail, schedule, labels = _href("meetings:detail"), _href("meetings:schedule"), _labels(Meeting.Status.choices)
        out = []
        for pk, title, unit, status, at in keyset(self._qs(ctx, filters), after, due=None, limit=limit).values_list(
            "pk", "title", "proposing_unit__name", "status", "proposed_at"
        ):
            proposed = status == Meeting.Status.PROPOSED
            out.append(
                InboxEntry(
                    kind=self.kind,
                    pk=pk,
                    title=title,
                    unit_name=unit or "联席会议办公室",
                    due=None,
                    url=(detail if proposed else schedule).format(pk),
                    verb="审批" if proposed else "安排",
                    since=at,
                    status_label=labels[status],
                )
            )
        return out

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class MembershipSource:
    """A membership change waiting for the office's check (审核) or the convener's confirmation (确认),
    due on the day it is to take effect."""

    kind, label, order = "membership", "成员调整", 80

    def applies(self, ctx) -> bool:
        return ctx.mechanism_id is not None and (ctx.has_perm(DECIDE) or ctx.has_perm(OFFICE))

    def _qs(self, ctx, filters):
        wanted = Q(pk__in=[])
        if ctx.has_perm(OFFICE):
            wanted |= Q(status=MembershipChange.Status.PROPOSED)
        if ctx.has_perm(DECIDE):
            wanted |= Q(status=MembershipChange.Status.CHECKED)
        qs = _member_unit_filter(
            MembershipChange.objects.filter(wanted, mechanism_id=ctx.mechanism_id), filters, "unit_id"
        )
        return due_filter(qs, filters, ctx.today, due="effective_date")

    def entries(self, ctx, *, after, limit, filters):
        href, kinds, labels = (
            _href("meetings:change"),
            _labels(MembershipChange.Kind.choices),
            _labels(MembershipChange.Status.choices),
        )
        out = []
        for pk, kind, unit, new_unit, due, status, at in keyset(
            self._qs(ctx, filters), after, due="effective_date", limit=limit
        ).values_list("pk", "kind", "unit__name", "new_unit", "effective_date", "status", "proposed_at"):
            name = unit or (new_unit or {}).get("name", "")
            out.append(
                InboxEntry(
                    kind=self.kind,
                    pk=pk,
                    title=f"{kinds[kind]}：{name}",
                    unit_name=name,
                    due=due,
                    url=href.format(pk),
                    since=at,
                    status_label=labels[status],
                    verb="审核" if status == MembershipChange.Status.PROPOSED else "确认",
                )
            )
        return out

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


class EscalationSource:
    """A major matter's report at a step the person takes: the office drafts, sends, records the reply
    and closes; the convener or deputy approves the report. Due with the agreed matter."""

    kind, label, order = "escalation", "重大事项", 90
    OFFICE_STEPS = {
        Escalation.Status.DRAFTING: "起草报告",
        Escalation.Status.APPROVED: "报送",
        Escalation.Status.SENT: "登记批复",
        Escalation.Status.REPLIED: "办结",
    }

    def applies(self, ctx) -> bool:
        return ctx.mechanism_id is not None and (ctx.has_perm(DECIDE) or ctx.has_perm(OFFICE))

    def _qs(self, ctx, filters):
        wanted = Q(pk__in=[])
        if ctx.has_perm(OFFICE):
            wanted |= Q(status__in=list(self.OFFICE_STEPS))
        if ctx.has_perm(DECIDE):
            wanted |= Q(status=Escalation.Status.AWAITING_APPROVAL)
        qs = Escalation.objects.filter(wanted, matter__minutes__meeting__mechanism_id=ctx.mechanism_id)
        if filters.unit:  # a major matter is the joint meeting's, not one unit's
            return qs.none()
        if filters.q:
            qs = qs.filter(matter__content__contains=filters.q)
        return due_filter(qs, filters, ctx.today, due="matter__due_date")

    def entries(self, ctx, *, after, limit, filters):
        href, labels = _href("meetings:escalation"), _labels(Escalation.Status.choices)
        out = []
        for pk, title, number, content, due, status in keyset(
            self._qs(ctx, filters), after, due="matter__due_date", limit=limit
        ).values_list(
            "pk", "matter__minutes__title", "matter__number", "matter__content", "matter__due_date", "status"
        ):
            out.append(
                InboxEntry(
                    kind=self.kind,
                    pk=pk,
                    title=f"{title} 第{number}项：{content[:40]}",
                    unit_name="",
                    due=due,
                    url=href.format(pk),
                    status_label=labels[status],
                    verb=self.OFFICE_STEPS.get(status, "审定"),
                )
            )
        return out

    def count_queryset(self, ctx, *, filters):
        return self._qs(ctx, filters)


def register() -> None:
    from workflow.inbox import register_source

    for source in (MinutesSource(), MeetingSource(), MembershipSource(), EscalationSource()):
        register_source(source)
