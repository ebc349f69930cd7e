"""A meeting from proposal to agreed matters in the units' inboxes; follow-up; major matters."""

import datetime as dt

import pytest
from django.core import mail
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry
from meetings import selectors
from meetings.flows import EscalationFlow, MeetingFlow
from meetings.models import Escalation, Meeting, Minutes
from meetings.services.escalations import (
    escalation_close,
    escalation_decide,
    escalation_reply,
    escalation_send,
    escalation_submit,
)
from meetings.services.meetings import meeting_attendance_record, meeting_decide, meeting_propose, meeting_schedule
from meetings.services.minutes import minutes_issue, minutes_review, minutes_save, minutes_submit
from meetings.services.notices import notice_send
from tasks import services as item_flow
from tasks.models import Assignment, Item
from tasks.selectors import Filters, inbox

from .conftest import CST, matter


def _open_nodes(obj, flow_class):
    return [
        t.flow_task.name
        for t in Task.objects.filter(
            process__artifact_object_id=obj.pk, process__flow_class=flow_class, status=STATUS.NEW
        )
    ]


def test_meeting_from_a_units_proposal_to_agreed_matters_in_the_inboxes(
    users, unit, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_propose(
            title="2026年第一次联席会议",
            topics="部署老旧小区改造\n推进智慧安防",
            reasons="年度重点工作需要协调",
            unit=unit("mzt"),
            by=users["liaison_mzt"],
        )
    assert meeting.status == Meeting.Status.PROPOSED and _open_nodes(meeting, MeetingFlow) == ["approval"]

    meeting_decide(meeting=meeting, approve=True, by=users["convener"], note="同意")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.APPROVED and not meeting.on_behalf_of_convener
    assert _open_nodes(meeting, MeetingFlow) == ["schedule"]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_schedule(
            meeting=meeting,
            starts_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=CST),
            place="省住房城乡建设厅3楼会议室",
            chair="陈维明",
            units=[unit("mzt"), unit("zjt"), unit("gat")],
            by=users["office"],
            guests=[{"kind": "expert", "name": "李教授", "organisation": "贵州大学", "email": "li@example.org"}],
        )
    invited = sorted(a for m in mail.outbox for a in m.to)
    assert "li@example.org" in invited and all("会议通知" in m.subject for m in mail.outbox)
    assert meeting.meeting_units.count() == 3 and meeting.guests.get().organisation == "贵州大学"

    minutes = meeting_attendance_record(
        meeting=meeting,
        attended_units=[unit("mzt"), unit("zjt"), unit("gat")],
        by=users["office"],
        attendees={unit("mzt").pk: "方海"},
        attended_guests=list(meeting.guests.all()),
    )
    assert minutes.status == Minutes.Status.DRAFTING and _open_nodes(meeting, MeetingFlow) == ["draft"]

    matters = [
        matter("制定老旧小区绿色化改造年度计划", ["zjt"], ["mzt"], due=dt.date(2026, 4, 15)),
        matter("建立社区协商议事平台", ["mzt"], ["zjt"], due=dt.date(2026, 5, 29)),
        matter("推进智慧安防小区建设", ["gat", "zjt"], [], due=dt.date(2026, 6, 30)),
    ]
    minutes_save(
        minutes=minutes,
        title="2026年第一次联席会议纪要",
        summary="会议听取了各单位汇报。",
        matters=matters,
        by=users["office"],
    )
    minutes_submit(minutes=minutes, by=users["office"])
    assert _open_nodes(meeting, MeetingFlow) == ["consultation"]

    # Round 1: 省住房城乡建设厅 asks for a change; the others agree.
    minutes_review(minutes=minutes, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    minutes_review(
        minutes=minutes, unit=unit("zjt"), agree=False, comment="第一条时限请延至4月30日", by=users["liaison_zjt"]
    )
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.CONSULTING  # still waiting for 省公安厅
    minutes_review(minutes=minutes, unit=unit("gat"), agree=True, by=users["liaison_gat"])
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.DRAFTING and _open_nodes(meeting, MeetingFlow) == ["draft"]

    # The office revises and sends round 2; all agree.
    matters[0]["due_date"] = dt.date(2026, 4, 30)
    minutes_save(minutes=minutes, title=minutes.title, summary=minutes.summary, matters=matters, by=users["office"])
    minutes_submit(minutes=minutes, by=users["office"])
    minutes.refresh_from_db()
    assert minutes.round == 2
    for code, user in (("mzt", "liaison_mzt"), ("zjt", "liaison_zjt"), ("gat", "liaison_gat")):
        minutes_review(minutes=minutes, unit=unit(code), agree=True, by=users[user])
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.AGREED and _open_nodes(meeting, MeetingFlow) == ["issue"]

    minutes_issue(minutes=minutes, doc_number="黔绿社联〔2026〕1号", by=users["office"])
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.ISSUED and _open_nodes(meeting, MeetingFlow) == []
    items = {m.number: m.item for m in minutes.matters.select_related("item")}
    assert all(i.source == Item.Source.AGREED_MATTER for i in items.values())
    assert items[1].source_note == "黔绿社联〔2026〕1号《2026年第一次联席会议纪要》第一条"

    def due_in_inbox(user):
        rows, _ = inbox(users[user], Filters())
        notes = dict(Item.objects.filter(pk__in=[r.item_id for r in rows]).values_list("pk", "source_note"))
        return sorted((notes[r.item_id][-3:], str(Assignment.Role(r.role).label), r.due_date) for r in rows)

    assert due_in_inbox("liaison_zjt") == [
        ("第一条", "牵头单位", dt.date(2026, 4, 30)),
        ("第三条", "牵头单位", dt.date(2026, 6, 30)),
        ("第二条", "配合单位", items[2].contribution_due_date),
    ]
    assert due_in_inbox("liaison_mzt") == [
        ("第一条", "配合单位", items[1].contribution_due_date),
        ("第二条", "牵头单位", dt.date(2026, 5, 29)),
    ]
    assert due_in_inbox("liaison_gat") == [("第三条", "牵头单位", dt.date(2026, 6, 30))]
    # The minutes page shows each matter's live status.
    live = {m.number: m.live["label"] for m in selectors.matters_with_status(minutes.matters.all())}
    assert live == {1: "办理中", 2: "办理中", 3: "办理中"}
    actions = list(
        AuditEntry.objects.filter(object_id=str(minutes.pk), action__startswith="minutes.").values_list(
            "action", flat=True
        )
    )
    assert actions.count("minutes.review") == 6 and "minutes.issue" in actions


def test_deputy_approves_on_the_conveners_behalf_and_others_cannot(users, unit, frozen):
    meeting = meeting_propose(title="专题会", topics="议题", reasons="理由", by=users["office"])
    for who in ("office", "liaison_mzt", "member_mzt", "outsider", "city_guiyang"):
        with pytest.raises(NotAllowed):
            meeting_decide(meeting=meeting, approve=True, by=users[who])
    with pytest.raises(DomainError, match="理由"):
        meeting_decide(meeting=meeting, approve=False, by=users["deputy"])
    meeting_decide(meeting=meeting, approve=True, by=users["deputy"])
    meeting.refresh_from_db()
    assert meeting.on_behalf_of_convener and meeting.decided_by == users["deputy"]
    with pytest.raises(Conflict):
        meeting_decide(meeting=meeting, approve=True, by=users["convener"])


def test_a_unit_proposes_only_in_its_own_name(users, unit, frozen):
    with pytest.raises(NotAllowed):
        meeting_propose(title="会", topics="议题", reasons="理由", unit=unit("zjt"), by=users["liaison_mzt"])
    with pytest.raises(NotAllowed):
        meeting_propose(title="会", topics="议题", reasons="理由", by=users["liaison_mzt"])
    with pytest.raises(DomainError, match="议题"):
        meeting_propose(title="会", topics=" ", reasons="理由", unit=unit("mzt"), by=users["liaison_mzt"])
    assert not Meeting.objects.exists()


def test_declined_meeting_ends_its_flow(users, unit, frozen):
    meeting = meeting_propose(title="会", topics="议题", reasons="理由", unit=unit("mzt"), by=users["liaison_mzt"])
    meeting_decide(meeting=meeting, approve=False, note="近期已有安排", by=users["convener"])
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.DECLINED and _open_nodes(meeting, MeetingFlow) == []


def test_bad_minutes_are_refused_and_nothing_is_written(users, held_meeting, unit):
    minutes = held_meeting().minutes
    with pytest.raises(DomainError, match="第二条议定事项的完成时限"):
        minutes_save(
            minutes=minutes,
            title="纪要",
            summary="",
            by=users["office"],
            matters=[matter("甲", ["zjt"]), matter("乙", ["mzt"], due=dt.date(2026, 1, 1))],
        )
    with pytest.raises(DomainError, match="牵头单位"):
        minutes_save(minutes=minutes, title="纪要", summary="", by=users["office"], matters=[matter("甲", [])])
    with pytest.raises(DomainError, match="不能同时"):
        minutes_save(
            minutes=minutes, title="纪要", summary="", by=users["office"], matters=[matter("甲", ["zjt"], ["zjt"])]
        )
    assert not minutes.matters.exists()
    with pytest.raises(DomainError, match="至少"):
        minutes_submit(minutes=minutes, by=users["office"])
    with pytest.raises(NotAllowed):
        minutes_save(
            minutes=minutes, title="纪要", summary="", by=users["liaison_mzt"], matters=[matter("甲", ["zjt"])]
        )


def test_only_attending_units_review_once_per_round_with_a_comment_for_changes(users, held_meeting, unit):
    minutes = held_meeting(codes=("mzt", "zjt")).minutes
    minutes_save(minutes=minutes, title="纪要", summary="", by=users["office"], matters=[matter("甲", ["zjt"])])
    minutes_submit(minutes=minutes, by=users["office"])
    with pytest.raises(NotAllowed, match="未出席"):
        minutes_review(minutes=minutes, unit=unit("gat"), agree=True, by=users["liaison_gat"])
    with pytest.raises(NotAllowed):
        minutes_review(minutes=minutes, unit=unit("zjt"), agree=True, by=users["liaison_mzt"])
    with pytest.raises(DomainError, match="修改意见"):
        minutes_review(minutes=minutes, unit=unit("mzt"), agree=False, comment="", by=users["liaison_mzt"])
    minutes_review(minutes=minutes, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    with pytest.raises(Conflict):
        minutes_review(minutes=minutes, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    with pytest.raises(Conflict):  # not agreed yet: cannot be issued
        minutes_issue(minutes=minutes, doc_number="X号", by=users["office"])


def test_open_agreed_matter_is_carried_into_the_next_meetings_agenda(users, held_meeting, unit, frozen):
    minutes = held_meeting().minutes
    minutes_save(
        minutes=minutes,
        title="第一次会议纪要",
        summary="",
        by=users["office"],
        matters=[matter("制定改造计划", ["zjt"]), matter("建立议事平台", ["mzt"])],
    )
    minutes_submit(minutes=minutes, by=users["office"])
    for code, who in (("mzt", "liaison_mzt"), ("zjt", "liaison_zjt"), ("gat", "liaison_gat")):
        minutes_review(minutes=minutes, unit=unit(code), agree=True, by=users[who])
    minutes_issue(minutes=minutes, doc_number="黔绿社联〔2026〕1号", by=users["office"])

    # 省民政厅 finishes the platform and the office accepts it (办结); the plan stays open.
    done = minutes.matters.get(number=2).item
    a = done.assignments.get()
    from tasks import services as task_services

    task_services.assignment_claim(assignment=a, by=users["liaison_mzt"])
    a.refresh_from_db()
    item_flow.assignment_submit(assignment=a, result="平台已建成", version=a.version, by=users["liaison_mzt"])
    done.refresh_from_db()
    item_flow.item_accept(item=done, version=done.version, by=users["office"])

    nxt = meeting_propose(title="第二次联席会议", topics="听取进展", reasons="例会", by=users["office"])
    agenda = selectors.agenda(nxt)
    assert [(m.minutes.doc_number, m.number, m.live["label"]) for m in agenda["carried"]] == [
        ("黔绿社联〔2026〕1号", 1, "办理中")
    ]
    assert agenda["topics"] == ["听取进展"]

    notice = notice_send(by=users["office"])
    assert "制定改造计划" in notice.body and "建立议事平台" not in notice.body and notice.recipients >= 3
    with pytest.raises(NotAllowed):
        notice_send(by=users["liaison_mzt"])


def test_major_matter_is_escalated_approved_sent_answered_and_closed(users, held_meeting, unit, frozen):
    minutes = held_meeting().minutes
    minutes_save(
        minutes=minutes,
        title="纪要",
        summary="",
        by=users["office"],
        matters=[matter("申请省级财政支持老旧小区改造", ["zjt"], is_major=True), matter("普通事项", ["mzt"])],
    )
    minutes_submit(minutes=minutes, by=users["office"])
    for code, who in (("mzt", "liaison_mzt"), ("zjt", "liaison_zjt"), ("gat", "liaison_gat")):
        minutes_review(minutes=minutes, unit=unit(code), agree=True, by=users[who])
    minutes_issue(minutes=minutes, doc_number="黔绿社联〔2026〕2号", by=users["office"])
    e = Escalation.objects.get()
    assert e.matter.number == 1 and e.status == Escalation.Status.DRAFTING
    assert list(selectors.escalations_for_user(users["liaison_zjt"])) == []

    escalation_submit(escalation=e, report="关于申请省级财政支持的请示", by=users["office"])
    with pytest.raises(NotAllowed):
        escalation_decide(escalation=e, approve=True, by=users["office"])
    escalation_decide(escalation=e, approve=False, note="补充资金测算", by=users["convener"])
    e.refresh_from_db()
    assert e.status == Escalation.Status.DRAFTING
    escalation_submit(escalation=e, report="关于申请省级财政支持的请示（含资金测算）", by=users["office"])
    escalation_decide(escalation=e, approve=True, by=users["deputy"])
    e.refresh_from_db()
    assert e.on_behalf_of_convener and e.approved_by == users["deputy"]
    escalation_send(escalation=e, sent_on=dt.date(2026, 3, 2), by=users["office"])
    with pytest.raises(DomainError, match="批复日期"):
        escalation_reply(escalation=e, reply="同意", reply_on=dt.date(2026, 3, 1), by=users["office"])
    escalation_reply(escalation=e, reply="原则同意，由省财政厅研究", reply_on=dt.date(2026, 3, 2), by=users["office"])
    # Visible until closed.
    assert selectors.escalations_for_user(users["convener"]).exclude(status=Escalation.Status.CLOSED).count() == 1
    escalation_close(escalation=e, by=users["office"])
    e.refresh_from_db()
    assert e.status == Escalation.Status.CLOSED and e.closed_at
    assert _open_nodes(e, EscalationFlow) == []
    assert selectors.escalations_for_user(users["convener"]).exclude(status=Escalation.Status.CLOSED).count() == 0
