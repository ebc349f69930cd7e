"""A meeting: proposed, approved by the convener, scheduled with its invitation, attendance recorded."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.parsing import text_clean
from core.services import audit_record
from deadlines.events import event_notify
from members.models import MemberUnit, Role, RoleAssignment
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
    meeting = Meeting(
        mechanism=mechanism,
        title=text_clean(title, label="会议名称", field="title", max_length=100),
        topics=text_clean(topics, label="议题", field="topics"),
        reasons=text_clean(reasons, label="提议理由", field="reasons"),
        proposing_unit=unit,
        proposed_by=by,
    )
    meeting.full_clean()
    meeting.save()
    audit_record(
        actor=by,
        action="meeting.propose",
        obj=meeting,
        changes={"unit": unit.name if unit else "联席会议办公室", "topics": meeting.topics},
    )
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
    audit_record(
        actor=by,
        action="meeting.approve" if approve else "meeting.decline",
        obj=meeting,
        reason=note,
        changes={"on_behalf_of_convener": on_behalf},
    )
    step_run(MeetingFlow.approval, process=process_for(MeetingFlow, meeting), approved=approve)
    return meeting


@transaction.atomic
def meeting_schedule(
    *,
    meeting: Meeting,
    starts_at: datetime,
    place: str,
    chair,
    units,
    by,
    guests=(),
    version=None,
    chair_delegation: str = "",
) -> Meeting:
    """The office fixes date, place and chair, which member units attend, and invited units and
    experts (`guests`: dicts with kind, name, organisation, email); the invitation goes out. The chair
    (a Person, or the name of one) must pass `meeting_chair_check`: the convener, or a deputy with the
    convener's delegation (`chair_delegation`) recorded."""
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
        guest = Guest(
            meeting=meeting,
            kind=kind,
            name=name,
            organisation=text_clean(
                g.get("organisation"), label="所在单位", field="guests", max_length=100, required=False
            ),
            email=(g.get("email") or "").strip(),
        )
        guest.full_clean(exclude=["meeting"])
        rows.append(guest)
    meeting.starts_at = starts_at
    meeting.place = text_clean(place, label="会议地点", field="place", max_length=100)
    meeting.chair_person, meeting.chair_delegation, meeting.chair = meeting_chair_check(
        mechanism_id=meeting.mechanism_id, chair=chair, delegation=chair_delegation
    )
    transition_apply(meeting, "schedule", label="该会议")
    meeting.invited_at = timezone.now()
    meeting.save()
    MeetingUnit.objects.bulk_create([MeetingUnit(meeting=meeting, unit=u) for u in units])
    Guest.objects.bulk_create(rows)
    audit_record(
        actor=by,
        action="meeting.schedule",
        obj=meeting,
        changes={
            "starts_at": timezone.localtime(starts_at).isoformat(timespec="minutes"),
            "place": meeting.place,
            "chair": meeting.chair,
            "chair_delegation": meeting.chair_delegation,
            "units": [u.name for u in units],
            "guests": [str(g) for g in rows],
        },
    )
    step_run(MeetingFlow.schedule, process=process_for(MeetingFlow, meeting))
    event_notify(
        event="invitation",
        obj=meeting,
        by=by,
        units=units,
        when=timezone.localtime(starts_at),
        guests=[g for g in rows if g.email],
    )
    return meeting


@transaction.atomic
def meeting_attendance_record(
    *, meeting: Meeting, attended_units, by, attendees: dict | None = None, attended_guests=(), version=None
) -> Minutes:
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
        mu.attendees = text_clean(
            attendees.get(unit_id, ""), label="出席人员", field="attendees", max_length=200, required=False
        )
        mu.save(update_fields=["attended", "attendees"])
    guest_ids = {g.pk for g in attended_guests}
    for guest in meeting.guests.all():
        guest.attended = guest.pk in guest_ids
        guest.save(update_fields=["attended"])
    minutes = Minutes.objects.create(meeting=meeting, title=f"{meeting.title}纪要")
    audit_record(
        actor=by,
        action="meeting.attendance",
        obj=meeting,
        changes={
            "attended": [mu.unit.name for mu in convened.values() if mu.attended],
            "guests": [str(g) for g in meeting.guests.filter(attended=True)],
        },
    )
    step_run(MeetingFlow.attendance, process=process_for(MeetingFlow, meeting))
    return minutes


# --- the meeting's own rules (issue 18): chair, regular meetings, agenda proposals, major matters raised directly


def meeting_chair_check(*, mechanism_id: int, chair, delegation: str = "", on=None) -> tuple:
    """工作规则: 由召集人或召集人委托副召集人主持. `chair` is a Person (or the name of the convener or a
    deputy). Returns (person, delegation, the chair as shown); refuses anyone else, and a deputy whose
    delegation from the convener is not recorded."""
    on = on or timezone.localdate()
    holders = (
        RoleAssignment.objects.active(on)
        .filter(mechanism_id=mechanism_id, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER])
        .select_related("person")
    )
    roles = {}
    for ra in holders:
        roles.setdefault(ra.person_id, (ra.person, set()))[1].add(ra.role)
    if chair is None or chair == "":
        raise DomainError("请选择主持人。", field="chair")
    if isinstance(chair, str):
        named = [p for p, _r in roles.values() if p.name == chair.strip()]
        if len(named) != 1:
            raise DomainError(
                f"会议由召集人主持，或由副召集人受召集人委托主持；“{chair.strip()[:30]}”不是现任召集人或副召集人。",
                field="chair",
            )
        chair = named[0]
    person_roles = roles.get(getattr(chair, "pk", None), (None, set()))[1]
    delegation = text_clean(delegation, label="召集人委托", field="chair_delegation", max_length=200, required=False)
    if Role.CONVENER in person_roles:
        return chair, "", chair.name
    if Role.DEPUTY_CONVENER in person_roles:
        if not delegation:
            raise DomainError(
                f"{chair.name}是副召集人，须受召集人委托主持：请登记召集人的委托（方式、日期或文号）。",
                field="chair_delegation",
            )
        return chair, delegation, f"{chair.name}（受召集人委托）"
    raise DomainError(
        f"会议由召集人主持，或由副召集人受召集人委托主持；{chair.name}不是现任召集人或副召集人。", field="chair"
    )


