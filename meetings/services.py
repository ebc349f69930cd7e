"""Every write to `meetings`, as keyword-only functions.

Each service checks who is acting, validates, writes, records the audit entry and moves the flow
(`meetings.flows`) in one transaction; who is told is declared in `deadlines.events` (sent after commit)."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.errors import Conflict, DomainError, NotAllowed
from core.services import audit_record
from members.models import Division, MemberUnit, Person, Role, RoleAssignment
from deadlines.events import event_notify
from members.selectors import acting_for, mechanism_for, roles_for_user, units_for_user
from members.services import backup_assign, role_replace, unit_add

from . import dispatch as dispatch_module
from .flows import EscalationFlow, MeetingFlow, MembershipChangeFlow
from .models import (
    AgreedMatter,
    AgreedMatterUnit,
    Escalation,
    Guest,
    Meeting,
    MeetingUnit,
    MembershipChange,
    Minutes,
    MinutesReview,
    ProgressNotice,
    cn_number,
)
from .notify import all_unit_users

TEXT_MAX = 3000


# --- helpers ------------------------------------------------------------------------------------------


def _move(obj, to, *, label: str):
    """The one place a status changes: through the model's TRANSITIONS table."""
    if to not in obj.TRANSITIONS.get(obj.status, set()):
        raise Conflict(f"{label}当前为“{obj.get_status_display()}”，不能变为“{type(obj).Status(to).label}”。"
                       "页面可能已过期，请刷新后重试。", code="bad_transition")
    obj.status = to
    if hasattr(obj, "version"):
        obj.version += 1


def _text(value, *, label: str, field: str, max_length: int = TEXT_MAX, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}。", code="required", field=field)
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 字（当前 {len(value)} 字）。", code="too_long", field=field)
    return value


def _check_version(obj, version, *, label: str):
    if version is not None and str(version) != str(obj.version):
        raise Conflict(f"{label}已被他人修改（您看到的是旧版本），请刷新页面后重试。", code="stale")


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def is_office(user) -> bool:
    return user.is_authenticated and user.has_perm("members.dispatch")


def is_decider(user) -> bool:
    return user.is_authenticated and user.has_perm("members.decide")


def _require_office(user, what: str):
    if not is_office(user):
        raise NotAllowed(f"只有联席会议办公室可以{what}。")


def _require_decider(user, what: str) -> bool:
    """Only the convener or the deputy convener decides. Returns True when the deputy acts on the
    convener's behalf (受召集人委托), which the record must show."""
    if not is_decider(user):
        raise NotAllowed(f"只有召集人或副召集人可以{what}。")
    roles = {a.role for a in roles_for_user(user)}
    return Role.CONVENER not in roles and Role.DEPUTY_CONVENER in roles


def _require_unit(user, unit, what: str):
    if not units_for_user(user).filter(pk=unit.pk).exists():
        raise NotAllowed(f"只有{unit.name}的联络员或成员可以{what}。")


def _current_units(units, *, field: str, mechanism_id: int) -> list[MemberUnit]:
    units = list(dict.fromkeys(units))
    current = set(MemberUnit.objects.current().filter(mechanism_id=mechanism_id).values_list("pk", flat=True))
    gone = [u.name for u in units if u.pk not in current]
    if gone:
        raise DomainError(f"{'、'.join(gone)}已不是成员单位。", field=field)
    return units


def _flow_run(flow_class, node, obj, **data):
    """Run the open Handle task `node` of the process whose artifact is `obj`, under the flow lock."""
    process = flow_class.process_class.objects.get(
        artifact_content_type__app_label=obj._meta.app_label, artifact_content_type__model=obj._meta.model_name,
        artifact_object_id=obj.pk, flow_class=flow_class)
    with flow_class.lock(process.pk):
        task = Task.objects.filter(process=process, flow_task=node, status=STATUS.NEW).first()
        if task is None:
            raise Conflict("流程状态已变化，请刷新页面后重试。", code="stale_flow")
        node.run(task, **data)


