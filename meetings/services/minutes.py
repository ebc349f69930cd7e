"""Minutes (纪要): drafted by the office, agreed by the attending units, issued under a 文号."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.parsing import text_clean
from core.services import audit_record
from deadlines.events import event_notify
from members.models import MemberUnit
from members.selectors import acting_for
from workflow.steps import process_for, step_run
from workflow.transitions import transition_apply, version_check

from .. import dispatch as dispatch_module
from ..flows import MeetingFlow
from ..models import (
    AgreedMatter,
    AgreedMatterUnit,
    Minutes,
    MinutesReview,
    cn_number,
)
from .common import _current_units, _lock, _require_office, _require_unit
from .escalations import escalation_open

# --- minutes ------------------------------------------------------------------------------------------


def _matter_rows(matters, today: date, mechanism_id: int):
    """Validate the agreed matters of a draft; returns (matter, leads, participants) tuples."""
    rows = []
    for n, m in enumerate(matters, start=1):
        where = f"第{cn_number(n)}条议定事项"
        content = text_clean(m.get("content"), label=f"{where}的内容", field="matters")
        criteria = text_clean(m.get("done_criteria"), label=f"{where}的完成标准", field="matters", max_length=500)
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
            raise DomainError(
                f"{where}：{'、'.join(u.name for u in both)}不能同时是牵头单位和参与单位。", field="matters"
            )
        rows.append(
            (
                AgreedMatter(
                    number=n, content=content, done_criteria=criteria, due_date=due, is_major=bool(m.get("is_major"))
                ),
                leads,
                parts,
            )
        )
    return rows


@transaction.atomic
def minutes_save(
    *, minutes: Minutes, title: str, summary: str, matters: list[dict], by, doc_number: str = "", version=None
) -> Minutes:
    """The office writes (or revises) the draft: title, summary and the numbered agreed matters.
    Each matter: content, done_criteria, due_date, lead_units, participating_units, is_major."""
    _require_office(by, "起草纪要")
    minutes = _lock(Minutes, minutes)
    version_check(minutes, version, label="该纪要")
    if minutes.status != Minutes.Status.DRAFTING:
        raise Conflict("纪要已送出会签或已印发，不能修改。", code="bad_transition")
    minutes.title = text_clean(title, label="纪要标题", field="title", max_length=100)
    minutes.summary = text_clean(summary, label="会议概述", field="summary", max_length=5000, required=False)
    minutes.doc_number = text_clean(doc_number, label="文号", field="doc_number", max_length=60, required=False)
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
            + [
                AgreedMatterUnit(matter=matter, unit=u, role=AgreedMatterUnit.PARTICIPATING, order=i)
                for i, u in enumerate(parts)
            ]
        )
    audit_record(
        actor=by,
        action="minutes.save",
        obj=minutes,
        changes={"matters": [f"{m.number}. {m.content[:40]}" for m, _l, _p in rows]},
    )
    return minutes


def attending_units(minutes: Minutes) -> list[MemberUnit]:
    return [mu.unit for mu in minutes.meeting.meeting_units.filter(attended=True).select_related("unit")]


@transaction.atomic
def minutes_submit(*, minutes: Minutes, by, version=None) -> Minutes:
    """Send the draft to the attending member units for their agreement (a new round)."""
    _require_office(by, "送出纪要会签")
    minutes = _lock(Minutes, minutes)
    version_check(minutes, version, label="该纪要")
    if not minutes.matters.exists():
        raise DomainError("纪要至少应有一条议定事项。", field="matters")
    transition_apply(minutes, "consult", label="该纪要")
    minutes.round += 1
    minutes.save()
    audit_record(actor=by, action="minutes.submit", obj=minutes, changes={"round": minutes.round})
    step_run(MeetingFlow.draft, process=process_for(MeetingFlow, minutes.meeting))
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
    comment = text_clean(comment, label="修改意见", field="comment", max_length=2000, required=not agree)
    review = MinutesReview.objects.create(
        minutes=minutes,
        round=minutes.round,
        unit=unit,
        comment=comment,
        by=by,
        acting_for=acting_for(by, unit),
        decision=MinutesReview.Decision.AGREE if agree else MinutesReview.Decision.CHANGES,
    )
    audit_record(
        actor=by,
        action="minutes.review",
        obj=minutes,
        reason=comment,
        changes={
            "round": minutes.round,
            "unit": unit.name,
            "decision": review.get_decision_display(),
            "acting_for": review.acting_for.name if review.acting_for else None,
        },
    )
    answers = list(minutes.reviews.filter(round=minutes.round))
    if len(answers) == len(units):
        all_agreed = all(a.decision == MinutesReview.Decision.AGREE for a in answers)
        transition_apply(minutes, "agree" if all_agreed else "revise", label="该纪要")
        minutes.save()
        step_run(MeetingFlow.consultation, process=process_for(MeetingFlow, minutes.meeting), all_agreed=all_agreed)
    return review


@transaction.atomic
def minutes_issue(*, minutes: Minutes, by, doc_number: str = "", version=None) -> Minutes:
    """Issue the agreed minutes under a 文号; each agreed matter becomes a supervised item and each
    major matter opens its escalation record."""
    _require_office(by, "印发纪要")
    minutes = _lock(Minutes, minutes)
    version_check(minutes, version, label="该纪要")
    number = text_clean(doc_number or minutes.doc_number, label="文号", field="doc_number", max_length=60)
    if Minutes.objects.filter(doc_number=number).exclude(pk=minutes.pk).exists():
        raise DomainError(f"文号“{number}”已被使用。", field="doc_number")
    transition_apply(minutes, "issue", label="该纪要")
    minutes.doc_number, minutes.issued_at, minutes.issued_by = number, timezone.now(), by
    minutes.save()
    audit_record(actor=by, action="minutes.issue", obj=minutes, changes={"doc_number": number})
    for matter in minutes.matters.prefetch_related("unit_roles__unit"):
        dispatch_module.agreed_matter_dispatch(matter=matter, by=by)
        if matter.is_major:
            escalation_open(matter=matter, by=by)
    step_run(MeetingFlow.issue, process=process_for(MeetingFlow, minutes.meeting))
    event_notify(event="issued", obj=minutes, by=by)
    return minutes
