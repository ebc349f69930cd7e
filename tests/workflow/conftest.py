import datetime as dt

import pytest
import time_machine

from members.models import MemberUnit
from tasks import services as flow_services
from tests.meetings.conftest import held_meeting, world  # noqa: F401 — the meetings world (test_inbox.py)

TODAY = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield TODAY


@pytest.fixture
def unit():
    return lambda code: MemberUnit.objects.get(code=code)


@pytest.fixture
def dispatch(users, unit, frozen):
    """Dispatch an item as the office: dispatch(lead=["zjt"], participating=["mzt", "gat"])."""

    def make(
        lead=("zjt",), participating=("mzt", "gat"), due=dt.date(2026, 3, 20), title="推进老旧小区绿色化改造", **extra
    ):
        return flow_services.item_dispatch(
            by=users["office"],
            title=title,
            content="请按方案分工办理并反馈。",
            source="ad_hoc",
            lead_units=[unit(c) for c in lead],
            participating_units=[unit(c) for c in participating],
            due_date=due,
            **extra,
        )

    return make
