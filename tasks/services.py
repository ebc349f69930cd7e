"""Every write to `tasks`, as keyword-only functions: the one service module pages and API call.

They own the domain rules (who, which status, which dates) and the audit entry, move statuses
through the models' TRANSITIONS (`workflow.transitions`) and, where the action is a step of the
item's flow (交办, 反馈/报送, 办结, 退回修改, a decided 退回), run that step through the kernel
(`workflow.steps`) in the same transaction, under the flow's lock on the process row so two units
submitting at the same moment cannot both miss (or both fire) the Join. Each one re-reads the rows
it changes with `select_for_update` and checks the version the caller's form was drawn from, so a
double submit or a stale form is refused and changes nothing."""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry
from core.parsing import text_clean
from core.services import audit_record
from core.uploads import storage_name, upload_check
from deadlines.calendar import add_working_days
from deadlines.events import event_notify
from members.models import MemberUnit
from members.selectors import mechanism_id_for, units_for_user
from workflow.steps import flow_lock, step_branch, step_run
from workflow.transitions import transition_apply, version_check

from .flows import ItemFlow
from .models import Assignment, Attachment, Comment, Item, ItemProcess, UnitRequest
from .signals import item_accepted

CONTRIBUTION_LEAD_DAYS = 2  # participants report back this many working days before the lead's date
TITLE_MAX, CONTENT_MAX, RESULT_MAX, REASON_MAX, COMMENT_MAX = 120, 5000, 5000, 1000, 2000


# --- helpers ------------------------------------------------------------------------------------------


def progress_of(item_id) -> list:
    """What `Item.progress` must hold: the item's live shares in display order."""
    return [
        list(row)
        for row in Assignment.objects.filter(item_id=item_id)
        .exclude(status=Assignment.Status.REROUTED)
        .order_by("role", "order", "pk")
        .values_list("unit_id", "role", "order", "status")
    ]


# The same summary for every item at once, on PostgreSQL (the migration, the bulk data generators).
PROGRESS_BACKFILL_SQL = """
UPDATE tasks_item AS i SET progress = coalesce((
    SELECT jsonb_agg(jsonb_build_array(a.unit_id, a.role, a."order", a.status) ORDER BY a.role, a."order", a.id)
    FROM tasks_assignment AS a WHERE a.item_id = i.id AND a.status <> 'rerouted'), '[]'::jsonb)
"""


def item_progress_refresh(*, item) -> None:
    """Rewrite `Item.progress` (an item or its id). Every service that changes an item's shares
    (creation, status, re-routing) calls it in its own transaction; so must any bulk or test writer."""
    item_id = getattr(item, "pk", item)
    progress = progress_of(item_id)
    Item.objects.filter(pk=item_id).update(progress=progress)
    if isinstance(item, Item):
        item.progress = progress


def _touch(obj):
    obj.version += 1


def _lock_assignment(assignment) -> Assignment:
    return Assignment.objects.select_for_update().select_related("item", "unit").get(pk=assignment.pk)


def _lock_item(item) -> Item:
    return Item.objects.select_for_update().get(pk=item.pk)


def may_handle(user, unit_id) -> bool:
    return units_for_user(user).filter(pk=unit_id).exists()


def _require_unit(user, assignment):
    if not may_handle(user, assignment.unit_id):
        raise NotAllowed("只有本单位的联络员或成员可以办理此任务。")


def _require_perm(user, perm: str, message: str):
    if not user.has_perm(perm):
        raise NotAllowed(message)


def contribution_due_default(due_date: date, today: date | None = None) -> date:
    """Participants report back two working days before the lead's date (never before today)."""
    today = today or timezone.localdate()
    return max(add_working_days(due_date, -CONTRIBUTION_LEAD_DAYS), min(today, due_date))


def _last_audit(item, action):
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Item), object_id=str(item.pk), action=action
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )


def _live_units(item) -> list:
    return [a.unit for a in item.assignments.exclude(status=Assignment.Status.REROUTED).select_related("unit")]


def _primary_lead_units(item) -> list:
    return [
        a.unit
        for a in item.assignments.filter(role=Assignment.Role.LEAD, order=0)
        .exclude(status=Assignment.Status.REROUTED)
        .select_related("unit")
    ]


def _audit(by, action, item, *, reason="", **changes):
    audit_record(actor=by, action=action, obj=item, reason=reason, changes=changes)


