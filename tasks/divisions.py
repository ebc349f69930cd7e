"""二次交办 and 成员审核 inside a member unit: every write, as keyword-only functions (docs/divisions.md).

- `share_assign_divisions`: the unit's liaison (or the office, straight) gives a part of the unit's
  share to one or more of its divisions, with a note of what part and the division's date;
- `division_part_save` / `division_part_submit` / `part_attachment_add`: the division's liaison works
  the part; with 成员审核 on, a submission waits for the division's member (`feedback_review`);
- `division_part_return`: the unit's liaison sends a part back to the division with a reason;
- `feedback_review_request` / `feedback_review`: 成员审核 of the unit's own feedback and of a part;
- `share_submit_gate`: called by `tasks.services.assignment_mark_submitted` inside its transaction —
  the unit's share is reported (consolidated) only when every live part is in, and, with 成员审核 on,
  only through its reviewer's approval (`share_consolidate` is that submission).

Each validates, writes, audits on the item (so the item's 办理记录 shows it) and tells the people the
event catalogue names, in one transaction."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.parsing import text_clean
from core.services import audit_record
from core.uploads import storage_name, upload_check
from deadlines.calendar import add_working_days
from deadlines.events import event_notify
from members.access import access_for
from members.models import Division
from members.selectors import division_reviewer_users, mechanism_id_for, unit_reviewer_users, units_for_user
from workflow.transitions import transition_apply, version_check

from .models import Assignment, DivisionPart, HeadReview, PartAttachment

NOTE_MAX, RESULT_MAX, REASON_MAX = 500, 5000, 500
PART_LEAD_DAYS = 1  # a division reports this many working days before its unit's date, unless told otherwise


def _audit(by, action, item, *, reason="", **changes):
    audit_record(actor=by, action=action, obj=item, reason=reason, changes=changes)


def _label(part) -> str:
    return f"{part.assignment.unit.name}{part.division.name}"


def _lock_part(part) -> DivisionPart:
    return (
        DivisionPart.objects.select_for_update().select_related("assignment__unit", "division", "item").get(pk=part.pk)
    )


def may_manage_share(user, assignment) -> bool:
    """The unit's own (unit-level) liaison or member, or the office of the unit's joint meeting."""
    if units_for_user(user).filter(pk=assignment.unit_id).exists():
        return True
    return user.has_perm("members.dispatch") and mechanism_id_for(user) == assignment.unit.mechanism_id


def may_work_part(user, part) -> bool:
    return part.division_id in access_for(user).division_ids


def _require_division(user, part):
    if not may_work_part(user, part):
        raise NotAllowed("只有该处室的联络员或成员可以办理处室任务。")


def _reviewers(review_unit, division_id) -> list:
    if division_id is not None:
        return division_reviewer_users([division_id]).get(division_id, [])
    return unit_reviewer_users(review_unit)


def part_due_default(share_due: date, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return max(add_working_days(share_due, -PART_LEAD_DAYS), min(today, share_due))


# --- 二次交办 ---------------------------------------------------------------------------------------------


@transaction.atomic
def share_assign_divisions(
    *, assignment: Assignment, divisions: list[Division], note: str = "", due_date: date | None = None, by
) -> list[DivisionPart]:
    """Give (a part of) the unit's share to `divisions`. The unit's liaison does it for its own unit;
    the office may do it straight at dispatch time when it knows the division."""
    a = Assignment.objects.select_for_update().select_related("item", "unit").get(pk=assignment.pk)
    if not may_manage_share(by, a):
        raise NotAllowed("只有本单位的联络员或联席会议办公室可以二次交办。")
    if a.status not in (Assignment.Status.TODO, Assignment.Status.CLAIMED, Assignment.Status.REVISION):
        raise Conflict(f"本单位任务当前为“{a.get_status_display()}”，不能二次交办。", code="not_open")
    divisions = list(dict.fromkeys(divisions))
    if not divisions:
        raise DomainError("请至少选择一个处室。", field="divisions")
    stray = [d.name for d in divisions if d.unit_id != a.unit_id]
    if stray:
        raise DomainError(f"{'、'.join(stray)}不是{a.unit.name}的处室。", field="divisions")
    note = text_clean(note, label="交办内容", field="note", max_length=NOTE_MAX, required=False)
    today = timezone.localdate()
    if due_date is None:
        due_date = part_due_default(a.due_date, today)
    elif due_date < today:
        raise DomainError("处室时限不能早于今天。", field="due_date")
    elif due_date > a.due_date:
        raise DomainError(f"处室时限不能晚于本单位的时限（{a.due_date:%Y年%-m月%-d日}）。", field="due_date")
    live = set(
        a.parts.filter(status__in=[*DivisionPart.OPEN, DivisionPart.Status.SUBMITTED]).values_list(
            "division_id", flat=True
        )
    )
    taken = [d.name for d in divisions if d.pk in live]
    if taken:
        raise DomainError(f"{'、'.join(taken)}已在办理本单位的这项任务。", field="divisions")
    parts = [
        DivisionPart.objects.create(assignment=a, item=a.item, division=d, note=note, due_date=due_date, assigned_by=by)
        for d in divisions
    ]
    _audit(
        by,
        "part.assign",
        a.item,
        unit=a.unit.name,
        to=[d.name for d in divisions],
        note=note,
        due_date=str(due_date),
        direct=not units_for_user(by).filter(pk=a.unit_id).exists(),
    )
    event_notify(
        event="part_assigned",
        obj=a.item,
        by=by,
        divisions=divisions,
        unit=a.unit.name,
        note_line=f"交办内容：{note}" if note else "",
        due=due_date,
    )
    return parts


@transaction.atomic
def division_part_withdraw(*, part: DivisionPart, reason: str, by) -> DivisionPart:
    """The unit's liaison takes a part back (given to the wrong division, no longer needed)."""
    p = _lock_part(part)
    if not may_manage_share(by, p.assignment):
        raise NotAllowed("只有本单位的联络员或联席会议办公室可以撤回处室任务。")
    reason = text_clean(reason, label="撤回理由", field="reason", max_length=REASON_MAX)
    transition_apply(p, "withdraw", label="该处室任务")
    p.save(update_fields=["status", "version"])
    _audit(by, "part.withdraw", p.item, reason=reason, unit=_label(p))
    event_notify(
        event="part_returned", obj=p.item, by=by, divisions=[p.division], reason=reason, unit=_label(p), what="撤回"
    )
    return p


