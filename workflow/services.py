"""The actions that move an item's flow. Each runs the domain service from `tasks.services` and the
viewflow node in one transaction, under the flow's `select_for_update` lock on the process row, so
two units submitting at the same moment cannot both miss (or both fire) the Join.

Services that do not move the flow (签收, saving a draft, attachments, comments, 延期申请 and its
decision, 退回 and its refusal) live in `tasks.services` and are called directly."""

from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from core.errors import Conflict
from tasks import services as task_services
from tasks.models import Assignment, Item, UnitRequest

from .flows import ItemFlow
from .models import ItemProcess


def process_for_item(item: Item) -> ItemProcess:
    return ItemProcess.objects.get(artifact_object_id=item.pk, flow_class=ItemFlow)


def item_dispatch(*, by, **fields) -> Item:
    """交办: create the item and its assignments, start the flow (one task per unit)."""
    with transaction.atomic():
        item = task_services.item_create(by=by, **fields)
        ItemFlow.start.run(item=item)
    return item


def _open_task(task_id) -> Task:
    task = Task.objects.filter(pk=task_id, status=STATUS.NEW).first()
    if task is None:
        raise Conflict("流程状态已变化，请刷新页面后重试。", code="stale_flow")
    return task


def assignment_submit(*, assignment: Assignment, result: str, version, by) -> Assignment:
    """反馈 / 报送: record the unit's result and complete its flow task (the Join may then fire)."""
    process = process_for_item(assignment.item)
    with ItemFlow.lock(process.pk):  # outermost: its retry loop cannot run inside a savepoint
        a = task_services.assignment_mark_submitted(assignment=assignment, result=result, version=version, by=by)
        if not getattr(a, "repeated", False):  # a repeat of the user's own submission moves nothing
            ItemFlow.unit_work.run(_open_task(a.flow_task_id))
    return a


def _review_task(process) -> Task:
    task = Task.objects.filter(process=process, flow_task=ItemFlow.review, status=STATUS.NEW).first()
    if task is None:
        raise Conflict("该督办事项当前不在审核环节，请刷新页面后重试。", code="stale_flow")
    return task


def item_accept(*, item: Item, version, by) -> Item:
    """办结."""
    process = process_for_item(item)
    with ItemFlow.lock(process.pk):  # outermost: its retry loop cannot run inside a savepoint
        item = task_services.item_accept(item=item, version=version, by=by)
        if not getattr(item, "repeated", False):  # a repeat of the user's own 办结 moves nothing
            ItemFlow.review.run(_review_task(process), accepted=True)
    return item


def item_return_for_revision(*, item: Item, reason: str, version, by) -> Assignment:
    """退回修改: the flow loops back and routes a new task to the 主牵头单位."""
    process = process_for_item(item)
    with ItemFlow.lock(process.pk):  # outermost: its retry loop cannot run inside a savepoint
        primary = task_services.item_return_for_revision(item=item, reason=reason, version=version, by=by)
        ItemFlow.review.run(_review_task(process), accepted=False)
    primary.refresh_from_db()
    return primary


def return_decide(*, request: UnitRequest, approve: bool, by, units=(), note: str = "") -> UnitRequest:
    """The convener's decision on a 退回. Refused: the unit works the task again. Approved: the task
    is re-routed to `units` (or, for a participant, simply released).

    The Join pitfall: cancelling the last open branch would leave the Join waiting forever. So the
    returned unit's task is never cancelled: replacement tasks are created first, in the same split
    (same token prefix, so the Join waits for them too), then the old task is *completed*, which
    makes the Join re-check and continue if nothing else is open."""
    if not approve:
        return task_services.return_refuse(request=request, note=note, by=by)
    process = process_for_item(request.assignment.item)
    with ItemFlow.lock(process.pk):  # outermost: its retry loop cannot run inside a savepoint
        new = task_services.return_reroute(request=request, units=list(units), note=note, by=by)
        old = Assignment.objects.get(pk=request.assignment_id)
        old_task = _open_task(old.flow_task_id)
        prev = ItemFlow.unit_work.activation_class(old_task)
        for a in new:
            activation = ItemFlow.unit_work._create(prev_activation=prev, token=Token(f"{old_task.token}r{a.pk}"),
                                                    data={"assignment": a.pk})
            Assignment.objects.filter(pk=a.pk).update(flow_task_id=activation.task.pk)
        ItemFlow.unit_work.run(old_task)
    request.refresh_from_db()
    return request