# --- items --------------------------------------------------------------------------------------------


def item_create(
    *,
    title: str,
    content: str,
    source: str,
    lead_units: list[MemberUnit] | None,
    participating_units: list[MemberUnit] | None,
    due_date: date,
    by,
    contribution_due_date: date | None = None,
    source_note: str = "",
    work_line=None,
) -> Item:
    """Create an item with one assignment per unit. The first lead unit is the 主牵头单位.

    Units left as None are taken from the work line (its lead and participating units), so an item
    created from a line of the plan carries the mechanism's division of labour unless changed.
    `item_dispatch` calls it and starts the flow in the same transaction."""
    _require_perm(by, "members.dispatch", "只有联席会议办公室可以交办督办事项。")
    if work_line is not None and lead_units is None:
        lead_units = work_line.lead_units
        if participating_units is None:
            participating_units = work_line.participating_units
    lead_units, participating_units = lead_units or [], participating_units or []
    title = text_clean(title, label="标题", field="title", max_length=TITLE_MAX)
    content = text_clean(content, label="事项内容", field="content", max_length=CONTENT_MAX)
    source_note = text_clean(source_note, label="来源说明", field="source_note", max_length=200, required=False)
    if source not in Item.Source.values:
        raise DomainError("请选择事项来源。", field="source")
    if source == Item.Source.WORK_LINE and work_line is None:
        raise DomainError("来源为“工作方案分工”时请选择对应的工作事项。", field="work_line")
    today = timezone.localdate()
    if due_date is None:
        raise DomainError("请填写办理时限。", field="due_date")
    if due_date < today:
        raise DomainError(f"办理时限不能早于今天（{today:%Y年%-m月%-d日}）。", field="due_date")
    if contribution_due_date is None:
        contribution_due_date = contribution_due_default(due_date, today)
    elif contribution_due_date < today:
        raise DomainError("配合单位反馈时限不能早于今天。", field="contribution_due_date")
    elif contribution_due_date > due_date:
        raise DomainError("配合单位反馈时限不能晚于办理时限。", field="contribution_due_date")
    lead_units = list(dict.fromkeys(lead_units))
    participating_units = [u for u in dict.fromkeys(participating_units)]
    if not lead_units:
        raise DomainError("请至少选择一个牵头单位。", field="lead_units")
    both = set(lead_units) & set(participating_units)
    if both:
        raise DomainError(
            f"{'、'.join(u.name for u in both)}不能同时是牵头单位和配合单位。", field="participating_units"
        )
    # The dispatcher's joint meeting: an item is given to the units of one mechanism only.
    mechanism_id = mechanism_id_for(by)
    current = set(MemberUnit.objects.current().filter(mechanism_id=mechanism_id).values_list("pk", flat=True))
    gone = [u.name for u in [*lead_units, *participating_units] if u.pk not in current]
    if gone:
        raise DomainError(f"{'、'.join(gone)}已不是成员单位。", field="lead_units")

    with transaction.atomic():
        item = Item(
            title=title,
            content=content,
            source=source,
            source_note=source_note,
            work_line=work_line,
            due_date=due_date,
            contribution_due_date=contribution_due_date,
            created_by=by,
            mechanism_id=mechanism_id,
        )
        item.full_clean()
        item.save()
        rows = [
            Assignment(item=item, unit=u, role=Assignment.Role.LEAD, order=i, due_date=due_date)
            for i, u in enumerate(lead_units)
        ]
        rows += [
            Assignment(item=item, unit=u, role=Assignment.Role.PARTICIPATING, order=i, due_date=contribution_due_date)
            for i, u in enumerate(participating_units)
        ]
        Assignment.objects.bulk_create(rows)
        item_progress_refresh(item=item)
        _audit(
            by,
            "item.dispatch",
            item,
            lead=[u.name for u in lead_units],
            participating=[u.name for u in participating_units],
            due_date=str(due_date),
            contribution_due_date=str(contribution_due_date),
        )
        event_notify(event="dispatched", obj=item, by=by, units=[*lead_units, *participating_units])
    return item