@transaction.atomic
def division_part_save(*, part: DivisionPart, result: str, version, by) -> DivisionPart:
    _require_division(by, part)
    p = _lock_part(part)
    version_check(p, version, label="该处室任务")
    if p.status not in DivisionPart.WORKABLE:
        raise Conflict(f"该处室任务当前为“{p.get_status_display()}”，不能修改。", code="not_workable")
    p.result = text_clean(result, label="办理情况", field="result", max_length=RESULT_MAX, required=False)
    p.version += 1
    p.save(update_fields=["result", "version"])
    _audit(by, "part.save", p.item, unit=_label(p))
    return p


def part_attachment_add(*, part: DivisionPart, upload, by) -> PartAttachment:
    _require_division(by, part)
    name = upload_check(upload)
    with transaction.atomic():
        p = _lock_part(part)
        if p.status not in DivisionPart.WORKABLE:
            raise Conflict(f"该处室任务当前为“{p.get_status_display()}”，不能上传附件。", code="not_workable")
        att = PartAttachment(part=p, name=name, size=upload.size, uploaded_by=by)
        att.file.save(storage_name(name), upload, save=False)
        att.save()
        _audit(by, "part.attach", p.item, unit=_label(p), file=name, size=upload.size)
    return att


@transaction.atomic
def division_part_submit(*, part: DivisionPart, result: str, version, by) -> DivisionPart:
    """The division reports its part to the unit; with 成员审核 on (and a member in the division) it
    goes to the division's member first."""
    _require_division(by, part)
    p = _lock_part(part)
    if (
        p.status in (DivisionPart.Status.IN_REVIEW, DivisionPart.Status.SUBMITTED)
        and p.submitted_by_id == by.pk
        and p.result == (result or "").strip()
    ):
        p.repeated = True  # the user's own double click
        return p
    version_check(p, version, label="该处室任务")
    if p.status not in DivisionPart.WORKABLE:
        raise Conflict(f"该处室任务当前为“{p.get_status_display()}”，不能提交。", code="not_workable")
    p.result = text_clean(result, label="办理情况", field="result", max_length=RESULT_MAX)
    unit = p.assignment.unit
    reviewers = _reviewers(unit, p.division_id) if unit.head_review else []
    p.submitted_by, p.submitted_at = by, timezone.now()
    if reviewers:
        transition_apply(p, "ask_review", label="该处室任务")
        p.save(update_fields=["status", "result", "submitted_by", "submitted_at", "version"])
        HeadReview.objects.create(
            assignment=p.assignment,
            part=p,
            item=p.item,
            division=p.division,
            unit=unit,
            result=p.result,
            submitted_by=by,
        )
        _audit(by, "part.submit_for_review", p.item, unit=_label(p), reviewers=[str(u) for u in reviewers])
        event_notify(event="review_requested", obj=p.item, by=by, users=reviewers, unit=_label(p))
    else:
        transition_apply(p, "submit", label="该处室任务")
        p.save(update_fields=["status", "result", "submitted_by", "submitted_at", "version"])
        _audit(
            by, "part.submit", p.item, unit=_label(p), **({"review": "本处室未设审核成员"} if unit.head_review else {})
        )
        event_notify(event="part_submitted", obj=p.item, by=by, units=[unit], unit=_label(p))
    return p


