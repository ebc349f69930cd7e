"""The flows of the joint meeting's own processes (viewflow 2.4, open-source edition).

Meeting:
    propose ─► approval (召集人/副召集人) ─► approved? ─► schedule (办公室, 通知) ─► attendance ─►
        draft (办公室起草/修改纪要) ─► consultation (出席单位会签) ─► all agreed? ─► issue (印发, 交办) ─► end
                  ▲                                                 │ no
                  └─────────────────────────────────────────────────┘
    declined ─► end

Membership change:  propose ─► check (办公室) ─► passed? ─► confirm (召集人) ─► end
Major matter:       draft ─► approval (召集人) ─► approved? ─► send (报送) ─► reply ─► close ─► end
                      ▲────────────────────────── no ┘

Nodes are Handles run by `meetings.services` inside the service's transaction, under
`select_for_update_lock`; they hold no business rules, only the branch the service decided, which
they read from `process.data`."""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock

from .models import EscalationProcess, MeetingProcess, MembershipChangeProcess


def _start(activation, obj, **data):
    activation.process.artifact = obj
    activation.process.data = data
    return activation.process


def _record(activation, **data):
    """Store the branch the service decided, for the If node that follows."""
    activation.process.data = {**(activation.process.data or {}), **data}
    activation.process.save(update_fields=["data"])


class MeetingFlow(flow.Flow):
    process_class = MeetingProcess
    lock_impl = select_for_update_lock
    process_title = "联席会议"
    process_description = "提议、审批、通知、出席、纪要起草与会签、印发与交办"

    start = flow.StartHandle(this.started).Annotation(title="提议召开").Next(this.approval)
    approval = flow.Handle(this.recorded).Annotation(title="召集人审批").Next(this.approved)
    approved = (
        flow.If(lambda act: act.process.data.get("approved"))
        .Annotation(title="是否同意")
        .Then(this.schedule)
        .Else(this.declined)
    )
    declined = flow.End().Annotation(title="未同意召开")
    schedule = flow.Handle(this.recorded).Annotation(title="安排会议并通知").Next(this.attendance)
    attendance = flow.Handle(this.recorded).Annotation(title="登记出席").Next(this.draft)
    draft = flow.Handle(this.recorded).Annotation(title="起草纪要").Next(this.consultation)
    consultation = flow.Handle(this.recorded).Annotation(title="出席单位会签").Next(this.agreed)
    agreed = (
        flow.If(lambda act: act.process.data.get("all_agreed"))
        .Annotation(title="是否一致同意")
        .Then(this.issue)
        .Else(this.draft)
    )
    issue = flow.Handle(this.recorded).Annotation(title="印发纪要并交办").Next(this.end)
    end = flow.End().Annotation(title="完成")

    def started(self, activation, meeting):
        return _start(activation, meeting, meeting=meeting.pk)

    def recorded(self, activation, **data):
        _record(activation, **data)


class MembershipChangeFlow(flow.Flow):
    process_class = MembershipChangeProcess
    lock_impl = select_for_update_lock
    process_title = "成员调整"
    process_description = "单位提出、办公室审核、召集人确认、按生效日期调整"

    start = flow.StartHandle(this.started).Annotation(title="提出调整").Next(this.check)
    check = flow.Handle(this.recorded).Annotation(title="办公室审核").Next(this.passed)
    passed = (
        flow.If(lambda act: act.process.data.get("passed"))
        .Annotation(title="审核是否通过")
        .Then(this.confirm)
        .Else(this.end)
    )
    confirm = flow.Handle(this.recorded).Annotation(title="召集人确认").Next(this.end)
    end = flow.End().Annotation(title="完成")

    def started(self, activation, change):
        return _start(activation, change, change=change.pk)

    def recorded(self, activation, **data):
        _record(activation, **data)


class EscalationFlow(flow.Flow):
    process_class = EscalationProcess
    lock_impl = select_for_update_lock
    process_title = "重大事项报告"
    process_description = "起草报告、召集人审定、报送省委省政府、登记批复、办结"

    start = flow.StartHandle(this.started).Annotation(title="标记重大事项").Next(this.draft)
    draft = flow.Handle(this.recorded).Annotation(title="起草报告").Next(this.approval)
    approval = flow.Handle(this.recorded).Annotation(title="召集人审定").Next(this.approved)
    approved = (
        flow.If(lambda act: act.process.data.get("approved"))
        .Annotation(title="是否同意报送")
        .Then(this.send)
        .Else(this.draft)
    )
    send = flow.Handle(this.recorded).Annotation(title="报送").Next(this.reply)
    reply = flow.Handle(this.recorded).Annotation(title="登记批复").Next(this.close)
    close = flow.Handle(this.recorded).Annotation(title="办结").Next(this.end)
    end = flow.End().Annotation(title="办结")

    def started(self, activation, escalation):
        return _start(activation, escalation, escalation=escalation.pk)

    def recorded(self, activation, **data):
        _record(activation, **data)
