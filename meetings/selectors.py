"""Reads of `meetings` that depend on who is asking. What a user may not see does not exist for
them: the `get_..._or_404` helpers raise Http404, never 403 (docs/meetings.md, "Who sees what")."""

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from deadlines.ladder import colour_for
from members.selectors import is_overseer, mechanism_id_for, units_for_user

from . import dispatch
from .models import (
    AgreedMatter,
    AgreedMatterUnit,
    Escalation,
    Meeting,
    MeetingUnit,
    MembershipChange,
    Minutes,
    MinutesReview,
    ProgressNotice,
)


def _unit_ids(user) -> list[int]:
    return list(units_for_user(user).values_list("pk", flat=True))


def meetings_for_user(user):
    """Overseers: every meeting of their mechanism. A unit: meetings it proposed or was convened to."""
    qs = Meeting.objects.select_related("proposing_unit", "decided_by").filter(mechanism_id=mechanism_id_for(user))
    if is_overseer(user):
        return qs
    ids = _unit_ids(user)
    if not ids:
        return qs.none()
    convened = MeetingUnit.objects.filter(meeting=OuterRef("pk"), unit_id__in=ids)
    # Every unit sees the regular meetings (例会): all are asked for agenda items.
    return qs.filter(Q(proposing_unit_id__in=ids) | Exists(convened) | ~Q(regular_period=""))


def get_meeting_for_user_or_404(user, pk) -> Meeting:
    meeting = meetings_for_user(user).filter(pk=pk).first()
    if meeting is None:
        raise Http404("会议不存在。")
    return meeting


def minutes_for_user(user):
    """Overseers: all minutes of their mechanism. Draft minutes: only the units that attended. Issued
    minutes: every member unit of the mechanism (the 纪要 is sent to all of them)."""
    qs = Minutes.objects.select_related("meeting").filter(meeting__mechanism_id=mechanism_id_for(user))
    if is_overseer(user):
        return qs
    ids = _unit_ids(user)
    if not ids:
        return qs.none()
    attended = MeetingUnit.objects.filter(meeting=OuterRef("meeting"), unit_id__in=ids, attended=True)
    return qs.filter(Q(status=Minutes.Status.ISSUED) | Exists(attended))


def get_minutes_for_user_or_404(user, pk) -> Minutes:
    minutes = minutes_for_user(user).filter(pk=pk).first()
    if minutes is None:
        raise Http404("纪要不存在。")
    return minutes


def matters_for_user(user):
    return (
        AgreedMatter.objects.filter(minutes__in=minutes_for_user(user))
        .select_related("minutes")
        .prefetch_related(_units_prefetch())
    )


def _units_prefetch():
    return Prefetch("unit_roles", queryset=AgreedMatterUnit.objects.select_related("unit"))


def get_matter_for_user_or_404(user, pk) -> AgreedMatter:
    matter = matters_for_user(user).filter(pk=pk).first()
    if matter is None:
        raise Http404("议定事项不存在。")
    return matter


def matter_status(matter: AgreedMatter, today: date | None = None, items: dict | None = None) -> dict:
    """The live status of an agreed matter: its supervised item's status once dispatched."""
    today = today or timezone.localdate()
    if matter.minutes.status != Minutes.Status.ISSUED:
        return {"code": "draft", "label": "待印发", "open": True, "colour": "", "item_id": None}
    info = (
        (items or {}).get(matter.item_id)
        if items is not None
        else dispatch.item_statuses([matter.item_id]).get(matter.item_id)
    )
    if info is None:
        return {
            "code": "undispatched",
            "label": "待交办",
            "open": True,
            "colour": colour_for(matter.due_date, today),
            "item_id": None,
        }
    due = info.get("due_date") or matter.due_date
    return {
        "code": info["code"],
        "label": info["label"],
        "open": not info["done"],
        "item_id": matter.item_id,
        "colour": "" if info["done"] else colour_for(due, today),
        "due_date": due,
    }


def matters_with_status(matters, today: date | None = None) -> list[AgreedMatter]:
    matters = list(matters)
    items = dispatch.item_statuses([m.item_id for m in matters if m.item_id])
    for m in matters:
        m.live = matter_status(m, today, items)
    return matters


