"""Major matters (重大事项): the report drafted, approved, sent up, answered and closed."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.parsing import text_clean
from core.services import audit_record
from deadlines.events import event_notify
from members.models import MemberUnit
from members.selectors import mechanism_for
from workflow.steps import process_for, step_run
from workflow.transitions import transition_apply, version_check

from ..flows import EscalationFlow
from ..models import AgreedMatter, Escalation
from .common import _lock, _require_decider, _require_office, _require_unit

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
    version_check(e, version, label="该报告")
    e.report = text_clean(report, label="报告内容", field="report", max_length=10000)
    transition_apply(e, "submit", label="该报告", by=by, audit="escalation.submit")
    e.save()
    step_run(EscalationFlow.draft, process=process_for(EscalationFlow, e))
    return e


@transaction.atomic
def escalation_decide(*, escalation: Escalation, approve: bool, by, note: str = "", version=None) -> Escalation:
    on_behalf = _require_decider(by, "审定重大事项报告")
    e = _lock(Escalation, escalation)
    version_check(e, version, label="该报告")
    note = text_clean(note, label="修改意见", field="note", max_length=500, required=not approve)
    transition_apply(e, "approve" if approve else "return", label="该报告")
    if approve:
        e.approved_by, e.approved_at, e.on_behalf_of_convener = by, timezone.now(), on_behalf
    e.save()
    audit_record(
        actor=by,
        action="escalation.approve" if approve else "escalation.return",
        obj=e,
        reason=note,
        changes={"on_behalf_of_convener": on_behalf},
    )
    step_run(EscalationFlow.approval, process=process_for(EscalationFlow, e), approved=approve)
    return e


@transaction.atomic
def escalation_send(*, escalation: Escalation, sent_on: date, by, version=None) -> Escalation:
    _require_office(by, "报送重大事项")
    e = _lock(Escalation, escalation)
    version_check(e, version, label="该报告")
    if not sent_on or sent_on > timezone.localdate():
        raise DomainError("请填写报送日期（不能晚于今天）。", field="sent_on")
    transition_apply(e, "send", label="该报告")
    e.sent_on = sent_on
    e.save()
    audit_record(actor=by, action="escalation.send", obj=e, changes={"sent_to": e.sent_to, "sent_on": str(sent_on)})
    step_run(EscalationFlow.send, process=process_for(EscalationFlow, e))
    return e


@transaction.atomic
def escalation_reply(*, escalation: Escalation, reply: str, reply_on: date, by, version=None) -> Escalation:
    _require_office(by, "登记批复")
    e = _lock(Escalation, escalation)
    version_check(e, version, label="该报告")
    e.reply = text_clean(reply, label="批复内容", field="reply", max_length=5000)
    if not reply_on or reply_on > timezone.localdate() or (e.sent_on and reply_on < e.sent_on):
        raise DomainError("批复日期应在报送日期与今天之间。", field="reply_on")
    transition_apply(e, "reply", label="该报告")
    e.reply_on = reply_on
    e.save()
    audit_record(actor=by, action="escalation.reply", obj=e, changes={"reply_on": str(reply_on)})
    step_run(EscalationFlow.reply, process=process_for(EscalationFlow, e))
    return e


@transaction.atomic
def escalation_close(*, escalation: Escalation, by, version=None) -> Escalation:
    _require_office(by, "办结重大事项")
    e = _lock(Escalation, escalation)
    transition_apply(e, "close", version=version, label="该报告", by=by, audit="escalation.close")
    e.closed_at = timezone.now()
    e.save()
    step_run(EscalationFlow.close, process=process_for(EscalationFlow, e))
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
    escalation = Escalation(
        mechanism=mechanism,
        title=text_clean(title, label="事项名称", field="title", max_length=100),
        description=text_clean(description, label="事项说明", field="description", max_length=5000),
        raised_by_unit=unit,
        raised_by=by,
        raised_at=timezone.now(),
    )
    escalation.full_clean()
    escalation.save()
    audit_record(
        actor=by,
        action="escalation.raise",
        obj=escalation,
        changes={"unit": unit.name if unit else "联席会议办公室", "title": escalation.title},
    )
    EscalationFlow.start.run(escalation=escalation)
    event_notify(event="escalation_raised", obj=escalation, by=by, unit=unit.name if unit else "联席会议办公室")
    return escalation