def open_flow_task(obj, flow_class):
    """The node a process waits on (for pages), or None."""
    task = (Task.objects.filter(process__artifact_object_id=obj.pk, process__flow_class=flow_class,
                                status=STATUS.NEW).order_by("-pk").first())
    return task.flow_task if task else None


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
    meeting = Meeting(mechanism=mechanism, title=_text(title, label="会议名称", field="title", max_length=100),
                      topics=_text(topics, label="议题", field="topics"),
                      reasons=_text(reasons, label="提议理由", field="reasons"),
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
    _check_version(meeting, version, label="该会议")
    note = _text(note, label="不同意的理由", field="note", max_length=500, required=not approve)
    _move(meeting, Meeting.Status.APPROVED if approve else Meeting.Status.DECLINED, label="该会议")
    meeting.decided_by, meeting.decided_at, meeting.decision_note = by, timezone.now(), note
    meeting.on_behalf_of_convener = on_behalf
    meeting.save()
    audit_record(actor=by, action="meeting.approve" if approve else "meeting.decline", obj=meeting, reason=note,
                 changes={"on_behalf_of_convener": on_behalf})
    _flow_run(MeetingFlow, MeetingFlow.approval, meeting, approved=approve)
    return meeting


@transaction.atomic
def meeting_schedule(*, meeting: Meeting, starts_at: datetime, place: str, chair, units, by,
                     guests=(), version=None, chair_delegation: str = "") -> Meeting:
    """The office fixes date, place and chair, which member units attend, and invited units and
    experts (`guests`: dicts with kind, name, organisation, email); the invitation goes out. The chair
    (a Person, or the name of one) must pass `meeting_chair_check`: the convener, or a deputy with the
    convener's delegation (`chair_delegation`) recorded."""
    _require_office(by, "安排会议")
    meeting = _lock(Meeting, meeting)
    _check_version(meeting, version, label="该会议")
    if starts_at is None:
        raise DomainError("请填写会议时间。", field="starts_at")
    if starts_at <= timezone.now():
        raise DomainError("会议时间必须晚于现在。", field="starts_at")
    units = _current_units(units, field="units", mechanism_id=meeting.mechanism_id)
    if not units:
        raise DomainError("请至少选择一个参会成员单位。", field="units")
    rows = []
    for g in guests:
        name = _text(g.get("name"), label="列席单位或专家名称", field="guests", max_length=60)
        kind = g.get("kind") or Guest.Kind.EXPERT
        if kind not in Guest.Kind.values:
            raise DomainError("列席类别无效。", field="guests")
        guest = Guest(meeting=meeting, kind=kind, name=name,
                      organisation=_text(g.get("organisation"), label="所在单位", field="guests", max_length=100,
                                         required=False),
                      email=(g.get("email") or "").strip())
        guest.full_clean(exclude=["meeting"])
        rows.append(guest)
    meeting.starts_at = starts_at
    meeting.place = _text(place, label="会议地点", field="place", max_length=100)
    meeting.chair_person, meeting.chair_delegation, meeting.chair = meeting_chair_check(
        mechanism_id=meeting.mechanism_id, chair=chair, delegation=chair_delegation)
    _move(meeting, Meeting.Status.SCHEDULED, label="该会议")
    meeting.invited_at = timezone.now()
    meeting.save()
    MeetingUnit.objects.bulk_create([MeetingUnit(meeting=meeting, unit=u) for u in units])
    Guest.objects.bulk_create(rows)
    audit_record(actor=by, action="meeting.schedule", obj=meeting, changes={
        "starts_at": timezone.localtime(starts_at).isoformat(timespec="minutes"), "place": meeting.place,
        "chair": meeting.chair, "chair_delegation": meeting.chair_delegation,
        "units": [u.name for u in units], "guests": [str(g) for g in rows]})
    _flow_run(MeetingFlow, MeetingFlow.schedule, meeting)
    event_notify(event="invitation", obj=meeting, by=by, units=units, when=timezone.localtime(starts_at),
                 guests=[g for g in rows if g.email])
    return meeting


@transaction.atomic
def meeting_attendance_record(*, meeting: Meeting, attended_units, by, attendees: dict | None = None,
                              attended_guests=(), version=None) -> Minutes:
    """After the meeting: which convened units and guests attended. Opens the draft minutes."""
    _require_office(by, "登记出席情况")
    meeting = _lock(Meeting, meeting)
    _check_version(meeting, version, label="该会议")
    convened = {mu.unit_id: mu for mu in meeting.meeting_units.all()}
    attended_ids = {u.pk for u in attended_units}
    stray = attended_ids - set(convened)
    if stray:
        raise DomainError("出席单位必须是通知参会的成员单位。", field="attended_units")
    if not attended_ids:
        raise DomainError("请至少登记一个出席单位。", field="attended_units")
    attendees = attendees or {}
    _move(meeting, Meeting.Status.HELD, label="该会议")
    meeting.save()
    for unit_id, mu in convened.items():
        mu.attended = unit_id in attended_ids
        mu.attendees = _text(attendees.get(unit_id, ""), label="出席人员", field="attendees", max_length=200,
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
    _flow_run(MeetingFlow, MeetingFlow.attendance, meeting)
    return minutes


# --- minutes ------------------------------------------------------------------------------------------


def _matter_rows(matters, today: date, mechanism_id: int):
    """Validate the agreed matters of a draft; returns (matter, leads, participants) tuples."""
    rows = []
    for n, m in enumerate(matters, start=1):
        where = f"第{cn_number(n)}条议定事项"
        content = _text(m.get("content"), label=f"{where}的内容", field="matters")
        criteria = _text(m.get("done_criteria"), label=f"{where}的完成标准", field="matters", max_length=500)
        due = m.get("due_date")
        if not due:
            raise DomainError(f"请填写{where}的完成时限。", field="matters")
        if due < today:
            raise DomainError(f"{where}的完成时限不能早于今天。", field="matters")
        leads = _current_units(m.get("lead_units") or [], field="matters", mechanism_id=mechanism_id)
        parts = _current_units(m.get("participating_units") or [], field="matters", mechanism_id=mechanism_id)
        if not leads:
            raise DomainError(f"请为{where}选择牵头单位。", field="matters")
        both = set(leads) & set(parts)
        if both:
            raise DomainError(f"{where}：{'、'.join(u.name for u in both)}不能同时是牵头单位和参与单位。",
                              field="matters")
        rows.append((AgreedMatter(number=n, content=content, done_criteria=criteria, due_date=due,
                                  is_major=bool(m.get("is_major"))), leads, parts))
    return rows


@transaction.atomic
def minutes_save(*, minutes: Minutes, title: str, summary: str, matters: list[dict], by, doc_number: str = "",
                 version=None) -> Minutes:
    """The office writes (or revises) the draft: title, summary and the numbered agreed matters.
    Each matter: content, done_criteria, due_date, lead_units, participating_units, is_major."""
    _require_office(by, "起草纪要")
    minutes = _lock(Minutes, minutes)
    _check_version(minutes, version, label="该纪要")
    if minutes.status != Minutes.Status.DRAFTING:
        raise Conflict("纪要已送出会签或已印发，不能修改。", code="bad_transition")
    minutes.title = _text(title, label="纪要标题", field="title", max_length=100)
    minutes.summary = _text(summary, label="会议概述", field="summary", max_length=5000, required=False)
    minutes.doc_number = _text(doc_number, label="文号", field="doc_number", max_length=60, required=False)
    if minutes.doc_number and Minutes.objects.filter(doc_number=minutes.doc_number).exclude(pk=minutes.pk).exists():
        raise DomainError(f"文号“{minutes.doc_number}”已被使用。", field="doc_number")
    rows = _matter_rows(matters, timezone.localdate(), minutes.meeting.mechanism_id)
    minutes.version += 1
    minutes.save()
    minutes.matters.all().delete()
    for matter, leads, parts in rows:
        matter.minutes = minutes
        matter.save()
        AgreedMatterUnit.objects.bulk_create(
            [AgreedMatterUnit(matter=matter, unit=u, role=AgreedMatterUnit.LEAD, order=i) for i, u in enumerate(leads)]
            + [AgreedMatterUnit(matter=matter, unit=u, role=AgreedMatterUnit.PARTICIPATING, order=i)
               for i, u in enumerate(parts)])
    audit_record(actor=by, action="minutes.save", obj=minutes, changes={
        "matters": [f"{m.number}. {m.content[:40]}" for m, _l, _p in rows]})
    return minutes


def attending_units(minutes: Minutes) -> list[MemberUnit]:
    return [mu.unit for mu in minutes.meeting.meeting_units.filter(attended=True).select_related("unit")]


@transaction.atomic
def minutes_submit(*, minutes: Minutes, by, version=None) -> Minutes:
    """Send the draft to the attending member units for their agreement (a new round)."""
    _require_office(by, "送出纪要会签")
    minutes = _lock(Minutes, minutes)
    _check_version(minutes, version, label="该纪要")
    if not minutes.matters.exists():
        raise DomainError("纪要至少应有一条议定事项。", field="matters")
    _move(minutes, Minutes.Status.CONSULTING, label="该纪要")
    minutes.round += 1
    minutes.save()
    audit_record(actor=by, action="minutes.submit", obj=minutes, changes={"round": minutes.round})
    _flow_run(MeetingFlow, MeetingFlow.draft, minutes.meeting)
    event_notify(event="consult", obj=minutes, by=by, units=attending_units(minutes), key=str(minutes.round))
    return minutes


@transaction.atomic
def minutes_review(*, minutes: Minutes, unit: MemberUnit, agree: bool, by, comment: str = "") -> MinutesReview:
    """An attending unit agrees to this round's draft or asks for changes. When every attending
    unit has answered: all agreed → ready to issue; otherwise back to the office to revise."""
    _require_unit(by, unit, "会签纪要")
    minutes = _lock(Minutes, minutes)
    units = attending_units(minutes)
    if unit not in units:
        raise NotAllowed(f"{unit.name}未出席该会议，不参与会签。")
    if minutes.status != Minutes.Status.CONSULTING:
        raise Conflict("纪要当前不在会签环节。", code="bad_transition")
    if minutes.reviews.filter(round=minutes.round, unit=unit).exists():
        raise Conflict(f"{unit.name}已对本轮征求意见稿表示意见。", code="duplicate")
    comment = _text(comment, label="修改意见", field="comment", max_length=2000, required=not agree)
    review = MinutesReview.objects.create(
        minutes=minutes, round=minutes.round, unit=unit, comment=comment, by=by, acting_for=acting_for(by, unit),
        decision=MinutesReview.Decision.AGREE if agree else MinutesReview.Decision.CHANGES)
    audit_record(actor=by, action="minutes.review", obj=minutes, reason=comment, changes={
        "round": minutes.round, "unit": unit.name, "decision": review.get_decision_display(),
        "acting_for": review.acting_for.name if review.acting_for else None})
    answers = list(minutes.reviews.filter(round=minutes.round))
    if len(answers) == len(units):
        all_agreed = all(a.decision == MinutesReview.Decision.AGREE for a in answers)
        _move(minutes, Minutes.Status.AGREED if all_agreed else Minutes.Status.DRAFTING, label="该纪要")
        minutes.save()
        _flow_run(MeetingFlow, MeetingFlow.consultation, minutes.meeting, all_agreed=all_agreed)
    return review


@transaction.atomic
def minutes_issue(*, minutes: Minutes, by, doc_number: str = "", version=None) -> Minutes:
    """Issue the agreed minutes under a 文号; each agreed matter becomes a supervised item and each
    major matter opens its escalation record."""
    _require_office(by, "印发纪要")
    minutes = _lock(Minutes, minutes)
    _check_version(minutes, version, label="该纪要")
    number = _text(doc_number or minutes.doc_number, label="文号", field="doc_number", max_length=60)
    if Minutes.objects.filter(doc_number=number).exclude(pk=minutes.pk).exists():
        raise DomainError(f"文号“{number}”已被使用。", field="doc_number")
    _move(minutes, Minutes.Status.ISSUED, label="该纪要")
    minutes.doc_number, minutes.issued_at, minutes.issued_by = number, timezone.now(), by
    minutes.save()
    audit_record(actor=by, action="minutes.issue", obj=minutes, changes={"doc_number": number})
    for matter in minutes.matters.prefetch_related("unit_roles__unit"):
        dispatch_module.agreed_matter_dispatch(matter=matter, by=by)
        if matter.is_major:
            escalation_open(matter=matter, by=by)
    _flow_run(MeetingFlow, MeetingFlow.issue, minutes.meeting)
    event_notify(event="issued", obj=minutes, by=by)
    return minutes


# --- follow-up ----------------------------------------------------------------------------------------


@transaction.atomic
def notice_send(*, by) -> ProgressNotice:
    """通报: the office sends every member unit the status of the agreed matters still open."""
    from .selectors import matters_open, matter_status

    _require_office(by, "发送情况通报")
    mechanism = mechanism_for(by)
    today = timezone.localdate()
    lines = []
    for m in matters_open(mechanism):
        status = matter_status(m, today)
        leads = "、".join(u.name for u in m.lead_units)
        lines.append(f"{m.minutes.doc_number} 第{m.number_cn}条：{m.content[:60]}（牵头单位：{leads}；"
                     f"时限：{m.due_date:%Y年%-m月%-d日}；状态：{status['label']}）")
    body = ("截至{:%Y年%-m月%-d日}，联席会议议定事项落实情况如下：\n".format(today)
            + ("\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1)) if lines else "议定事项均已办结。"))
    users = all_unit_users(mechanism)
    notice = ProgressNotice.objects.create(mechanism=mechanism, title=f"议定事项落实情况通报（{today:%Y年%-m月%-d日}）",
                                           body=body, created_by=by, recipients=len(users))
    audit_record(actor=by, action="notice.send", obj=notice, changes={"open_matters": len(lines)})
    event_notify(event="notice", obj=notice, by=by)
    return notice


# --- major matters ------------------------------------------------------------------------------------


def escalation_open(*, matter: AgreedMatter, by) -> Escalation:
    """Open the escalation record of a major matter (called when the minutes are issued)."""
    with transaction.atomic():
        if Escalation.objects.filter(matter=matter).exists():
            raise Conflict("该事项已有重大事项报告。", code="duplicate")
        escalation = Escalation.objects.create(matter=matter, mechanism_id=matter.minutes.meeting.mechanism_id)
        audit_record(actor=by, action="escalation.open", obj=escalation)
        EscalationFlow.start.run(escalation=escalation)
    return escalation


@transaction.atomic
def escalation_submit(*, escalation: Escalation, report: str, by, version=None) -> Escalation:
    _require_office(by, "起草重大事项报告")
    e = _lock(Escalation, escalation)
    _check_version(e, version, label="该报告")
    e.report = _text(report, label="报告内容", field="report", max_length=10000)
    _move(e, Escalation.Status.AWAITING_APPROVAL, label="该报告")
    e.save()
    audit_record(actor=by, action="escalation.submit", obj=e)
    _flow_run(EscalationFlow, EscalationFlow.draft, e)
    return e


@transaction.atomic
def escalation_decide(*, escalation: Escalation, approve: bool, by, note: str = "", version=None) -> Escalation:
    on_behalf = _require_decider(by, "审定重大事项报告")
    e = _lock(Escalation, escalation)
    _check_version(e, version, label="该报告")
    note = _text(note, label="修改意见", field="note", max_length=500, required=not approve)
    _move(e, Escalation.Status.APPROVED if approve else Escalation.Status.DRAFTING, label="该报告")
    if approve:
        e.approved_by, e.approved_at, e.on_behalf_of_convener = by, timezone.now(), on_behalf
    e.save()
    audit_record(actor=by, action="escalation.approve" if approve else "escalation.return", obj=e, reason=note,
                 changes={"on_behalf_of_convener": on_behalf})
    _flow_run(EscalationFlow, EscalationFlow.approval, e, approved=approve)
    return e


@transaction.atomic
def escalation_send(*, escalation: Escalation, sent_on: date, by, version=None) -> Escalation:
    _require_office(by, "报送重大事项")
    e = _lock(Escalation, escalation)
    _check_version(e, version, label="该报告")
    if not sent_on or sent_on > timezone.localdate():
        raise DomainError("请填写报送日期（不能晚于今天）。", field="sent_on")
    _move(e, Escalation.Status.SENT, label="该报告")
    e.sent_on = sent_on
    e.save()
    audit_record(actor=by, action="escalation.send", obj=e, changes={"sent_to": e.sent_to, "sent_on": str(sent_on)})
    _flow_run(EscalationFlow, EscalationFlow.send, e)
    return e


@transaction.atomic
def escalation_reply(*, escalation: Escalation, reply: str, reply_on: date, by, version=None) -> Escalation:
    _require_office(by, "登记批复")
    e = _lock(Escalation, escalation)
    _check_version(e, version, label="该报告")
    e.reply = _text(reply, label="批复内容", field="reply", max_length=5000)
    if not reply_on or reply_on > timezone.localdate() or (e.sent_on and reply_on < e.sent_on):
        raise DomainError("批复日期应在报送日期与今天之间。", field="reply_on")
    _move(e, Escalation.Status.REPLIED, label="该报告")
    e.reply_on = reply_on
    e.save()
    audit_record(actor=by, action="escalation.reply", obj=e, changes={"reply_on": str(reply_on)})
    _flow_run(EscalationFlow, EscalationFlow.reply, e)
    return e


@transaction.atomic
def escalation_close(*, escalation: Escalation, by, version=None) -> Escalation:
    _require_office(by, "办结重大事项")
    e = _lock(Escalation, escalation)
    _check_version(e, version, label="该报告")
    _move(e, Escalation.Status.CLOSED, label="该报告")
    e.closed_at = timezone.now()
    e.save()
    audit_record(actor=by, action="escalation.close", obj=e)
    _flow_run(EscalationFlow, EscalationFlow.close, e)
    return e


# --- membership changes -------------------------------------------------------------------------------


@transaction.atomic
def change_propose_replace(*, assignment: RoleAssignment, effective_date: date, reason: str, by,
                           new_person: Person | None = None, new_person_name: str = "", new_person_title: str = "",
                           new_person_division: Division | None = None) -> MembershipChange:
    """A unit proposes replacing its member or liaison from `effective_date`, by an existing person
    of the unit or a newcomer named here (created on confirmation)."""
    unit = assignment.unit
    _require_unit(by, unit, "提出本单位人员调整")
    if assignment.role not in (Role.MEMBER, Role.LIAISON):
        raise DomainError("单位只能提出本单位成员或联络员的调整。", field="assignment")
    if assignment.end_date is not None and assignment.end_date <= timezone.localdate():
        raise DomainError("该任职已终止。", field="assignment")
    if effective_date is None or effective_date <= assignment.start_date:
        raise DomainError("生效日期必须晚于原任职的起始日期。", field="effective_date")
    if effective_date < timezone.localdate():
        raise DomainError("生效日期不能早于今天。", field="effective_date")
    name = _text(new_person_name, label="新任人员姓名", field="new_person_name", max_length=30, required=False)
    if new_person is None and not name:
        raise DomainError("请选择或填写新任人员。", field="new_person")
    if new_person is not None and new_person.unit_id != unit.pk:
        raise DomainError("新任人员必须属于同一成员单位。", field="new_person")
    if new_person is not None and new_person.pk == assignment.person_id:
        raise DomainError("新任人员与原任人员相同。", field="new_person")
    if new_person_division is not None and new_person_division.unit_id != unit.pk:
        raise DomainError("处室不属于该单位。", field="new_person_division")
    if MembershipChange.objects.filter(assignment=assignment, status__in=[MembershipChange.Status.PROPOSED,
                                                                          MembershipChange.Status.CHECKED]).exists():
        raise Conflict("该职务已有一项调整在办理中。", code="duplicate")
    change = MembershipChange(
        mechanism_id=assignment.mechanism_id, kind=MembershipChange.Kind.REPLACE, unit=unit, assignment=assignment,
        new_person=new_person, new_person_name=name if new_person is None else "",
        new_person_title=_text(new_person_title, label="职务", field="new_person_title", max_length=60, required=False),
        new_person_division=new_person_division, effective_date=effective_date,
        reason=_text(reason, label="调整理由", field="reason", max_length=1000), proposed_by=by)
    change.full_clean()
    change.save()
    audit_record(actor=by, action="membership.propose", obj=change, reason=change.reason, changes={
        "role": assignment.get_role_display(), "from": assignment.person.name,
        "to": new_person.name if new_person else name, "effective_date": str(effective_date)})
    MembershipChangeFlow.start.run(change=change)
    return change


@transaction.atomic
def change_propose_unit_add(*, name: str, code: str, divisions: list[str], member: dict, liaison: dict,
                            effective_date: date, reason: str, by, full_name: str = "") -> MembershipChange:
    """The office proposes adding a member unit (增补) with its divisions, member and liaison
    (dicts: name, title, division — a division among `divisions`)."""
    _require_office(by, "提出增补成员单位")
    mechanism = mechanism_for(by)
    name = _text(name, label="单位名称", field="name", max_length=60)
    code = _text(code, label="单位代码", field="code", max_length=32)
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise DomainError("单位代码只能包含英文字母、数字、连字符。", field="code")
    if MemberUnit.objects.filter(mechanism=mechanism, code=code).exists() or \
            MemberUnit.objects.filter(mechanism=mechanism, name=name).exists():
        raise DomainError("已有同名或同代码的成员单位。", field="name")
    divisions = [d.strip() for d in divisions if d and d.strip()]
    if not divisions:
        raise DomainError("请至少填写一个处室。", field="divisions")
    if len(set(divisions)) != len(divisions):
        raise DomainError("处室名称重复。", field="divisions")
    people = {}
    for key, label in (("member", "成员"), ("liaison", "联络员")):
        p = {"member": member, "liaison": liaison}[key] or {}
        people[key] = {"name": _text(p.get("name"), label=f"{label}姓名", field=key, max_length=30),
                       "title": _text(p.get("title"), label=f"{label}职务", field=key, max_length=60, required=False),
                       "division": (p.get("division") or divisions[0]).strip()}
        if people[key]["division"] not in divisions:
            raise DomainError(f"{label}所在处室不在所列处室中。", field=key)
    if effective_date is None or effective_date < timezone.localdate():
        raise DomainError("生效日期不能早于今天。", field="effective_date")
    change = MembershipChange(
        mechanism=mechanism, kind=MembershipChange.Kind.ADD_UNIT, effective_date=effective_date,
        new_unit={"name": name, "code": code, "full_name": full_name.strip()[:100], "divisions": divisions, **people},
        reason=_text(reason, label="增补理由", field="reason", max_length=1000), proposed_by=by)
    change.full_clean()
    change.save()
    audit_record(actor=by, action="membership.propose", obj=change, reason=change.reason, changes=change.new_unit)
    MembershipChangeFlow.start.run(change=change)
    return change


@transaction.atomic
def change_check(*, change: MembershipChange, passed: bool, by, note: str = "", version=None) -> MembershipChange:
    """The office checks the proposal before it goes to the convener."""
    _require_office(by, "审核成员调整")
    change = _lock(MembershipChange, change)
    _check_version(change, version, label="该调整")
    note = _text(note, label="不通过的理由", field="note", max_length=500, required=not passed)
    _move(change, MembershipChange.Status.CHECKED if passed else MembershipChange.Status.REJECTED, label="该调整")
    change.checked_by, change.decision_note = by, note
    change.save()
    audit_record(actor=by, action="membership.check", obj=change, reason=note, changes={"passed": passed})
    _flow_run(MembershipChangeFlow, MembershipChangeFlow.check, change, passed=passed)
    return change


@transaction.atomic
def change_confirm(*, change: MembershipChange, confirm: bool, by, note: str = "", version=None) -> MembershipChange:
    """The convener (or deputy on the convener's behalf) confirms for the meeting; the change then
    applies from its effective date (`members.services.role_replace`, or the new unit's rows)."""
    on_behalf = _require_decider(by, "确认成员调整")
    change = _lock(MembershipChange, change)
    _check_version(change, version, label="该调整")
    note = _text(note, label="不同意的理由", field="note", max_length=500, required=not confirm)
    _move(change, MembershipChange.Status.CONFIRMED if confirm else MembershipChange.Status.REJECTED, label="该调整")
    change.decided_by, change.decided_at, change.on_behalf_of_convener = by, timezone.now(), on_behalf
    change.decision_note = note
    change.save()
    audit_record(actor=by, action="membership.confirm" if confirm else "membership.reject", obj=change, reason=note,
                 changes={"on_behalf_of_convener": on_behalf})
    event_notify(event="membership_decided", obj=change, by=by, reason=note, units=[change.unit] if change.unit else [],
                 users=[change.proposed_by], decision="已确认" if confirm else "未同意", change=str(change))
    if confirm:
        if change.kind == MembershipChange.Kind.REPLACE:
            _apply_replace(change, by)
        else:
            _apply_unit_add(change, by)
    _flow_run(MembershipChangeFlow, MembershipChangeFlow.confirm, change, confirmed=confirm)
    return change


def _apply_replace(change: MembershipChange, by):
    person = change.new_person
    if person is None:
        person = Person.objects.filter(unit=change.unit, name=change.new_person_name).first()
    if person is None:
        person = Person(unit=change.unit, division=change.new_person_division or change.assignment.division,
                        name=change.new_person_name, title=change.new_person_title)
        person.full_clean()
        person.save()
        change.new_person = person
        change.save(update_fields=["new_person"])
    role_replace(assignment=change.assignment, new_person=person, effective_date=change.effective_date, by=by,
                 reason=change.reason, basis=f"联席会议确认（成员调整 #{change.pk}）")


def _apply_unit_add(change: MembershipChange, by):
    data = change.new_unit
    change.unit = unit_add(mechanism=change.mechanism, code=data["code"], name=data["name"],
                           full_name=data.get("full_name", ""), divisions=data["divisions"], member=data["member"],
                           liaison=data["liaison"], joined_on=change.effective_date,
                           basis=f"联席会议确认增补（成员调整 #{change.pk}）", reason=change.reason, by=by)
    change.save(update_fields=["unit"])


@transaction.atomic
def backup_name(*, liaison: RoleAssignment, backup: Person, start_date: date, end_date: date, reason: str, by):
    """A liaison (or a member of the unit) names a B角 for a leave. No confirmation by the meeting:
    it is the unit's own arrangement; the record says who acts for whom."""
    _require_unit(by, liaison.unit, "为本单位联络员指定B角")
    if start_date is None or end_date is None:
        raise DomainError("请填写请假起止日期。", field="start_date")
    if end_date <= timezone.localdate():
        raise DomainError("请假期间已经结束。", field="end_date")
    return backup_assign(liaison=liaison, backup=backup, start_date=start_date, end_date=end_date, by=by,
                         reason=_text(reason, label="请假事由", field="reason", max_length=200))


# --- the meeting's own rules (issue 18): chair, regular meetings, agenda proposals, major matters raised directly


def meeting_chair_check(*, mechanism_id: int, chair, delegation: str = "", on=None) -> tuple:
    """工作规则: 由召集人或召集人委托副召集人主持. `chair` is a Person (or the name of the convener or a
    deputy). Returns (person, delegation, the chair as shown); refuses anyone else, and a deputy whose
    delegation from the convener is not recorded."""
    on = on or timezone.localdate()
    holders = RoleAssignment.objects.active(on).filter(
        mechanism_id=mechanism_id, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER]).select_related("person")
    roles = {}
    for ra in holders:
        roles.setdefault(ra.person_id, (ra.person, set()))[1].add(ra.role)
    if chair is None or chair == "":
        raise DomainError("请选择主持人。", field="chair")
    if isinstance(chair, str):
        named = [p for p, _r in roles.values() if p.name == chair.strip()]
        if len(named) != 1:
            raise DomainError(f"会议由召集人主持，或由副召集人受召集人委托主持；“{chair.strip()[:30]}”不是现任召集人或副召集人。",
                              field="chair")
        chair = named[0]
    person_roles = roles.get(getattr(chair, "pk", None), (None, set()))[1]
    delegation = _text(delegation, label="召集人委托", field="chair_delegation", max_length=200, required=False)
    if Role.CONVENER in person_roles:
        return chair, "", chair.name
    if Role.DEPUTY_CONVENER in person_roles:
        if not delegation:
            raise DomainError(f"{chair.name}是副召集人，须受召集人委托主持：请登记召集人的委托（方式、日期或文号）。",
                              field="chair_delegation")
        return chair, delegation, f"{chair.name}（受召集人委托）"
    raise DomainError(f"会议由召集人主持，或由副召集人受召集人委托主持；{chair.name}不是现任召集人或副召集人。",
                      field="chair")


def chair_choices(mechanism_id: int, on=None) -> list:
    """The people who may chair today: (person, role label), the convener first."""
    rows = (RoleAssignment.objects.active(on).filter(mechanism_id=mechanism_id,
                                                     role__in=[Role.CONVENER, Role.DEPUTY_CONVENER])
            .select_related("person").order_by("role", "person__name"))
    return [(ra.person, ra.get_role_display()) for ra in rows]


def regular_meetings_generate(*, today: date | None = None, mechanism=None) -> list[Meeting]:
    """例会: create the regular meetings the mechanism's rule (meetings.rules) plans within its notice
    period — approved by the rule itself, waiting for the office to schedule them — and ask every
    unit to propose agenda items before the cutoff. Idempotent: one meeting per period (a unique
    constraint), so the nightly beat and a manual run may both call it."""
    from members.selectors import mechanism_deployed

    from .rules import meeting_rules_for

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
    meeting = Meeting(mechanism=mechanism, title=f"{label}{rule.title}"[:100], regular_period=period, planned_on=planned,
                      agenda_cutoff=cutoff, status=Meeting.Status.PROPOSED,
                      topics="听取各成员单位工作情况汇报；研究解决创建工作中的重大问题；部署下一阶段工作。",
                      reasons=f"按联席会议例会制度（每{'半年' if rule.every == 'half_year' else '年'}召开一次）召开。")
    meeting.full_clean()
    meeting.save()
    MeetingFlow.start.run(meeting=meeting)
    # The rule is the convener's standing decision: the meeting waits for the office to schedule it.
    _move(meeting, Meeting.Status.APPROVED, label="该会议")
    meeting.decided_at, meeting.decision_note = timezone.now(), "按例会制度召开"
    meeting.save()
    audit_record(actor=None, action="meeting.regular", obj=meeting, changes={
        "period": period, "planned_on": str(planned), "agenda_cutoff": str(cutoff)})
    _flow_run(MeetingFlow, MeetingFlow.approval, meeting, approved=True)
    event_notify(event="agenda_call", obj=meeting, by=None, cutoff=cutoff, planned=planned)
    return meeting


AGENDA_OPEN = (Meeting.Status.PROPOSED, Meeting.Status.APPROVED, Meeting.Status.SCHEDULED)


@transaction.atomic
def agenda_propose(*, meeting: Meeting, topic: str, by, note: str = "", unit: MemberUnit | None = None):
    """A unit (its liaison or member) or the office proposes an agenda item (议题) for a meeting that is
    not yet held, until its agenda cutoff."""
    from .models import AgendaProposal

    if unit is None:
        _require_office(by, "以办公室名义提出议题")
    else:
        _require_unit(by, unit, "以本单位名义提出议题")
    meeting = _lock(Meeting, meeting)
    if meeting.status not in AGENDA_OPEN:
        raise Conflict("该会议已召开或未同意召开，不能再提出议题。", code="bad_transition")
    today = timezone.localdate()
    if meeting.agenda_cutoff and today > meeting.agenda_cutoff:
        raise DomainError(f"议题征集已于{meeting.agenda_cutoff:%Y年%-m月%-d日}截止。", code="agenda_closed", field="topic")
    proposal = AgendaProposal(meeting=meeting, unit=unit, proposed_by=by,
                              topic=_text(topic, label="议题", field="topic", max_length=200),
                              note=_text(note, label="说明", field="note", max_length=2000, required=False))
    proposal.full_clean()
    proposal.save()
    audit_record(actor=by, action="meeting.agenda_propose", obj=meeting, changes={
        "unit": unit.name if unit else "联席会议办公室", "topic": proposal.topic})
    return proposal


@transaction.atomic
def escalation_raise(*, title: str, description: str, by, unit: MemberUnit | None = None) -> Escalation:
    """A 重大事项 raised at any time — by a member unit (its liaison or member) or by the office — not
    only from issued minutes. The office then drafts the report and it follows the same flow."""
    if unit is None:
        _require_office(by, "以办公室名义提出重大事项")
    else:
        _require_unit(by, unit, "以本单位名义提出重大事项")
    mechanism = mechanism_for(by)
    if mechanism is None:
        raise DomainError("联席会议尚未载入。")
    escalation = Escalation(mechanism=mechanism, title=_text(title, label="事项名称", field="title", max_length=100),
                            description=_text(description, label="事项说明", field="description", max_length=5000),
                            raised_by_unit=unit, raised_by=by, raised_at=timezone.now())
    escalation.full_clean()
    escalation.save()
    audit_record(actor=by, action="escalation.raise", obj=escalation, changes={
        "unit": unit.name if unit else "联席会议办公室", "title": escalation.title})
    EscalationFlow.start.run(escalation=escalation)
    event_notify(event="escalation_raised", obj=escalation, by=by, unit=unit.name if unit else "联席会议办公室")
    return escalation
