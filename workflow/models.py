"""How: the viewflow process of a supervised item. A proxy of viewflow's Process whose `artifact` is
the `tasks.Item`; the flow's tasks are viewflow's own Task rows (docs/items.md)."""

from viewflow.workflow.models import Process

from tasks.models import Item


class ItemProcess(Process):
    class Meta:
        proxy = True
        verbose_name = "督办流程"
        verbose_name_plural = "督办流程"

    @property
    def item(self) -> Item:
        return Item.objects.get(pk=self.artifact_object_id)