def _item_accept_write(*, item: Item, version, by) -> Item:
    """办结, the domain part (`item_accept` runs it inside the flow lock)."""
    _require_perm(by, "members.dispatch", "只有联席会议办公室可以办结督办事项。")
    item = _lock_item(item)
    if item.status == Item.Status.DONE:
        last = _last_audit(item, "item.accept")
        if last is not None and last.actor_id == by.pk:
            item.repeated = True  # the user's own double click: it succeeded once, nothing to write
            return item
        raise Conflict(f"该督办事项已由{last.actor if last else '他人'}办结。", code="already_done")
    transition_apply(item, "accept", version=version, label="该督办事项")
    item.accepted_at = timezone.now()
    item.save(update_fields=["status", "accepted_at", "version"])
    for a in item.assignments.select_for_update().filter(status=Assignment.Status.SUBMITTED):
        transition_apply(a, "accept", label="单位任务")
        a.save(update_fields=["status", "version"])
    item_progress_refresh(item=item)
    _audit(by, "item.accept", item)
    event_notify(event="done", obj=item, by=by, units=_live_units(item))
    item_accepted.send(sender=Item, item=item, by=by)
    return item


def _item_return_write(*, item: Item, reason: str, version, by) -> Assignment:
    """退回修改, the domain part: the consolidated result goes back to the 主牵头单位. Returns that assignment."""
    _require_perm(by, "members.dispatch", "只有联席会议办公室可以退回修改。")
    reason = text_clean(reason, label="退回修改的理由", field="reason", max_length=REASON_MAX)
    item = _lock_item(item)
    transition_apply(item, "return_for_revision", version=version, label="该督办事项")
    item.review_round += 1
    item.save(update_fields=["status", "review_round", "version"])
    primary = item.assignments.select_for_update().get(
        role=Assignment.Role.LEAD, order=0, status=Assignment.Status.SUBMITTED
    )
    transition_apply(primary, "return_for_revision", label="主牵头单位的任务")
    primary.save(update_fields=["status", "version"])
    item_progress_refresh(item=item)
    _audit(by, "item.return_for_revision", item, reason=reason, unit=primary.unit.name, round=item.review_round)
    event_notify(event="revision", obj=item, by=by, reason=reason, units=[primary.unit], key=str(item.review_round))
    return primary


def comment_add(*, item: Item, body: str, by) -> Comment:
    body = text_clean(body, label="意见内容", field="body", max_length=COMMENT_MAX)
    with transaction.atomic():
        comment = Comment.objects.create(item=item, author=by, body=body)
        _audit(by, "item.comment", item, comment=comment.pk)
    return comment


# --- a unit's task ------------------------------------------------------------------------------------


@transaction.atomic
def assignment_claim(*, assignment: Assignment, by) -> Assignment:
    """签收."""
    _require_unit(by, assignment)
    a = _lock_assignment(assignment)
    if a.status == Assignment.Status.CLAIMED:
        raise Conflict(f"该任务已由{a.claimed_by}签收。", code="already_claimed")
    transition_apply(a, "claim", label="该任务")
    a.claimed_by, a.claimed_at = by, timezone.now()
    a.save(update_fields=["status", "claimed_by", "claimed_at", "version"])
    item_progress_refresh(item=a.item_id)
    _audit(by, "assignment.claim", a.item, unit=a.unit.name)
    if a.due_date < timezone.localdate():
        event_notify(
            event="claimed_late", obj=a.item, by=by, unit=a.unit.name, when=timezone.localdate(), due=a.due_date
        )
    return a


@transaction.atomic
def assignment_save(*, assignment: Assignment, result: str, version, by) -> Assignment:
    """Save the unit's draft 办理情况 without submitting it."""
    _require_unit(by, assignment)
    a = _lock_assignment(assignment)
    version_check(a, version, label="该任务")
    if not a.is_workable:
        raise Conflict(f"该任务当前为“{a.get_status_display()}”，不能修改办理情况。", code="not_workable")
    a.result = text_clean(result, label="办理情况", field="result", max_length=RESULT_MAX, required=False)
    _touch(a)
    a.save(update_fields=["result", "version"])
    _audit(by, "assignment.save", a.item, unit=a.unit.name)
    return a


