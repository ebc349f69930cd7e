"""Flow nodes the open-source viewflow lacks, for any flow of the product.

`DataSplit(data_source).Next(node).OnEmpty(other)`: a parallel split that opens one task of `node`
per entry of `data_source(activation)` (each with that entry as its `task.data`, so a service finds
"the task of this unit" by it), or takes `other` when there is none (the stock activation raises on
zero tasks). It writes no domain rows. Tasks are created through the activation's public `create`
classmethod (`workflow.steps.task_create`), not the node's private `_create`."""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.token import Token

from .steps import task_create


class DataSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        node = self.flow_task
        entries = list(node._data_source(self)) if node._data_source else []
        self.next_tasks = [(node._each, data) for data in entries]
        if not self.next_tasks:
            if node._empty is None:
                raise FlowRuntimeError(f"Nothing to route to in {node.name}")
            self.next_tasks = [(node._empty, None)]

    @Activation.status.super()
    def create_next(self):
        token_source = Token.split_token_source(self.task.token, self.task.pk)
        for next_node, data in self.next_tasks:
            if next_node is self.flow_task._empty:
                # A single path: no parallel token, so nothing waits for siblings that do not exist.
                yield task_create(next_node, self, self.task.token, data)
                continue
            yield task_create(next_node, self, next(token_source), data)


class DataSplit(flow.Split):
    """A per-entry parallel split (see the module's docstring)."""

    activation_class = DataSplitActivation

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
