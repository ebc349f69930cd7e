"""The submission flow of an obligation, as a viewflow flow:

    submit (liaison / prefecture user) → receive (office) → accepted? → end
                                               ↘ returned → revise (the obligor resubmits) → receive …

The flow records who did what and when, and its open task tells where each obligation stands
(viewflow's queue and process pages can show it). It holds no business rule: the services in
deadlines/services/obligations.py validate, check permissions, change the obligation's status through their
transition table and audit, and drive the flow from code through the kernel (`workflow.steps`), so
the product's own pages and API stay the way in. Locking: select_for_update on the process row (viewflow.W001)."""

from viewflow import this
from viewflow.workflow import act, flow, lock

from .models import SubmissionProcess


class SubmissionFlow(flow.Flow):
    process_class = SubmissionProcess
    lock_impl = lock.select_for_update_lock
    process_title = "报送"
    process_description = "报送单位报送，联席会议办公室接收或退回修改。"

    start = flow.StartHandle(this.start_process).Next(this.receive)
    receive = flow.Handle(this.record_decision).Next(this.check_decision)
    check_decision = flow.If(act.process.accepted).Then(this.end).Else(this.revise)
    revise = flow.Handle(this.record_resubmission).Next(this.receive)
    end = flow.End()

    def start_process(self, activation, *, obligation, by):
        activation.process.obligation = obligation
        activation.process.data = {"submissions": 1}
        activation.task.owner = by
        return activation.process

    def record_decision(self, activation, *, accepted: bool, by):
        activation.process.accepted = accepted
        activation.process.save(update_fields=["accepted"])
        activation.task.owner = by
        return activation.process

    def record_resubmission(self, activation, *, by):
        activation.process.data["submissions"] = activation.process.data.get("submissions", 1) + 1
        activation.process.save(update_fields=["data"])
        activation.task.owner = by
        return activation.process