def _assignment_submit_write(*, assignment: Assignment, result: str, version, by) -> Assignment:
    """反馈 / 报送, the domain part (`assignment_submit` runs it inside the flow lock)."""
    _require_unit(by, assignment)
    a = _lock_assignment(assignment)
    if a.status == Assignment.Status.SUBMITTED:
        if a.submitted_by_id == by.pk and a.result == (result or "").strip():
            a.repeated = True  # the user's own double click: it succeeded once, nothing to write
            return a
        when = f"{timezone.localtime(a.submitted_at):%Y-%m-%d %H:%M}"
        if a.submitted_by_id == by.pk:
            raise Conflict(
                f"您已于{when}提交，请勿重复提交；本次填写的内容未提交（见本单位任务）。", code="already_submitted"
            )
        raise Conflict(
            f"本单位已由{a.submitted_by}于{when}提交，您填写的内容未提交（见本单位任务）。", code="already_submitted"
        )
    version_check(a, version, label="该任务")
    if not a.is_workable:
        raise Conflict(f"该任务当前为“{a.get_status_display()}”，不能提交。请先签收。", code="not_workable")
    a.result = text_clean(result, label="办理情况", field="result", max_length=RESULT_MAX)
    item = _lock_item(a.item)
    if a.is_primary_lead:
        waiting = (
            item.assignments.exclude(pk=a.pk)
            .exclude(status__in=[Assignment.Status.SUBMITTED, Assignment.Status.DONE, Assignment.Status.REROUTED])
            .select_related("unit")
        )
        if waiting:
            names = "、".join(w.unit.name for w in waiting)
            raise DomainError(
                f"尚有单位未反馈（{names}），主牵头单位需在各单位反馈后汇总报送。", code="contributions_missing"
            )
    # 二次交办 and 成员审核 (docs/divisions.md): every division's part in, the member's approval if required.
    from .divisions import share_submit_gate

    submitter = share_submit_gate(assignment=a, result=a.result, by=by)
    transition_apply(a, "submit", label="该任务")
    a.submitted_by, a.submitted_at = submitter, timezone.now()
    a.save(update_fields=["status", "result", "submitted_by", "submitted_at", "version"])
    if a.is_primary_lead:
        transition_apply(item, "consolidate", label="该督办事项")
        item.save(update_fields=["status", "version"])
    item_progress_refresh(item=item)
    _audit(by, "assignment.submit", item, unit=a.unit.name, role=a.role, consolidated=a.is_primary_lead)
    if a.is_primary_lead:
        event_notify(event="consolidated", obj=item, by=by, unit=a.unit.name)
    else:
        event_notify(event="feedback", obj=item, by=by, unit=a.unit.name, units=_primary_lead_units(item))
    return a


def _validate_upload(upload):
    return upload_check(upload)


def attachment_add(*, assignment: Assignment, upload, by) -> Attachment:
    """Attach a file to a unit's task (while the unit is working it)."""
    _require_unit(by, assignment)
    name = _validate_upload(upload)
    with transaction.atomic():
        a = _lock_assignment(assignment)
        if not a.is_workable:
            raise Conflict(f"该任务当前为“{a.get_status_display()}”，不能上传附件。请先签收。", code="not_workable")
        att = Attachment(item=a.item, assignment=a, name=name, size=upload.size, uploaded_by=by)
        att.file.save(storage_name(name), upload, save=False)
        att.save()
        _audit(by, "attachment.add", a.item, unit=a.unit.name, file=name, size=upload.size)
    return att


# --- 延期申请 and 退回 ------------------------------------------------------------------------------------


@transaction.atomic
def extension_request(*, assignment: Assignment, reason: str, new_due_date: date | None, by) -> UnitRequest:
    _require_unit(by, assignment)
    reason = text_clean(reason, label="延期理由", field="reason", max_length=REASON_MAX)
    a = _lock_assignment(assignment)
    if not a.may_request:
        raise Conflict(f"该任务当前为“{a.get_status_display()}”，不能申请延期。", code="not_open")
    if a.requests.filter(status=UnitRequest.Status.PENDING).exists():
        raise Conflict("该任务已有待决定的申请，请等待召集人决定。", code="request_pending")
    if new_due_date is None:
        raise DomainError("请填写申请延至的日期。", field="new_due_date")
    if new_due_date <= a.due_date:
        raise DomainError(f"申请的日期须晚于现时限（{a.due_date:%Y年%-m月%-d日}）。", field="new_due_date")
    if new_due_date < timezone.localdate():
        raise DomainError("申请的日期不能早于今天。", field="new_due_date")
    if a.role == Assignment.Role.PARTICIPATING and new_due_date > a.item.due_date:
        raise DomainError(
            f"配合单位的反馈时限不能晚于牵头单位的办理时限（{a.item.due_date:%Y年%-m月%-d日}）。", field="new_due_date"
        )
    req = UnitRequest.objects.create(
        assignment=a,
        kind=UnitRequest.Kind.EXTENSION,
        reason=reason,
        requested_due_date=new_due_date,
        previous_due_date=a.due_date,
        requested_by=by,
    )
    _audit(by, "request.extension", a.item, reason=reason, unit=a.unit.name, new_due_date=str(new_due_date))
    event_notify(event="ext_requested", obj=a.item, by=by, reason=reason, unit=a.unit.name, date=new_due_date)
    return req