@transaction.atomic
def division_part_return(*, part: DivisionPart, reason: str, by) -> DivisionPart:
    """The unit's liaison sends a division's reported part back for revision, with a reason."""
    p = _lock_part(part)
    if not may_manage_share(by, p.assignment):
        raise NotAllowed("只有本单位的联络员可以退回处室反馈。")
    reason = text_clean(reason, label="退回理由", field="reason", max_length=REASON_MAX)
    transition_apply(p, "return", label="该处室任务")
    p.save(update_fields=["status", "version"])
    _audit(by, "part.return", p.item, reason=reason, unit=_label(p))
    event_notify(
        event="part_returned", obj=p.item, by=by, divisions=[p.division], reason=reason, unit=_label(p), what="退回修改"
    )
    return p


# --- 成员审核 ---------------------------------------------------------------------------------------------


def review_needed(assignment: Assignment) -> bool:
    """Whether the unit's own feedback on this share goes to a member first: 成员审核 is on and the
    unit has a member who is not confined to another division."""
    return assignment.unit.head_review and bool(unit_reviewer_users(assignment.unit))


@transaction.atomic
def feedback_review_request(*, assignment: Assignment, result: str, version, by) -> HeadReview:
    """The unit's liaison submits the unit's feedback (or consolidated report) to the unit's member."""
    if not units_for_user(by).filter(pk=assignment.unit_id).exists():  # as tasks.services' own check
        raise NotAllowed("只有本单位的联络员或成员可以办理此任务。")
    a = Assignment.objects.select_for_update().select_related("item", "unit").get(pk=assignment.pk)
    version_check(a, version, label="该任务")
    if a.status not in Assignment.WORKABLE:
        raise Conflict(f"该任务当前为“{a.get_status_display()}”，不能提交审核。请先签收。", code="not_workable")
    if not review_needed(a):
        raise DomainError("本单位未开启成员审核，请直接提交。", code="no_review")
    if a.head_reviews.filter(part__isnull=True, status=HeadReview.Status.PENDING).exists():
        raise Conflict("已提交成员审核，请等待审核。", code="review_pending")
    _parts_in(a)
    a.result = text_clean(result, label="办理情况", field="result", max_length=RESULT_MAX)
    a.version += 1
    a.save(update_fields=["result", "version"])
    review = HeadReview.objects.create(assignment=a, item=a.item, unit=a.unit, result=a.result, submitted_by=by)
    reviewers = unit_reviewer_users(a.unit)
    _audit(by, "review.request", a.item, unit=a.unit.name, reviewers=[str(u) for u in reviewers])
    event_notify(event="review_requested", obj=a.item, by=by, users=reviewers, unit=a.unit.name)
    return review


def may_review(user, review: HeadReview) -> bool:
    if review.division_id is not None:
        return review.division_id in access_for(user).review_division_ids
    return user in unit_reviewer_users(review.unit)


