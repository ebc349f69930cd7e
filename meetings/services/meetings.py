"""A meeting: proposed, approved by the convener, scheduled with its invitation, attendance recorded."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.parsing import text_clean
from core.services import audit_record
from deadlines.events import event_notify
from members.models import MemberUnit
from members.selectors import mechanism_for
from workflow.steps import process_for, step_run
from workflow.transitions import transition_apply, version_check

from ..flows import MeetingFlow
from ..models import (
    Guest,
    Meeting,
    MeetingUnit,
    Minutes,
)
from .common import _current_units, _lock, _require_decider, _require_office, _require_unit

# --- meetings -----------------------------------------------------------------------------------------


@transaction.atomic
def meeting_propose(*, title: str, topics: str, reasons: str, by, unit: MemberUnit | None = None) -> Meeting:
    """Any member unit (its liaison or member) or the office proposes a meeting."""
    if unit is None:
        _require_office(by, "以办公室名义提议召开会议")
    else:
        _require_unit(by, unit, "以本单位名义提议召开会议")
    mechanism = mechanism_for(by)
    if mechanism is None:
        raise DomainError("联席会议尚未载入。")
    meeting = Meeting(mechanism=mechanism, title=text_clean(title, label="会议名称", field="title", max_length=100),
                      topics=text_clean(topics, label="议题", field="topics"),
                      reasons=text_clean(reasons, label="提议理由", field="reasons"),
                      proposing_unit=unit, proposed_by=by)
    meeting.full_clean()
    meeting.save()
    audit_record(actor=by, action="meeting.propose", obj=meeting,
                 changes={"unit": unit.name if unit else "联席会议办公室", "topics": meeting.topics})
    MeetingFlow.start.run(meeting=meeting)
    event_notify(event="proposed", obj=meeting, by=by, unit=unit.name if unit else "联席会议办公室")
    return meeting


@transaction.atomic
def meeting_decide(*, meeting: Meeting, approve: bool, note: str = "", by, version=None) -> Meeting:
    """The convener approves or declines; the deputy may act on the convener's behalf."""
    on_behalf = _require_decider(by, "审批会议")
    meeting = _lock(Meeting, meeting)
    version_check(meeting, version, label="该会议")
    note = text_clean(note, label="不同意的理由", field="note", max_length=500, required=not approve)
    transition_apply(meeting, "approve" if approve else "decline", label="该会议")
    meeting.decided_by, meeting.decided_at, meeting.decision_note = by, timezone.now(), note
    meeting.on_behalf_of_convener = on_behalf
    meeting.save()
    audit_record(actor=by, action="meeting.approve" if approve else "meeting.decline", obj=meeting, reason=note,
                 changes={"on_behalf_of_convener": on_behalf})
    step_run(MeetingFlow.approval, process=process_for(MeetingFlow, meeting), approved=approve)
    return meeting


@transaction.atomic
def meeting_schedule(*, meeting: Meeting, starts_at: datetime, place: str, chair: str, units, by,
                     guests=(), version=None) -> Meeting:
    """The office fixes date, place and chair, which member units attend, and invited units and
    experts (`guests`: dicts with kind, name, organisation, email); the invitation goes out."""
    _require_office(by, "安排会议")
    meeting = _lock(Meeting, meeting)
    version_check(meeting, version, label="该会议")
    if starts_at is None:
        raise DomainError("请填写会议时间。", field="starts_at")
    if starts_at <= timezone.now():
        raise DomainError("会议时间必须晚于现在。", field="starts_at")
    units = _current_units(units, field="units", mechanism_id=meeting.mechanism_id)
    if not units:
        raise DomainError("请至少选择一个参会成员单位。", field="units")
    rows = []
    for g in guests:
        name = text_clean(g.get("name"), label="列席单位或专家名称", field="guests", max_length=60)
        kind = g.get("kind") or Guest.Kind.EXPERT
        if kind not in Guest.Kind.values:
            raise DomainError("列席类别无效。", field="guests")
        guest = Guest(meeting=meeting, kind=kind, name=name,
                      organisation=text_clean(g.get("organisation"), label="所在单位", field="guests", max_length=100,
                                         required=False),
                      email=(g.get("email") or "").strip())
        guest.full_clean(exclude=["meeting"])
        rows.append(guest)
    meeting.starts_at = starts_at
    meeting.place = text_clean(place, label="会议地点", field="place", max_length=100)
    meeting.chair = text_clean(chair, label="主持人", field="chair", max_length=60)
    transition_apply(meeting, "schedule", label="该会议")
    meeting.invited_at = timezone.now()
    meeting.save()
    MeetingUnit.objects.bulk_create([MeetingUnit(meeting=meeting, unit=u) for u in units])
    Guest.objects.bulk_create(rows)
    audit_record(actor=by, action="meeting.schedule", obj=meeting, changes={
        "starts_at": timezone.localtime(starts_at).isoformat(timespec="minutes"), "place": meeting.place,
        "units": [u.name for u in units], "guests": [str(g) for g in rows]})
    step_run(MeetingFlow.schedule, process=process_for(MeetingFlow, meeting))
    event_notify(event="invitation", obj=meeting, by=by, units=units, when=timezone.localtime(starts_at),
                 guests=[g for g in rows if g.email])
    return meeting


@transaction.atomic
def meeting_attendance_record(*, meeting: Meeting, attended_units, by, attendees: dict | None = None,
                              attended_guests=(), version=None) -> Minutes:
    """After the meeting: which convened units and guests attended. Opens the draft minutes."""
    _require_office(by, "登记出席情况")
    meeting = _lock(Meeting, meeting)
    version_check(meeting, version, label="该会议")
    convened = {mu.unit_id: mu for mu in meeting.meeting_units.all()}
    attended_ids = {u.pk for u in attended_units}
    stray = attended_ids - set(convened)
    if stray:
        raise DomainError("出席单位必须是通知参会的成员单位。", field="attended_units")
    if not attended_ids:
        raise DomainError("请至少登记一个出席单位。", field="attended_units")
    attendees = attendees or {}
    transition_apply(meeting, "hold", label="该会议")
    meeting.save()
    for unit_id, mu in convened.items():
        mu.attended = unit_id in attended_ids
        mu.attendees = text_clean(attendees.get(unit_id, ""), label="出席人员", field="attendees", max_length=200,
                             required=False)
        mu.save(update_fields=["attended", "attendees"])
    guest_ids = {g.pk for g in attended_guests}
    for guest in meeting.guests.all():
        guest.attended = guest.pk in guest_ids
        guest.save(update_fields=["attended"])
    minutes = Minutes.objects.create(meeting=meeting, title=f"{meeting.title}纪要")
    audit_record(actor=by, action="meeting.attendance", obj=meeting, changes={
        "attended": [mu.unit.name for mu in convened.values() if mu.attended],
        "guests": [str(g) for g in meeting.guests.filter(attended=True)]})
    step_run(MeetingFlow.attendance, process=process_for(MeetingFlow, meeting))
    return minutes