def _decision_note(note, approve: bool) -> str:
    """A refusal says why (the unit is told); an approval may carry a note."""
    if not approve and not (note or "").strip():
        raise DomainError("请填写不同意的理由。", code="required", field="note")
    return text_clean(note, label="决定意见", field="note", max_length=500, required=False)


@transaction.atomic
def extension_decide(
    *, request: UnitRequest, approve: bool, note: str, by, granted_due_date: date | None = None
) -> UnitRequest:
    """The convener or deputy approves (the due date moves) or refuses (with a reason) an extension.
    An approval may grant another date than the one asked (`granted_due_date`, a partial extension)."""
    _require_perm(by, "members.decide", "只有召集人或副召集人可以决定延期申请。")
    req = UnitRequest.objects.select_for_update().select_related("assignment").get(pk=request.pk)
    if req.kind != UnitRequest.Kind.EXTENSION:
        raise DomainError("这不是延期申请。")
    if req.status != UnitRequest.Status.PENDING:
        raise Conflict("该申请已决定，请勿重复操作。", code="already_decided")
    note = _decision_note(note, approve)
    a = _lock_assignment(req.assignment)
    granted = (granted_due_date or req.requested_due_date) if approve else None
    if granted is not None and granted != req.requested_due_date:
        if granted <= a.due_date:
            raise DomainError(f"同意延至的日期须晚于现时限（{a.due_date:%Y年%-m月%-d日}）。", field="granted_due_date")
        if granted < timezone.localdate():
            raise DomainError("同意延至的日期不能早于今天。", field="granted_due_date")
        if a.role == Assignment.Role.PARTICIPATING and granted > a.item.due_date:
            raise DomainError(
                f"配合单位的反馈时限不能晚于牵头单位的办理时限（{a.item.due_date:%Y年%-m月%-d日}）。",
                field="granted_due_date",
            )
    transition_apply(req, "approve" if approve else "refuse", label="该申请")
    req.decided_by, req.decided_at, req.decision_note = by, timezone.now(), note
    req.granted_due_date = granted
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "granted_due_date"])
    if approve:
        a.due_date = granted
        _touch(a)
        a.save(update_fields=["due_date", "version"])
        if a.is_primary_lead:
            # The item's date is the primary lead's date; co-leads move with it.
            item = _lock_item(a.item)
            item.due_date = granted
            _touch(item)
            item.save(update_fields=["due_date", "version"])
            item.assignments.filter(role=Assignment.Role.LEAD, due_date__lt=item.due_date).exclude(
                status__in=[Assignment.Status.REROUTED, Assignment.Status.DONE]
            ).update(due_date=item.due_date)
    _audit(
        by,
        "request.extension." + ("approve" if approve else "refuse"),
        a.item,
        reason=note,
        unit=a.unit.name,
        requested_due_date=str(req.requested_due_date),
        previous_due_date=str(req.previous_due_date),
        granted_due_date=str(granted) if granted else None,
    )
    partial = approve and granted != req.requested_due_date
    event_notify(
        event="ext_decided",
        obj=a.item,
        by=by,
        reason=note,
        units=[a.unit],
        decision=("部分同意" if partial else "同意") if approve else "不同意",
        detail=(
            f"申请延至 {req.requested_due_date:%Y年%-m月%-d日}，同意延至 {granted:%Y年%-m月%-d日}。"
            if partial
            else f"办理时限为 {a.due_date:%Y年%-m月%-d日}。"
        ),
    )
    return req


