"""A year (2025) of records whose every evaluation figure is known, computed on Monday 2 March 2026
(Asia/Shanghai): the year is over, so the window is 1 Jan – 31 Dec 2025 and still-owed work is
overdue up to 1 January 2026. The expected numbers are worked out by hand in test_evaluation.py."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deadlines.models import DeadlineRule, Obligation, Submission
from members.models import MemberUnit, ReportingUnit
from tasks.models import Assignment, Item
from tasks.services import item_progress_refresh

CST = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(day, hour=10):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CST)


@pytest.fixture
def frozen():
    with time_machine.travel(at(D(2026, 3, 2)), tick=False):
        yield D(2026, 3, 2)


def _ob(rule, n, *, mu=None, ru=None, due, status=Obligation.OPEN, late=False, submitted=None):
    return Obligation.objects.create(
        rule=rule,
        member_unit=mu,
        reporting_unit=ru,
        obligor_key=f"mu:{mu.pk}" if mu else f"ru:{ru.pk}",
        period=f"e{n}",
        period_label=f"考评测试{n}期",
        period_start=due,
        period_end=due,
        opens_on=due,
        due_on=due,
        status=status,
        is_late=late,
        submitted_at=at(submitted) if submitted else None,
    )


def _sub(o, by, day, decision, quality=""):
    return Submission.objects.create(
        obligation=o,
        text=f"{o.period_label}：推行垃圾分类积分制，居民参与率明显提高。",
        submitted_by=by,
        submitted_at=at(day),
        decision=decision,
        quality=quality,
        is_late=day > o.due_on,
    )


def _item(title, due, by, *, source=Item.Source.AD_HOC, review_round=0, status=Item.Status.IN_PROGRESS):
    return Item.objects.create(
        title=title,
        content="内容",
        source=source,
        due_date=due,
        contribution_due_date=due,
        created_by=by,
        review_round=review_round,
        status=status,
    )


def _as(item, unit, *, role=Assignment.Role.LEAD, due, status=Assignment.Status.TODO, submitted=None):
    a = Assignment.objects.create(
        item=item, unit=unit, role=role, due_date=due, status=status, submitted_at=at(submitted) if submitted else None
    )
    item_progress_refresh(item=item)  # written past the services: keep the summary they would keep
    return a


@pytest.fixture
def year(users, mechanism, frozen):
    mu = {c: MemberUnit.objects.get(mechanism=mechanism, code=c) for c in ("mzt", "gat", "zjt")}
    ru = {c: ReportingUnit.objects.get(mechanism=mechanism, code=c) for c in ("guiyang", "zunyi")}
    quarterly = DeadlineRule.objects.get(mechanism=mechanism, code="quarterly_report")
    summary = DeadlineRule.objects.get(mechanism=mechanism, code="stage_summary")
    office, mzt_user, city = users["office"], users["liaison_mzt"], users["city_guiyang"]
    S, A = Submission, Assignment.Status

    # 省民政厅 (mzt): three reports due in 2025 and one due in 2026 (outside the year)
    o1 = _ob(quarterly, 1, mu=mu["mzt"], due=D(2025, 4, 5), status=Obligation.ACCEPTED, submitted=D(2025, 4, 3))
    _sub(o1, mzt_user, D(2025, 4, 3), S.ACCEPTED, "excellent")
    o2 = _ob(
        quarterly, 2, mu=mu["mzt"], due=D(2025, 7, 5), status=Obligation.ACCEPTED, late=True, submitted=D(2025, 7, 9)
    )  # 4 days late
    _sub(o2, mzt_user, D(2025, 7, 3), S.RETURNED)  # returned once
    _sub(o2, mzt_user, D(2025, 7, 9), S.ACCEPTED, "good")
    _ob(quarterly, 3, mu=mu["mzt"], due=D(2025, 12, 22))  # still owed: 10 days to 1 Jan
    _ob(quarterly, 4, mu=mu["mzt"], due=D(2026, 1, 5))  # next year's: not counted
    # its shares of supervised items
    i1 = _item(
        "议定事项甲", D(2025, 6, 30), office, source=Item.Source.AGREED_MATTER, review_round=1, status=Item.Status.DONE
    )
    _as(i1, mu["mzt"], due=D(2025, 6, 30), status=A.DONE, submitted=D(2025, 6, 28))  # on time, 1 return
    i2 = _item("临时交办乙", D(2025, 9, 12), office)
    _as(i2, mu["zjt"], due=D(2025, 9, 12), status=A.CLAIMED)
    _as(
        i2,
        mu["mzt"],
        role=Assignment.Role.PARTICIPATING,
        due=D(2025, 9, 10),
        status=A.SUBMITTED,
        submitted=D(2025, 9, 15),
    )  # 5 days late
    i3 = _item("议定事项丙", D(2025, 12, 25), office, source=Item.Source.AGREED_MATTER)
    _as(i3, mu["zjt"], due=D(2025, 12, 25), status=A.CLAIMED)
    _as(i3, mu["mzt"], role=Assignment.Role.PARTICIPATING, due=D(2025, 12, 20), status=A.CLAIMED)  # open: 12 days
    i4 = _item("已改派丁", D(2025, 5, 1), office)
    _as(i4, mu["zjt"], due=D(2025, 5, 1), status=A.DONE, submitted=D(2025, 4, 30))
    _as(i4, mu["mzt"], role=Assignment.Role.PARTICIPATING, due=D(2025, 5, 1), status=A.REROUTED)  # not counted

    # 省公安厅 (gat): one report on time marked 中, one agreed matter done on time
    o5 = _ob(quarterly, 5, mu=mu["gat"], due=D(2025, 4, 5), status=Obligation.ACCEPTED, submitted=D(2025, 4, 1))
    _sub(o5, users["liaison_gat"], D(2025, 4, 1), S.ACCEPTED, "fair")
    i5 = _item("议定事项戊", D(2025, 8, 1), office, source=Item.Source.AGREED_MATTER, status=Item.Status.DONE)
    _as(i5, mu["gat"], due=D(2025, 8, 1), status=A.DONE, submitted=D(2025, 7, 30))

    # 贵阳市 (guiyang): a summary 5 days late after one return, marked 差; one on time not yet accepted
    o6 = _ob(
        summary,
        6,
        ru=ru["guiyang"],
        due=D(2025, 5, 15),
        status=Obligation.ACCEPTED,
        late=True,
        submitted=D(2025, 5, 20),
    )
    _sub(o6, city, D(2025, 5, 14), S.RETURNED)
    _sub(o6, city, D(2025, 5, 20), S.ACCEPTED, "poor")
    o7 = _ob(summary, 7, ru=ru["guiyang"], due=D(2025, 11, 15), status=Obligation.SUBMITTED, submitted=D(2025, 11, 14))
    _sub(o7, city, D(2025, 11, 14), S.PENDING)
    # 省住房城乡建设厅 (zjt) shares above: i2 (open, due 12 Sep: 111 days), i3 (open, 7 days), i4 (on time)
    return {"mu": mu, "ru": ru, "o2": o2, "o7": o7}
