"""A small data set whose every dashboard figure is computed by hand (see EXPECTED), on a frozen
Wednesday 18 Nov 2026 (Asia/Shanghai). With the default ladder (3 working days each way):
臨期 (blue) = due 19–23 Nov; yellow = due 13–18 Nov; red = due on or before 12 Nov."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deadlines.models import DeadlineRule, Obligation
from members.models import MemberUnit, ReportingUnit
from tasks.models import Assignment, Item, UnitRequest
from tasks.services import item_progress_refresh

CST = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 18)
D = dt.date


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 18, 10, 0, tzinfo=CST), tick=False):
        yield TODAY


def _ob(rule, n, *, mu=None, ru=None, due, status=Obligation.OPEN, late=False):
    return Obligation.objects.create(
        rule=rule,
        member_unit=mu,
        reporting_unit=ru,
        obligor_key=f"mu:{mu.pk}" if mu else f"ru:{ru.pk}",
        period=f"t{n}",
        period_label=f"测试{n}期",
        period_start=due,
        period_end=due,
        opens_on=due,
        due_on=due,
        status=status,
        is_late=late,
        submitted_at=dt.datetime.combine(due, dt.time(9), tzinfo=CST)
        if status != Obligation.OPEN and status != Obligation.RETURNED
        else None,
    )


def _item(title, due, by):
    return Item.objects.create(
        title=title, content="内容", source=Item.Source.AD_HOC, due_date=due, contribution_due_date=due, created_by=by
    )


def _as(item, unit, *, role=Assignment.Role.LEAD, due, status=Assignment.Status.TODO, submitted=None):
    a = Assignment.objects.create(
        item=item,
        unit=unit,
        role=role,
        due_date=due,
        status=status,
        submitted_at=submitted and dt.datetime.combine(submitted, dt.time(10), tzinfo=CST),
    )
    item_progress_refresh(item=item)  # written past the services: keep the summary they would keep
    return a


@pytest.fixture
def dataset(users, mechanism, frozen):
    u = {code: MemberUnit.objects.get(mechanism=mechanism, code=code) for code in ("mzt", "zjt", "gat")}
    ru = {code: ReportingUnit.objects.get(mechanism=mechanism, code=code) for code in ("guiyang", "zunyi")}
    rule = DeadlineRule.objects.filter(mechanism=mechanism).first()
    office = users["office"]
    o = {
        1: _ob(rule, 1, mu=u["mzt"], due=D(2026, 11, 20)),  # blue
        2: _ob(rule, 2, mu=u["mzt"], due=D(2026, 11, 10)),  # red, Q4 late
        3: _ob(rule, 3, mu=u["mzt"], due=D(2026, 10, 15), status=Obligation.ACCEPTED),  # Q4 on time
        4: _ob(rule, 4, mu=u["zjt"], due=D(2026, 11, 16), status=Obligation.RETURNED),  # yellow, Q4 late
        5: _ob(rule, 5, ru=ru["guiyang"], due=D(2026, 7, 15), status=Obligation.SUBMITTED, late=True),  # Q3 late
        6: _ob(rule, 6, ru=ru["guiyang"], due=D(2026, 8, 14), status=Obligation.ACCEPTED),  # Q3 on time
        7: _ob(rule, 7, ru=ru["zunyi"], due=D(2026, 11, 18)),  # due today: yellow
        8: _ob(rule, 8, mu=u["mzt"], due=D(2025, 12, 31), status=Obligation.ACCEPTED),  # outside every window
    }
    i1 = _item("改造老旧小区", D(2026, 11, 24), office)
    i2 = _item('=HYPERLINK("http://evil","点我")', D(2026, 11, 5), office)  # a formula typed by a user
    i3 = _item("完善社区设施", D(2026, 9, 30), office)
    S = Assignment.Status
    a = {
        1: _as(i1, u["mzt"], due=D(2026, 11, 24)),  # open, not yet blue
        2: _as(i1, u["gat"], role=Assignment.Role.PARTICIPATING, due=D(2026, 11, 20), status=S.CLAIMED),  # blue
        3: _as(i2, u["zjt"], due=D(2026, 11, 5), status=S.CLAIMED),  # red, Q4 late
        4: _as(
            i2,
            u["mzt"],
            role=Assignment.Role.PARTICIPATING,
            due=D(2026, 11, 3),
            status=S.SUBMITTED,
            submitted=D(2026, 11, 2),
        ),  # Q4 on time
        5: _as(i3, u["gat"], due=D(2026, 9, 30), status=S.DONE, submitted=D(2026, 10, 8)),  # Q3 late
        6: _as(i3, u["zjt"], role=Assignment.Role.PARTICIPATING, due=D(2026, 9, 28), status=S.REROUTED),
        7: _as(
            i3,
            u["mzt"],
            role=Assignment.Role.PARTICIPATING,
            due=D(2026, 9, 28),
            status=S.DONE,
            submitted=D(2026, 9, 27),
        ),  # Q3 on time
    }
    a[7].rerouted_from = a[6]
    a[7].save()
    K, St = UnitRequest.Kind, UnitRequest.Status
    liaison_zjt, liaison_mzt = users["liaison_zjt"], users["liaison_mzt"]
    UnitRequest.objects.create(
        assignment=a[6],
        kind=K.RETURN,
        reason="非本单位职责",
        previous_due_date=D(2026, 9, 28),
        status=St.APPROVED,
        requested_by=liaison_zjt,
    )
    for _ in range(2):  # two approved extensions of one task count as one extended task
        UnitRequest.objects.create(
            assignment=a[3],
            kind=K.EXTENSION,
            reason="需要时间",
            previous_due_date=D(2026, 10, 30),
            requested_due_date=D(2026, 11, 5),
            status=St.APPROVED,
            requested_by=liaison_zjt,
        )
    UnitRequest.objects.create(
        assignment=a[1],
        kind=K.EXTENSION,
        reason="需要时间",
        previous_due_date=D(2026, 11, 24),
        requested_due_date=D(2026, 12, 24),
        status=St.REFUSED,
        requested_by=liaison_mzt,
    )
    return {"units": u, "ru": ru, "o": o, "a": a, "items": [i1, i2, i3], "rule": rule}


# unit code → metric → hand-computed value
EXPECTED = {
    "mzt": {
        "open": 3,
        "soon": 1,
        "overdue": 1,
        "blue": 1,
        "yellow": 0,
        "red": 1,
        "returned": 0,
        "rerouted": 0,
        "extended": 0,
        "colour": "red",
        "2026Q4": (3, 2),
        "2026Q3": (1, 1),
    },
    "zjt": {
        "open": 2,
        "soon": 0,
        "overdue": 2,
        "blue": 0,
        "yellow": 1,
        "red": 1,
        "returned": 1,
        "rerouted": 1,
        "extended": 1,
        "colour": "red",
        "2026Q4": (2, 0),
        "2026Q3": (0, 0),
    },
    "gat": {
        "open": 1,
        "soon": 1,
        "overdue": 0,
        "blue": 1,
        "yellow": 0,
        "red": 0,
        "returned": 0,
        "rerouted": 0,
        "extended": 0,
        "colour": "blue",
        "2026Q4": (0, 0),
        "2026Q3": (1, 0),
    },
    "guiyang": {
        "open": 0,
        "soon": 0,
        "overdue": 0,
        "blue": 0,
        "yellow": 0,
        "red": 0,
        "colour": "none",
        "2026Q4": (0, 0),
        "2026Q3": (2, 1),
    },
    "zunyi": {
        "open": 1,
        "soon": 0,
        "overdue": 0,
        "blue": 0,
        "yellow": 1,
        "red": 0,
        "colour": "yellow",
        "2026Q4": (0, 0),
        "2026Q3": (0, 0),
    },
}