@transaction.atomic
def return_request(*, assignment: Assignment, reason: str, by) -> UnitRequest:
    """退回: the unit says the task is not its duty. It waits for the convener's decision."""
    _require_unit(by, assignment)
    reason = text_clean(reason, label="退回理由", field="reason", max_length=REASON_MAX)
    a = _lock_assignment(assignment)
    if a.requests.filter(status=UnitRequest.Status.PENDING).exists():
        raise Conflict("该任务已有待决定的申请，请等待召集人决定。", code="request_pending")
    transition_apply(a, "request_return", label="该任务")
    a.save(update_fields=["status", "version"])
    req = UnitRequest.objects.create(
        assignment=a, kind=UnitRequest.Kind.RETURN, reason=reason, previous_due_date=a.due_date, requested_by=by
    )
    item_progress_refresh(item=a.item_id)
    _audit(by, "request.return", a.item, reason=reason, unit=a.unit.name)
    event_notify(event="return_requested", obj=a.item, by=by, reason=reason, unit=a.unit.name)
    return req


def _return_refuse(*, request: UnitRequest, note: str, by) -> UnitRequest:
    """The convener keeps the task with the unit: it goes back to work."""
    _require_perm(by, "members.decide", "只有召集人或副召集人可以决定退回申请。")
    with transaction.atomic():
        req = _lock_pending(request, UnitRequest.Kind.RETURN)
        note = _decision_note(note, approve=False)
        a = _lock_assignment(req.assignment)
        transition_apply(a, "keep", label="该任务")
        if a.claimed_by_id is None:
            a.claimed_by, a.claimed_at = req.requested_by, timezone.now()
        a.save(update_fields=["status", "claimed_by", "claimed_at", "version"])
        transition_apply(req, "refuse", label="该申请")
        req.decided_by, req.decided_at, req.decision_note = by, timezone.now(), note
        req.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        item_progress_refresh(item=a.item_id)
        _audit(by, "request.return.refuse", a.item, reason=note, unit=a.unit.name)
        event_notify(
            event="return_decided",
            obj=a.item,
            by=by,
            reason=note,
            units=[a.unit],
            decision="不同意",
            detail="该任务仍由贵单位办理。",
        )
    return req


def _lock_pending(request, kind) -> UnitRequest:
    req = UnitRequest.objects.select_for_update().get(pk=request.pk)
    if req.kind != kind:
        raise DomainError("申请类别不符。")
    if req.status != UnitRequest.Status.PENDING:
        raise Conflict("该申请已决定，请勿重复操作。", code="already_decided")
    return req


def _return_reroute_write(*, request: UnitRequest, units: list[MemberUnit], note: str, by) -> list[Assignment]:
    """The convener agrees the task is not the unit's and gives it to `units` (same role, same date).
    A participating unit may be released with no replacement; a lead may not. The domain part
    (`return_decide` runs it inside the flow lock and routes the flow tasks)."""
    _require_perm(by, "members.decide", "只有召集人或副召集人可以决定退回申请。")
    note = text_clean(note, label="决定意见", field="note", max_length=500, required=False)
    req = _lock_pending(request, UnitRequest.Kind.RETURN)
    old = _lock_assignment(req.assignment)
    item = _lock_item(old.item)
    units = list(dict.fromkeys(units))
    if old.role == Assignment.Role.LEAD and not units:
        raise DomainError("牵头单位退回时须改派给其他单位。", field="units")
    live = set(item.assignments.exclude(status=Assignment.Status.REROUTED).values_list("unit_id", flat=True))
    taken = [u.name for u in units if u.pk in live]
    if taken:
        raise DomainError(f"{'、'.join(taken)}已在办理该事项。", field="units")
    current = set(MemberUnit.objects.current().filter(mechanism_id=old.unit.mechanism_id).values_list("pk", flat=True))
    if any(u.pk not in current for u in units):
        raise DomainError("改派的单位已不是成员单位。", field="units")
    transition_apply(old, "reroute", label="该任务")
    old.save(update_fields=["status", "version"])
    new = []
    for i, unit in enumerate(units):
        # The first replacement takes the returned unit's place (and so its order among leads).
        order = old.order if i == 0 else item.assignments.filter(role=old.role).count() + i
        a = Assignment(item=item, unit=unit, role=old.role, order=order, due_date=old.due_date, rerouted_from=old)
        a.save()
        new.append(a)
    transition_apply(req, "approve", label="该申请")
    req.decided_by, req.decided_at, req.decision_note = by, timezone.now(), note
    req.rerouted_to = [u.name for u in units]
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "rerouted_to"])
    _touch(item)
    item.save(update_fields=["version"])
    item_progress_refresh(item=item)
    _audit(by, "request.return.reroute", item, reason=note, unit=old.unit.name, to=[u.name for u in units])
    event_notify(
        event="return_decided",
        obj=item,
        by=by,
        reason=note,
        units=[old.unit],
        decision="同意",
        detail=f"该任务已改由{'、'.join(u.name for u in units)}办理。" if units else "贵单位不再参与办理。",
    )
    event_notify(event="rerouted", obj=item, by=by, units=units, unit=old.unit.name)
    return new