def matters_open(mechanism, *, exclude_meeting=None, today: date | None = None) -> list[AgreedMatter]:
    """Agreed matters of issued minutes whose supervised item is not yet accepted as done."""
    qs = (
        AgreedMatter.objects.filter(minutes__meeting__mechanism=mechanism, minutes__status=Minutes.Status.ISSUED)
        .select_related("minutes")
        .prefetch_related(_units_prefetch())
        .order_by("minutes__issued_at", "number")
    )
    if exclude_meeting is not None:
        qs = qs.exclude(minutes__meeting=exclude_meeting)
    return [m for m in matters_with_status(qs, today) if m.live["open"]]


def agenda(meeting: Meeting, today: date | None = None) -> dict:
    """The agenda starts with the agreed matters of earlier meetings still open, then the topics."""
    return {
        "carried": matters_open(meeting.mechanism, exclude_meeting=meeting, today=today),
        "topics": [t.strip() for t in meeting.topics.splitlines() if t.strip()],
    }


def review_state(minutes: Minutes) -> list[dict]:
    """For each attending unit: its answer to the current round (or None)."""
    answers = {r.unit_id: r for r in minutes.reviews.filter(round=minutes.round).select_related("by", "acting_for")}
    return [
        {"unit": mu.unit, "review": answers.get(mu.unit_id)}
        for mu in minutes.meeting.meeting_units.filter(attended=True).select_related("unit")
    ]


def reviewable_units(user, minutes: Minutes) -> list:
    """Attending units this user may still answer for in the current round."""
    if minutes.status != Minutes.Status.CONSULTING:
        return []
    answered = set(minutes.reviews.filter(round=minutes.round).values_list("unit_id", flat=True))
    ids = set(_unit_ids(user))
    return [
        mu.unit
        for mu in minutes.meeting.meeting_units.filter(attended=True).select_related("unit")
        if mu.unit_id in ids and mu.unit_id not in answered
    ]


def minutes_awaiting_user(user):
    """Drafts in consultation that one of the user's attending units has not yet answered."""
    ids = _unit_ids(user)
    if not ids:
        return Minutes.objects.none()
    pending = MeetingUnit.objects.filter(meeting=OuterRef("meeting"), unit_id__in=ids, attended=True).exclude(
        unit_id__in=MinutesReview.objects.filter(
            minutes=OuterRef(OuterRef("pk")), round=OuterRef(OuterRef("round"))
        ).values("unit_id")
    )
    return Minutes.objects.filter(status=Minutes.Status.CONSULTING).filter(Exists(pending)).select_related("meeting")


def escalations_for_user(user):
    """Major matters are the convener's, the deputy's and the office's business; a unit sees the ones
    it raised itself."""
    qs = Escalation.objects.select_related("matter__minutes", "approved_by", "raised_by_unit").filter(
        mechanism_id=mechanism_id_for(user)
    )
    if is_overseer(user):
        return qs
    ids = _unit_ids(user)
    return qs.filter(raised_by_unit_id__in=ids) if ids else qs.none()


def get_escalation_for_user_or_404(user, pk) -> Escalation:
    e = escalations_for_user(user).filter(pk=pk).first()
    if e is None:
        raise Http404("重大事项不存在。")
    return e


def notices_for_user(user):
    if is_overseer(user) or units_for_user(user).exists():
        return ProgressNotice.objects.select_related("created_by").filter(mechanism_id=mechanism_id_for(user))
    return ProgressNotice.objects.none()


def get_notice_for_user_or_404(user, pk) -> ProgressNotice:
    n = notices_for_user(user).filter(pk=pk).first()
    if n is None:
        raise Http404("通报不存在。")
    return n


def changes_for_user(user):
    """Overseers: every membership change. A unit: only its own."""
    qs = MembershipChange.objects.select_related("unit", "assignment__person", "new_person", "proposed_by").filter(
        mechanism_id=mechanism_id_for(user)
    )
    if is_overseer(user):
        return qs
    ids = _unit_ids(user)
    return qs.filter(unit_id__in=ids) if ids else qs.none()


def get_change_for_user_or_404(user, pk) -> MembershipChange:
    change = changes_for_user(user).filter(pk=pk).first()
    if change is None:
        raise Http404("成员调整不存在。")
    return change


def is_office(user) -> bool:
    return user.is_authenticated and user.has_perm("members.dispatch")


def is_decider(user) -> bool:
    return user.is_authenticated and user.has_perm("members.decide")
