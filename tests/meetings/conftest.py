import datetime as dt

import pytest
import time_machine

from meetings import services
from members.models import MemberUnit

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
        m = services.meeting_propose(title=title, topics="审议年度工作要点\n部署老旧小区改造", reasons="年度工作部署",
                                     unit=unit("mzt"), by=users["liaison_mzt"])
        services.meeting_decide(meeting=m, approve=True, by=users["convener"])
        services.meeting_schedule(meeting=m, starts_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=CST), place="省住房城乡建设厅3楼会议室",
                                  chair="陈维明", units=[unit(c) for c in codes], by=users["office"],
                                  guests=[{"kind": "expert", "name": "李教授", "organisation": "贵州大学",
                                           "email": "li@example.org"}])
        services.meeting_attendance_record(meeting=m, attended_units=[unit(c) for c in codes], by=users["office"],
                                           attended_guests=list(m.guests.all()))
        m.refresh_from_db()
        return m
    return make


def matter(content, lead, participating=(), due=dt.date(2026, 4, 30), **extra):
    return {"content": content, "done_criteria": f"{content}完成并书面反馈", "due_date": due,
            "lead_units": [MemberUnit.objects.get(code=c) for c in lead],
            "participating_units": [MemberUnit.objects.get(code=c) for c in participating], **extra}