# --- steps of the item's flow -------------------------------------------------------------------------
# Each runs its domain write and the flow step under the flow's lock, taken outermost (its retry loop
# cannot run inside a savepoint). A repeat of the user's own action (a double click) moves nothing.


def process_for_item(item: Item) -> ItemProcess:
    return ItemProcess.objects.get(artifact_object_id=item.pk, flow_class=ItemFlow)


def _link_open_tasks(process) -> None:
    """Record on each assignment the id of its open flow task (each unit task carries its assignment
    in its data); pages and `assignment_submit` find the unit's task by it."""
    for task_id, data in process.task_set.filter(flow_task=ItemFlow.unit_work, status="NEW").values_list("pk", "data"):
        Assignment.objects.filter(pk=data["assignment"]).exclude(flow_task_id=task_id).update(flow_task_id=task_id)


def item_dispatch(*, by, **fields) -> Item:
    """交办: create the item and its assignments, start the flow (one task per unit)."""
    with transaction.atomic():
        item = item_create(by=by, **fields)
        ItemFlow.start.run(item=item)
        _link_open_tasks(process_for_item(item))
    return item


def assignment_submit(*, assignment: Assignment, result: str, version, by) -> Assignment:
    """反馈 (a participant's contribution, a co-lead's part) or 报送 (the primary lead's consolidated
    result, which needs every other live unit to have reported back first); completes the unit's
    flow task (the Join may then fire)."""
    process = process_for_item(assignment.item)
    with flow_lock(ItemFlow, process):
        a = _assignment_submit_write(assignment=assignment, result=result, version=version, by=by)
        if not getattr(a, "repeated", False):
            step_run(ItemFlow.unit_work, process=process, task_id=a.flow_task_id)
    return a


REVIEW_GONE = "该督办事项当前不在审核环节，请刷新页面后重试。"


def item_accept(*, item: Item, version, by) -> Item:
    """办结."""
    process = process_for_item(item)
    with flow_lock(ItemFlow, process):
        item = _item_accept_write(item=item, version=version, by=by)
        if not getattr(item, "repeated", False):
            step_run(ItemFlow.review, process=process, message=REVIEW_GONE, accepted=True)
    return item


def item_return_for_revision(*, item: Item, reason: str, version, by) -> Assignment:
    """退回修改: the flow loops back and routes a new task to the 主牵头单位."""
    process = process_for_item(item)
    with flow_lock(ItemFlow, process):
        primary = _item_return_write(item=item, reason=reason, version=version, by=by)
        step_run(ItemFlow.review, process=process, message=REVIEW_GONE, accepted=False)
        _link_open_tasks(process)
    primary.refresh_from_db()
    return primary


def return_decide(*, request: UnitRequest, approve: bool, by, units=(), note: str = "") -> UnitRequest:
    """The convener's decision on a 退回. Refused: the unit works the task again. Approved: the task
    is re-routed to `units` (or, for a participant, simply released).

    The Join pitfall: cancelling the last open branch would leave the Join waiting forever. So the
    returned unit's task is never cancelled: replacement tasks are opened first, in the same split
    (`step_branch`: the Join waits for them too), then the old task is *completed*, which makes the
    Join re-check and continue if nothing else is open."""
    if not approve:
        return _return_refuse(request=request, note=note, by=by)
    process = process_for_item(request.assignment.item)
    with flow_lock(ItemFlow, process):
        new = _return_reroute_write(request=request, units=list(units), note=note, by=by)
        old = Assignment.objects.get(pk=request.assignment_id)
        step_branch(
            ItemFlow.unit_work, process=process, from_task_id=old.flow_task_id, data=[{"assignment": a.pk} for a in new]
        )
        _link_open_tasks(process)
        step_run(ItemFlow.unit_work, process=process, task_id=old.flow_task_id)
    request.refresh_from_db()
    return request