def chair_choices(mechanism_id: int, on=None) -> list:
    """The people who may chair today: (person, role label), the convener first."""
    rows = (
        RoleAssignment.objects.active(on)
        .filter(mechanism_id=mechanism_id, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER])
        .select_related("person")
        .order_by("role", "person__name")
    )
    return [(ra.person, ra.get_role_display()) for ra in rows]


def regular_meetings_generate(*, today: date | None = None, mechanism=None) -> list[Meeting]:
    """例会: create the regular meetings the mechanism's rule (meetings.rules) plans within its notice
    period — approved by the rule itself, waiting for the office to schedule them — and ask every
    unit to propose agenda items before the cutoff. Idempotent: one meeting per period (a unique
    constraint), so the nightly beat and a manual run may both call it."""
    from members.selectors import mechanism_deployed

    from ..rules import meeting_rules_for

    today = today or timezone.localdate()
    # The deployment's joint meeting by default, as the reminder sweep (its units are the ones told).
    mechanisms = [m for m in [mechanism or mechanism_deployed()] if m is not None]
    created = []
    for mech in mechanisms:
        rule = meeting_rules_for(mech).regular
        if rule is None:
            continue
        for year in (today.year, today.year + 1):
            for period, planned in rule.occasions(year):
                if not planned - timedelta(days=rule.notice_days) <= today <= planned:
                    continue
                with transaction.atomic():
                    if Meeting.objects.select_for_update().filter(mechanism=mech, regular_period=period).exists():
                        continue
                    meeting = _regular_meeting_create(mech, rule, period, planned)
                created.append(meeting)
    return created


def _regular_meeting_create(mechanism, rule, period: str, planned: date) -> Meeting:
    label = rule.period_label(period)
    cutoff = rule.agenda_cutoff(planned)
    meeting = Meeting(
        mechanism=mechanism,
        title=f"{label}{rule.title}"[:100],
        regular_period=period,
        planned_on=planned,
        agenda_cutoff=cutoff,
        status=Meeting.Status.PROPOSED,
        topics="听取各成员单位工作情况汇报；研究解决创建工作中的重大问题；部署下一阶段工作。",
        reasons=f"按联席会议例会制度（每{'半年' if rule.every == 'half_year' else '年'}召开一次）召开。",
    )
    meeting.full_clean()
    meeting.save()
    MeetingFlow.start.run(meeting=meeting)
    # The rule is the convener's standing decision: the meeting waits for the office to schedule it.
    transition_apply(meeting, "approve", label="该会议")
    meeting.decided_at, meeting.decision_note = timezone.now(), "按例会制度召开"
    meeting.save()
    audit_record(
        actor=None,
        action="meeting.regular",
        obj=meeting,
        changes={"period": period, "planned_on": str(planned), "agenda_cutoff": str(cutoff)},
    )
    step_run(MeetingFlow.approval, process=process_for(MeetingFlow, meeting), approved=True)
    event_notify(event="agenda_call", obj=meeting, by=None, cutoff=cutoff, planned=planned)
    return meeting


AGENDA_OPEN = (Meeting.Status.PROPOSED, Meeting.Status.APPROVED, Meeting.Status.SCHEDULED)


def agenda_accepts(meeting: Meeting) -> bool:
    """Is the meeting still open for agenda proposals (not yet held, not declined)?"""
    return meeting.status in AGENDA_OPEN


@transaction.atomic
def agenda_propose(*, meeting: Meeting, topic: str, by, note: str = "", unit: MemberUnit | None = None):
    """A unit (its liaison or member) or the office proposes an agenda item (议题) for a meeting that is
    not yet held, until its agenda cutoff."""
    from ..models import AgendaProposal

    if unit is None:
        _require_office(by, "以办公室名义提出议题")
    else:
        _require_unit(by, unit, "以本单位名义提出议题")
    meeting = _lock(Meeting, meeting)
    if not agenda_accepts(meeting):
        raise Conflict("该会议已召开或未同意召开，不能再提出议题。", code="bad_transition")
    today = timezone.localdate()
    if meeting.agenda_cutoff and today > meeting.agenda_cutoff:
        raise DomainError(
            f"议题征集已于{meeting.agenda_cutoff:%Y年%-m月%-d日}截止。", code="agenda_closed", field="topic"
        )
    proposal = AgendaProposal(
        meeting=meeting,
        unit=unit,
        proposed_by=by,
        topic=text_clean(topic, label="议题", field="topic", max_length=200),
        note=text_clean(note, label="说明", field="note", max_length=2000, required=False),
    )
    proposal.full_clean()
    proposal.save()
    audit_record(
        actor=by,
        action="meeting.agenda_propose",
        obj=meeting,
        changes={"unit": unit.name if unit else "联席会议办公室", "topic": proposal.topic},
    )
    return proposal
