"""The assessment flow (viewflow 2.4): self-assessment → prefecture review → office confirmation.

    start ─► self_assess ─► review ─► reviewed? ─yes─► confirm ─► confirmed? ─yes─► end
                 ▲                      │no                        │no
                 └──────────────────────┘          review ◄────────┘

Every node is a Handle run from `communities.services` (the product's own pages, not viewflow's
stock frontend): the services check who may act and change the assessment; the flow only records
where the work is and routes returns. The gates read the assessment's status, which the service has
just set, so the flow holds no rule of its own."""

from viewflow import this
from viewflow.workflow import flow, lock

from .models import Assessment, AssessmentProcess


class AssessmentFlow(flow.Flow):
    process_class = AssessmentProcess
    process_title = "绿色社区创建评估"
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.self_assess)
    self_assess = flow.Handle().Next(this.review)
    review = flow.Handle().Next(this.after_review)
    after_review = flow.If(this.review_approved).Then(this.confirm).Else(this.self_assess)
    confirm = flow.Handle().Next(this.after_confirm)
    after_confirm = flow.If(this.office_confirmed).Then(this.end).Else(this.review)
    end = flow.End()

    def start_process(self, activation, assessment):
        activation.process.assessment = assessment
        return activation.process

    def review_approved(self, activation):
        return activation.process.assessment.status == Assessment.Status.REVIEWED

    def office_confirmed(self, activation):
        return activation.process.assessment.status == Assessment.Status.CONFIRMED
