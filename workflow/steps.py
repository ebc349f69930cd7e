"""The one way a service moves a viewflow flow.

Every flow of the product is driven from its services: the nodes people act on are `flow.Handle`
nodes (human steps done on the product's own pages and API, not viewflow's stock frontend), and a
service that has validated and written its domain rows calls `step_run` in the same transaction to
complete the open task of that node. Flow nodes hold no rules and write no domain rows.

- `process_for(flow_class, obj)`: the process whose `artifact` is `obj` (or a process found by a
  field of its own, `process_for(flow_class, obligation=o)`).
- `flow_lock(flow_class, process)`: the flow's own lock (select_for_update on the process row); a
  service that must serialise with other writers of the same process (the item's Join) takes it
  outermost, around its domain write and `step_run`.
- `step_run(node, process=..., task_id=None, **data)`: complete the open task of `node`
  (`Conflict`, code ``stale_flow``, when there is none: someone else moved the flow first).
- `step_open(flow_class, process)`: the node the process waits on, for pages.
- `step_branch(node, from_task_id=..., data=[...])`: more parallel tasks of `node` beside an open
  one, in the same split (the Join waits for them too), through the activation's public `create`."""

from django.contrib.contenttypes.models import ContentType
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from core.errors import Conflict

STALE_FLOW = "stale_flow"
STALE_FLOW_MESSAGE = "流程状态已变化，请刷新页面后重试。"


def process_for(flow_class, obj=None, **lookup):
    """The process of `flow_class` whose artifact is `obj`, or the one matching `lookup`."""
    if obj is not None:
        lookup = {
            "artifact_content_type": ContentType.objects.get_for_model(obj, for_concrete_model=False),
            "artifact_object_id": obj.pk,
        }
    return flow_class.process_class.objects.get(flow_class=flow_class, **lookup)


def flow_lock(flow_class, process):
    """Context manager: the flow's lock on `process` (take it outermost: its retry loop cannot run
    inside a savepoint)."""
    return flow_class.lock(process.pk)


def _open_task(node, process, task_id=None, message: str = STALE_FLOW_MESSAGE) -> Task:
    tasks = Task.objects.filter(process=process, flow_task=node, status=STATUS.NEW)
    if task_id is not None:
        tasks = tasks.filter(pk=task_id)
    task = tasks.order_by("pk").first()
    if task is None:
        raise Conflict(message, code=STALE_FLOW)
    return task


def step_run(node, *, process, task_id=None, message: str = STALE_FLOW_MESSAGE, **data) -> None:
    """Complete the open task of the Handle `node` in `process` (the one with `task_id`, if given),
    passing `data` to the node's handler, under the flow's lock."""
    flow_class = node.flow_class
    with flow_class.lock(process.pk):
        node.run(_open_task(node, process, task_id, message), **data)


def step_is_open(node, *, process, task_id=None) -> bool:
    tasks = Task.objects.filter(process=process, flow_task=node, status=STATUS.NEW)
    return (tasks.filter(pk=task_id) if task_id is not None else tasks).exists()


def step_open(flow_class, obj=None, *, process=None):
    """The node the process (of artifact `obj`) waits on, or None (pages show where the work is)."""
    if process is None:
        if obj is None:
            return None
        ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        filters = {
            "process__artifact_content_type": ct,
            "process__artifact_object_id": obj.pk,
            "process__flow_class": flow_class,
        }
    else:
        filters = {"process": process}
    task = Task.objects.filter(status=STATUS.NEW, **filters).order_by("-pk").first()
    return task.flow_task if task else None


def task_create(node, prev_activation, token, data=None):
    """Open a task of `node` after `prev_activation` (for split nodes and `step_branch`), through the
    activation's public `create`. Boundary events are not armed: refuse a node that has any."""
    if node._boundary_events:
        raise NotImplementedError(f"{node.name} has boundary events; they would not be armed")
    return node.activation_class.create(node, prev_activation, token, data=data)


def step_branch(node, *, process, from_task_id, data: list[dict]) -> list[int]:
    """Open one more task of `node` per entry of `data`, parallel to the open task `from_task_id`
    and in its split (their tokens share its prefix, so a Join after `node` waits for them too).
    Returns the new tasks' ids, in the order of `data`."""
    old = _open_task(node, process, from_task_id)
    prev = node.activation_class(old)
    ids = []
    for n, entry in enumerate(data):
        ids.append(task_create(node, prev, Token(f"{old.token}r{old.pk}n{n}"), entry).task.pk)
    return ids
