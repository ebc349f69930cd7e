import datetime as dt

import pytest
import time_machine

from meetings.models import Escalation
from meetings.services.meetings import meeting_attendance_record, meeting_decide, meeting_propose, meeting_schedule
from meetings.services.membership import change_propose_replace
from meetings.services.minutes import minutes_issue, minutes_review, minutes_save, minutes_submit
from members.models import MemberUnit, Role, RoleAssignment

CST = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST), tick=False):
        yield TODAY


@pytest.fixture
def unit():
    return lambda code: MemberUnit.objects.get(code=code)


@pytest.fixture
def held_meeting(users, unit, frozen):
    """A meeting proposed by 省民政厅, approved, scheduled with mzt, zjt and gat plus an expert, held."""

    def make(codes=("mzt", "zjt", "gat"), title="第一次联席会议"):
        m = meeting_propose(
            title=title,
            topics="审议年度工作要点\n部署老旧小区改造",
            reasons="年度工作部署",
            unit=unit("mzt"),
            by=users["liaison_mzt"],
        )
        meeting_decide(meeting=m, approve=True, by=users["convener"])
        meeting_schedule(
            meeting=m,
            starts_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=CST),
            place="省住房城乡建设厅3楼会议室",
            chair="陈维明",
            units=[unit(c) for c in codes],
            by=users["office"],
            guests=[{"kind": "expert", "name": "李教授", "organisation": "贵州大学", "email": "li@example.org"}],
        )
        meeting_attendance_record(
            meeting=m, attended_units=[unit(c) for c in codes], by=users["office"], attended_guests=list(m.guests.all())
        )
        m.refresh_from_db()
        return m

    return make


def matter(content, lead, participating=(), due=dt.date(2026, 4, 30), **extra):
    return {
        "content": content,
        "done_criteria": f"{content}完成并书面反馈",
        "due_date": due,
        "lead_units": [MemberUnit.objects.get(code=c) for c in lead],
        "participating_units": [MemberUnit.objects.get(code=c) for c in participating],
        **extra,
    }


@pytest.fixture
def world(users, unit, held_meeting, frozen):
    """issued: minutes issued with a major matter (mzt, zjt attended);
    draft: minutes in consultation — mzt and zjt attended, gat was convened but absent;
    proposed: a meeting proposed by the office, no units yet; change: a change proposed by 省民政厅."""
    issued = held_meeting(codes=("mzt", "zjt"), title="第一次会议").minutes
    minutes_save(
        minutes=issued,
        title="第一次会议纪要",
        summary="",
        by=users["office"],
        matters=[matter("申请省级支持", ["zjt"], is_major=True)],
    )
    minutes_submit(minutes=issued, by=users["office"])
    minutes_review(minutes=issued, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    minutes_review(minutes=issued, unit=unit("zjt"), agree=True, by=users["liaison_zjt"])
    minutes_issue(minutes=issued, doc_number="黔绿社联〔2026〕1号", by=users["office"])

    m = meeting_propose(title="第二次会议", topics="议题", reasons="理由", unit=unit("mzt"), by=users["liaison_mzt"])
    meeting_decide(meeting=m, approve=True, by=users["convener"])
    meeting_schedule(
        meeting=m,
        starts_at=dt.datetime(2026, 3, 20, 9, 0, tzinfo=CST),
        place="会议室",
        chair="陈维明",
        units=[unit("mzt"), unit("zjt"), unit("gat")],
        by=users["office"],
    )
    draft = meeting_attendance_record(meeting=m, attended_units=[unit("mzt"), unit("zjt")], by=users["office"])
    minutes_save(
        minutes=draft,
        title="第二次会议纪要",
        summary="",
        by=users["office"],
        matters=[matter("推进改造", ["zjt"], ["mzt"])],
    )
    minutes_submit(minutes=draft, by=users["office"])

    proposed = meeting_propose(title="专题会", topics="议题", reasons="理由", by=users["office"])
    change = change_propose_replace(
        assignment=RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON),
        new_person_name="新人",
        effective_date=dt.date(2026, 5, 1),
        reason="调任",
        by=users["liaison_mzt"],
    )
    return {
        "issued": issued,
        "draft": draft,
        "proposed": proposed,
        "change": change,
        "escalation": Escalation.objects.get(),
    }