@transaction.atomic
def feedback_review(*, review: HeadReview, approve: bool, reason: str = "", by) -> HeadReview:
    """The member approves (a part goes to the unit) or sends back with a reason (to the liaison).
    Approving the unit's own feedback is done by `share_consolidate` (it also moves the item's flow)."""
    r = (
        HeadReview.objects.select_for_update(of=("self",))
        .select_related("part", "unit", "item", "division")
        .get(pk=review.pk)
    )
    if not may_review(by, r):
        raise NotAllowed("只有负责审核的成员可以审核。")
    if r.status != HeadReview.Status.PENDING:
        raise Conflict("该报送已审核，请勿重复操作。", code="already_decided")
    if approve and r.part_id is None:
        raise DomainError("本单位反馈的审核通过请在事项页面办理。", code="use_consolidate")
    if not approve:
        reason = text_clean(reason, label="退回理由", field="reason", max_length=REASON_MAX)
    else:
        reason = text_clean(reason, label="审核意见", field="reason", max_length=REASON_MAX, required=False)
    transition_apply(r, "approve" if approve else "return", label="该审核")
    r.decided_by, r.decided_at, r.reason = by, timezone.now(), reason
    r.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    who = f"{r.unit.name}{r.division.name}" if r.division_id else r.unit.name
    if r.part_id:
        p = _lock_part(r.part)
        transition_apply(p, "approve" if approve else "return", label="该处室任务")
        p.save(update_fields=["status", "version"])
    _audit(by, "review.approve" if approve else "review.return", r.item, reason=reason, unit=who)
    event_notify(
        event="review_decided",
        obj=r.item,
        by=by,
        users=[r.submitted_by],
        reason=reason,
        unit=who,
        decision="审核通过" if approve else "退回修改",
    )
    if approve and r.part_id:
        event_notify(event="part_submitted", obj=r.item, by=by, units=[r.unit], unit=who)
    return r


# --- the unit's consolidation -------------------------------------------------------------------------


def _parts_in(a: Assignment) -> list[DivisionPart]:
    parts = list(
        a.parts.select_for_update()
        .filter(status__in=[*DivisionPart.OPEN, DivisionPart.Status.SUBMITTED])
        .select_related("division")
    )
    waiting = [p.division.name for p in parts if p.status != DivisionPart.Status.SUBMITTED]
    if waiting:
        raise DomainError(f"尚有处室未报送（{'、'.join(waiting)}），请在各处室报送后汇总。", code="parts_missing")
    return parts


def share_submit_gate(*, assignment: Assignment, result: str, by):
    """Run by `tasks.services.assignment_mark_submitted` before a unit's share is reported, in its
    transaction. Refuses while a division's part is still out, or when 成员审核 is on and this is not
    the reviewer approving the liaison's submission. Marks the parts consolidated and the review
    approved. Returns the account to record as the submitter (the liaison, when a member approves)."""
    parts = _parts_in(assignment)
    submitter = by
    if review_needed(assignment):
        review = (
            assignment.head_reviews.select_for_update()
            .filter(part__isnull=True, status=HeadReview.Status.PENDING)
            .select_related("submitted_by")
            .first()
        )
        if review is None or not may_review(by, review):
            if review is not None:
                raise Conflict("已提交成员审核，请等待审核。", code="review_pending")
            raise DomainError("本单位已开启成员审核：请先“提交成员审核”，审核通过后报出。", code="review_required")
        transition_apply(review, "approve", label="该审核")
        review.decided_by, review.decided_at = by, timezone.now()
        review.save(update_fields=["status", "decided_by", "decided_at"])
        _audit(by, "review.approve", assignment.item, unit=assignment.unit.name)
        event_notify(
            event="review_decided",
            obj=assignment.item,
            by=by,
            users=[review.submitted_by],
            unit=assignment.unit.name,
            decision="审核通过",
        )
        submitter = review.submitted_by
    for p in parts:
        transition_apply(p, "consolidate", label="处室任务")
        p.save(update_fields=["status", "version"])
    if parts:
        _audit(
            by, "part.consolidate", assignment.item, unit=assignment.unit.name, parts=[p.division.name for p in parts]
        )
    return submitter
