"""Obligations: generated from the rules, submitted by the obligor, accepted or returned by the
office, pressed (催办)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.services import audit_record
from core.uploads import storage_name, upload_check
from members.models import MemberUnit, ReportingUnit
from workflow.steps import process_for, step_run
from workflow.transitions import transition_apply

from .. import schedules
from ..cascade import county_submitted_notify, is_county_obligation
from ..flows import SubmissionFlow
from ..models import Attachment, DeadlineRule, Obligation, Submission, SubmissionProcess

# --- Obligations -------------------------------------------------------------------------------------

LOOKBACK_DAYS = 31  # a period due up to a month ago is still created (the task may have been down)
HORIZON_DAYS = 120  # created about four months ahead: the liaison sees what is coming


@dataclass
class GenerateReport:
    created: int = 0
    existing: int = 0


def obligors_for(rule: DeadlineRule, on: date):
    if rule.obligors == schedules.MEMBER_UNITS:
        return [("mu", u) for u in MemberUnit.objects.current(on).filter(mechanism_id=rule.mechanism_id)]
    units = ReportingUnit.objects.current(on).filter(mechanism_id=rule.mechanism_id)
    # A prefecture's rule binds the prefectures; a county's rule its counties (docs/counties.md).
    units = units.filter(parent__isnull=rule.obligors != schedules.COUNTIES)
    return [("ru", u) for u in units]


def obligations_generate(
    *, today: date | None = None, horizon_days: int = HORIZON_DAYS, mechanism_ids=None
) -> GenerateReport:
    """Create every obligation (rule × obligor × period) due from a month ago to `horizon_days` ahead,
    for the deployment's mechanism (or `mechanism_ids`). Idempotent and safe to race: the unique key
    (rule, obligor, period) drops duplicates."""
    from ..reminders import mechanisms_swept

    today = today or timezone.localdate()
    mechanism_ids = mechanisms_swept() if mechanism_ids is None else list(mechanism_ids)
    report = GenerateReport()
    for rule in DeadlineRule.objects.filter(active=True, mechanism_id__in=mechanism_ids).select_related("mechanism"):
        spec = rule.spec()
        periods = spec.periods(today - timedelta(days=LOOKBACK_DAYS), today + timedelta(days=horizon_days))
        rows = []
        for period in periods:
            for kind, unit in obligors_for(rule, period.due):
                rows.append(
                    Obligation(
                        rule=rule,
                        member_unit=unit if kind == "mu" else None,
                        reporting_unit=unit if kind == "ru" else None,
                        obligor_key=f"{kind}:{unit.pk}",
                        period=period.key,
                        period_label=period.label,
                        period_start=period.start,
                        period_end=period.end,
                        opens_on=period.opens,
                        due_on=period.due,
                    )
                )
        if not rows:
            continue
        keys = {(o.obligor_key, o.period) for o in rows}
        have = set(
            Obligation.objects.filter(rule=rule, period__in={p.key for p in periods}).values_list(
                "obligor_key", "period"
            )
        )
        new = [o for o in rows if (o.obligor_key, o.period) not in have]
        report.existing += len(keys) - len(new)
        if new:
            with transaction.atomic():
                created = Obligation.objects.bulk_create(new, ignore_conflicts=True)
            report.created += len(created)
    return report


# --- Submission: liaison/prefecture submits → office accepts or returns --------------------------------

MAX_ATTACHMENTS = 10


def _check_files(files) -> list[str]:
    """The names people will see, one per file (core.uploads checks each)."""
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError(f"附件最多 {MAX_ATTACHMENTS} 个。", field="files")
    return [upload_check(f, field="files") for f in files]


def obligation_submit(*, obligation: Obligation, text: str, files=(), keep=(), by) -> Submission:
    """The obligor submits its report (text + attachments). Late submissions are accepted and marked late.
    `keep`: ids of attachments of this obligation's earlier submissions to carry into this one (a returned
    report is revised, its files need not be uploaded again); the new rows point at the same stored file."""
    from ..selectors import may_submit

    if not may_submit(by, obligation):
        raise NotAllowed("您不能为该单位报送。")
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写报送内容。", field="text")
    if len(text) > 20000:
        raise DomainError(f"报送内容 {len(text)} 字，超过上限 20000 字；较长的材料请作为附件上传。", field="text")
    files = list(files)
    kept = list(Attachment.objects.filter(submission__obligation=obligation, pk__in=list(keep)).order_by("pk"))
    if len(kept) != len(set(keep)):
        raise DomainError("要保留的附件不属于该报送任务。", field="files")
    if len(files) + len(kept) > MAX_ATTACHMENTS:
        raise DomainError(f"附件最多 {MAX_ATTACHMENTS} 个。", field="files")
    names = _check_files(files)
    now = timezone.now()
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        transition_apply(locked, "submit", label="该报送任务")
        if timezone.localdate(now) < locked.opens_on:
            raise DomainError(
                f"报送期自 {locked.opens_on:%Y年%-m月%-d日} 起，现在还不能报送（报告反映的时段尚未结束）。"
                "请届时再报送。"
            )
        late = timezone.localdate(now) > locked.due_on
        submission = Submission(obligation=locked, text=text, submitted_by=by, submitted_at=now, is_late=late)
        submission.full_clean(exclude=["obligation", "submitted_by"])
        submission.save()
        for old in kept:
            Attachment.objects.create(submission=submission, file=old.file.name, name=old.name, size=old.size)
        for f, name in zip(files, names):
            attachment = Attachment(submission=submission, name=name, size=f.size)
            attachment.file.save(storage_name(name), f, save=False)
            attachment.save()
        locked.submitted_at = now
        locked.is_late = locked.is_late or late
        locked.save(update_fields=["status", "submitted_at", "is_late"])
        process = SubmissionProcess.objects.filter(obligation=locked).first()
        if process is None:
            SubmissionFlow.start.run(obligation=locked, by=by)
        else:  # a returned report comes back
            step_run(SubmissionFlow.revise, process=process, by=by)
        county_submitted_notify(obligation=locked, by=by)  # a county's return tells its prefecture (cascade)
        audit_record(
            actor=by,
            action="obligation.submit",
            obj=locked,
            reason="逾期报送" if late else "",
            changes={"submission": submission.pk, "files": len(files) + len(kept), "kept": [a.name for a in kept]},
        )
    obligation.refresh_from_db()
    return submission


def obligation_decide(*, obligation: Obligation, accept: bool, reason: str = "", quality: str = "", by) -> Obligation:
    """The office receives a submission: accept it (optionally marking its quality, 优/良/中/差), or
    return it for revision with a reason."""
    from ..events import event_notify

    if not (by.has_perm("members.dispatch") or by.is_superuser):
        raise NotAllowed("只有联席会议办公室可以接收或退回报送。")
    if is_county_obligation(obligation):
        raise NotAllowed("县（市、区）的报送由所属市州接收（deadlines.cascade）。")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("退回修改时请填写理由。", field="reason")
    if len(reason) > 2000:
        raise DomainError("理由不能超过 2000 字。", field="reason")
    if quality and (not accept or quality not in dict(Submission.QUALITY_MARKS)):
        raise DomainError("质量评定只能在接收时选择优、良、中或差。", field="quality")
    action = "accept" if accept else "return"
    now = timezone.now()
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().select_related("rule").get(pk=obligation.pk)
        transition_apply(locked, action, label="该报送任务")
        submission = locked.submissions.filter(decision=Submission.PENDING).order_by("-submitted_at").first()
        if submission is None:
            raise Conflict("没有待接收的报送。")
        submission.decision = Submission.ACCEPTED if accept else Submission.RETURNED
        submission.reason, submission.decided_by, submission.decided_at = reason, by, now
        submission.quality = quality
        submission.save(update_fields=["decision", "reason", "decided_by", "decided_at", "quality"])
        if accept:
            locked.accepted_at = now
        locked.save(update_fields=["status", "accepted_at"])
        step_run(SubmissionFlow.receive, process=process_for(SubmissionFlow, obligation=locked), accepted=accept, by=by)
        audit_record(
            actor=by,
            action=f"obligation.{action}",
            obj=locked,
            reason=reason,
            changes={"submission": submission.pk, "late": submission.is_late, "quality": quality},
        )
        event_notify(
            event="accepted" if accept else "returned",
            obj=locked,
            by=by,
            reason=reason,
            units=[locked.member_unit_id] if locked.member_unit_id else [],
            reporting_units=[locked.reporting_unit_id] if locked.reporting_unit_id else [],
        )
    obligation.refresh_from_db()
    return obligation


def obligation_press(*, obligation: Obligation, by, note: str = ""):
    """催办: the office (or convener) presses an obligor now, by every channel. Returns the
    `reminders.PressResult` (who was reached on which channel); Conflict within the cool-down."""
    from ..reminders import reminder_press

    if not (by.has_perm("members.oversee") or by.is_superuser):
        raise NotAllowed("只有召集人、副召集人和联席会议办公室可以催办。")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if locked.status not in Obligation.OWED:
            raise Conflict("该报送任务已报送，无需催办。")
        sent = reminder_press(subject=f"obligation:{locked.pk}", by=by)
        if sent is None:
            raise Conflict("该报送任务已不需报送，无需催办。")
        audit_record(
            actor=by,
            action="obligation.press",
            obj=locked,
            reason=note[:500],
            changes={"messages": sent.rows, "reached": sent.reached},
        )
    return sent


def subject_press(*, subject: str, by):
    """催办 for a subject of another registered source (e.g. a supervised item)."""
    from ..models import Message
    from ..reminders import reminder_press

    if not (by.has_perm("members.oversee") or by.is_superuser):
        raise NotAllowed("只有召集人、副召集人和联席会议办公室可以催办。")
    with transaction.atomic():
        sent = reminder_press(subject=subject, by=by)
        if sent is None:
            raise Conflict("该事项已办结或不存在，无需催办。")
        first = Message.objects.filter(subject=subject, kind__startswith="press:").order_by("-id").first()
        if first is not None:
            audit_record(
                actor=by,
                action="subject.press",
                obj=first,
                reason=subject,
                changes={"messages": sent.rows, "reached": sent.reached},
            )
    return sent
