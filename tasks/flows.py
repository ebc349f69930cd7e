"""The flow of a supervised item (viewflow 2.4, open-source edition).

    start (交办) ─► route: one 办理 task per unit ─► unit_work ×N ─► join ─► review (办公室审核)
                     │ (no unit left: straight to review)                     │
                     ◄──────────────── 退回修改 (to the 主牵头单位 only) ◄────────── decide ─► end (办结)

Nodes hold no business rules and write no domain rows: the services in `tasks.services` validate,
write the domain rows and then run the Handle nodes through the kernel (`workflow.steps`), all under
`select_for_update_lock`. Each unit's task carries `{"assignment": id}` as its data; the services
record the open task's id on the assignment (`Assignment.flow_task_id`)."""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock

from workflow.nodes import DataSplit

from .models import Assignment, ItemProcess


class ItemFlow(flow.Flow):
    process_class = ItemProcess
    # Several units finish their tasks concurrently into one Join: lock the process row.
    lock_impl = select_for_update_lock
    process_title = "督办事项"
    process_description = "交办、各单位办理、牵头单位汇总、办公室审核办结"

    start = flow.StartHandle(this.start_item).Annotation(title="交办").Next(this.route)

    route = DataSplit(this.units_to_route).Annotation(title="分送各单位").Next(this.unit_work).OnEmpty(this.review)

    unit_work = flow.Handle(this.unit_done).Annotation(title="单位办理").Next(this.join)

    join = flow.Join().Annotation(title="汇总").Next(this.review)

    review = flow.Handle(this.reviewed).Annotation(title="办公室审核").Next(this.decide)

    decide = (
        flow.If(lambda act: act.process.data.get("accepted", False))
        .Annotation(title="审核结果")
        .Then(this.end)
        .Else(this.route)
    )

    end = flow.End().Annotation(title="办结")

    def start_item(self, activation, item):
        activation.process.artifact = item
        activation.process.data = {"item": item.pk}
        return activation.process

    def units_to_route(self, activation):
        """Units that have work to do now: all of them at dispatch, the 主牵头单位 after 退回修改."""
        item_id = activation.process.artifact_object_id
        ids = (
            Assignment.objects.filter(item_id=item_id, status__in=[Assignment.Status.TODO, Assignment.Status.REVISION])
            .order_by("role", "order", "pk")
            .values_list("pk", flat=True)
        )
        return [{"assignment": pk} for pk in ids]

    def unit_done(self, activation):
        """The unit's submission was recorded by `tasks.services`; the task just completes."""

    def reviewed(self, activation, accepted: bool):
        activation.process.data["accepted"] = accepted
        activation.process.save(update_fields=["data"])
