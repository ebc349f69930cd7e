"""Major matters (重大事项): the report drafted, approved, sent up, answered and closed."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.services import audit_record
from deadlines.events import event_notify
from members.models import MemberUnit
from members.selectors import mechanism_for

from ..flows import EscalationFlow
from ..models import (
    AgreedMatter,
    Escalation,
)
from .common import (_check_version, _flow_run, _lock, _move, _require_decider,
                     _require_office, _require_unit, _text)

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
