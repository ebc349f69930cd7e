"""The flow of a supervised item (viewflow 2.4, open-source edition).

    start (交办) ─► route: one 办理 task per unit ─► unit_work ×N ─► join ─► review (办公室审核)
                     │ (no unit left: straight to review)                     │
                     ◄──────────────── 退回修改 (to the 主牵头单位 only) ◄────────── decide ─► end (办结)

Nodes hold no business rules: the services in `workflow.services` validate, write the domain rows
(`tasks.services`) and then run the Handle nodes, all under `select_for_update_lock`."""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.lock import select_for_update_lock
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.token import Token

from tasks.models import Assignment

from .models import ItemProcess


class UnitSplitActivation(SplitActivation):
    """One task of the `Next` node per item of the data source, each with its own `data`.

    The open-source Split creates one task per branch; the per-item `data_source` is not in it. An
    empty source takes the `OnEmpty` node instead (the stock activation raises on zero tasks)."""

    @Activation.status.super()
    def activate(self):
        node = self.flow_task
        items = list(node._data_source(self)) if node._data_source else []
        self.next_tasks = [(node._each, data) for data in items]
        if not self.next_tasks:
            if node._empty is None:
                raise FlowRuntimeError(f"No unit to route to in {node.name}")
            self.next_tasks = [(node._empty, None)]

    @Activation.status.super()
    def create_next(self):
        token_source = Token.split_token_source(self.task.token, self.task.pk)
        for next_node, data in self.next_tasks:
            if next_node is self.flow_task._empty:
                # A single path: no parallel token, so nothing waits for siblings that do not exist.
                yield next_node._create(prev_activation=self, token=self.task.token, data=data)
                continue
            activation = next_node._create(prev_activation=self, token=next(token_source), data=data)
            Assignment.objects.filter(pk=data["assignment"]).update(flow_task_id=activation.task.pk)
            yield activation


class UnitSplit(flow.Split):
    """`UnitSplit(data_source).Next(node).OnEmpty(other)`: a per-unit parallel split."""

    activation_class = UnitSplitActivation

    def __init__(self, data_source, **kwargs):
        super().__init__(**kwargs)
        self._data_source = data_source
        self._each = None
        self._empty = None

    def Next(self, node, case=None):
        self._each = node
        return super().Next(node, case)

    def OnEmpty(self, node):
        self._empty = node
        return super().Next(node)

    def _resolve(self, instance):
        super()._resolve(instance)
        self._data_source = this.resolve(instance, self._data_source)
        self._each = this.resolve(instance, self._each)
        self._empty = this.resolve(instance, self._empty)


class ItemFlow(flow.Flow):
    process_class = ItemProcess
    # Several units finish their tasks concurrently into one Join: lock the process row.
    lock_impl = select_for_update_lock
    process_title = "督办事项"
    process_description = "交办、各单位办理、牵头单位汇总、办公室审核办结"

    start = flow.StartHandle(this.start_item).Annotation(title="交办").Next(this.route)

    route = (UnitSplit(this.units_to_route).Annotation(title="分送各单位")
             .Next(this.unit_work).OnEmpty(this.review))

    unit_work = flow.Handle(this.unit_done).Annotation(title="单位办理").Next(this.join)

    join = flow.Join().Annotation(title="汇总").Next(this.review)

    review = flow.Handle(this.reviewed).Annotation(title="办公室审核").Next(this.decide)

    decide = (flow.If(lambda act: act.process.data.get("accepted", False)).Annotation(title="审核结果")
              .Then(this.end).Else(this.route))

    end = flow.End().Annotation(title="办结")

    def start_item(self, activation, item):
        activation.process.artifact = item
        activation.process.data = {"item": item.pk}
        return activation.process

    def units_to_route(self, activation):
        """Units that have work to do now: all of them at dispatch, the 主牵头单位 after 退回修改."""
        item_id = activation.process.artifact_object_id
        ids = (Assignment.objects.filter(item_id=item_id, status__in=[Assignment.Status.TODO,
                                                                      Assignment.Status.REVISION])
               .order_by("role", "order", "pk").values_list("pk", flat=True))
        return [{"assignment": pk} for pk in ids]

    def unit_done(self, activation):
        """The unit's submission was recorded by `tasks.services`; the task just completes."""

    def reviewed(self, activation, accepted: bool):
        activation.process.data["accepted"] = accepted
        activation.process.save(update_fields=["data"])
