"""Due dates of every Guizhou and Zhejiang rule, 2020–2027, across National Day, Spring Festival and
make-up workdays (调休), in both counting modes and both readings of 每季度末5天内."""

from datetime import date

import pytest
import time_machine

from deadlines import schedules
from deadlines.calendar import calendar_missing_years, is_working_day
from deadlines.models import DeadlineRule, Obligation
from deadlines.schedules import Schedule
from deadlines.services.calendar import calendar_year_save
from deadlines.services.obligations import obligations_generate


def due(schedule: Schedule, key: str) -> date:
    [p] = [p for p in schedule.periods(date(2020, 1, 1), date(2028, 3, 31)) if p.key == key]
    return p.due


def rule(mechanism, code) -> schedules.RuleSpec:
    return DeadlineRule.objects.get(mechanism=mechanism, code=code).spec()


# Guizhou's quarterly report as shipped: 5 calendar days after quarter end, moved off holidays.
QUARTERLY_SHIPPED = [
    ("2020Q3", date(2020, 10, 9)),  # 5 Oct 2020 inside National Day + Mid-autumn (1–8 Oct)
    ("2020Q4", date(2021, 1, 5)),
    ("2021Q1", date(2021, 4, 6)),  # 5 Apr 2021 is Qingming's day off
    ("2022Q3", date(2022, 10, 8)),  # Saturday 8 Oct 2022 is a make-up workday
    ("2023Q3", date(2023, 10, 7)),  # Saturday 7 Oct 2023 is a make-up workday
    ("2024Q1", date(2024, 4, 7)),  # Qingming 4–6 Apr off, Sunday 7 Apr worked
    ("2024Q3", date(2024, 10, 8)),  # National Day 1–7 Oct 2024
    ("2024Q4", date(2025, 1, 6)),  # 5 Jan 2025 is a Sunday
    ("2025Q3", date(2025, 10, 9)),  # National Day + Mid-autumn 1–8 Oct 2025
    ("2026Q3", date(2026, 10, 8)),
    ("2026Q4", date(2027, 1, 5)),  # 2027: weekends only (the package does not know it)
]


@pytest.mark.parametrize("key,expected", QUARTERLY_SHIPPED)
def test_guizhou_quarterly_report_as_shipped(mechanism, key, expected):
    spec = rule(mechanism, "quarterly_report")
    assert spec.schedule.reading == schedules.AFTER_QUARTER_END and spec.schedule.counting == "calendar"
    assert due(spec.schedule, key) == expected


WORKING_AFTER = [
    ("2020Q3", date(2020, 10, 14)),  # 9 Oct, Sat 10 Oct (调休), 12, 13, 14
    ("2022Q4", date(2023, 1, 9)),  # New Year 31 Dec–2 Jan off
    ("2024Q3", date(2024, 10, 12)),  # 8, 9, 10, 11 and Saturday 12 Oct (调休)
    ("2026Q4", date(2027, 1, 7)),  # 2027 unknown: 1 Jan counted as a working day — hence the warning
]
LAST_DAYS_CALENDAR = [
    ("2022Q4", date(2023, 1, 3), date(2022, 12, 27)),  # 31 Dec 2022 a holiday → next working day
    ("2023Q3", date(2023, 10, 7), date(2023, 9, 26)),  # 30 Sep 2023 in the holiday → 7 Oct (调休)
    ("2024Q1", date(2024, 4, 1), date(2024, 3, 27)),  # Sunday 31 Mar
    ("2024Q3", date(2024, 9, 30), date(2024, 9, 26)),
]
LAST_DAYS_WORKING = [
    ("2023Q3", date(2023, 9, 28), date(2023, 9, 22)),  # 29–30 Sep off: last working day 28 Sep
    ("2024Q1", date(2024, 3, 29), date(2024, 3, 25)),
    ("2024Q3", date(2024, 9, 30), date(2024, 9, 25)),  # Sunday 29 Sep worked (调休): 25, 26, 27, 29, 30
    ("2026Q3", date(2026, 9, 30), date(2026, 9, 23)),
]


@pytest.mark.parametrize("key,expected", WORKING_AFTER)
def test_quarterly_in_working_days_after_quarter_end(key, expected):
    s = Schedule(kind="quarterly", days=5, counting="working", reading="after_quarter_end")
    assert due(s, key) == expected and is_working_day(expected)


@pytest.mark.parametrize("key,expected,opens", LAST_DAYS_CALENDAR)
def test_quarterly_last_five_calendar_days(key, expected, opens):
    s = Schedule(kind="quarterly", days=5, counting="calendar", reading="last_days_of_quarter")
    [p] = [p for p in s.periods(date(2020, 1, 1), date(2027, 12, 31)) if p.key == key]
    assert (p.due, p.opens) == (expected, opens)


@pytest.mark.parametrize("key,expected,opens", LAST_DAYS_WORKING)
def test_quarterly_last_five_working_days(key, expected, opens):
    s = Schedule(kind="quarterly", days=5, counting="working", reading="last_days_of_quarter")
    [p] = [p for p in s.periods(date(2020, 1, 1), date(2027, 12, 31)) if p.key == key]
    assert (p.due, p.opens) == (expected, opens)


def test_keep_policy_does_not_move_a_holiday_due_day():
    s = Schedule(kind="quarterly", days=5, counting="calendar", reading="after_quarter_end", on_holiday="keep")
    assert due(s, "2024Q3") == date(2024, 10, 5)


def test_guizhou_one_off_and_stage_summary_rules(mechanism):
    assert due(rule(mechanism, "implementation_plan").schedule, "once") == date(2020, 9, 30)
    assert due(rule(mechanism, "pilot_communities").schedule, "once") == date(2020, 11, 2)  # 31 Oct 2020: Sat
    s = rule(mechanism, "stage_summary").schedule
    assert [(k, due(s, k)) for k in ("2020-1115", "2021-0515", "2022-0515", "2024-0515", "2025-1115", "2027-0515")] == [
        ("2020-1115", date(2020, 11, 16)),
        ("2021-0515", date(2021, 5, 17)),
        ("2022-0515", date(2022, 5, 16)),
        ("2024-0515", date(2024, 5, 15)),
        ("2025-1115", date(2025, 11, 17)),
        ("2027-0515", date(2027, 5, 17)),
    ]
    assert rule(mechanism, "stage_summary").obligors == schedules.REPORTING_UNITS


def test_zhejiang_annual_report_every_15_october(zhejiang):
    spec = DeadlineRule.objects.get(mechanism=zhejiang, code="annual_report").spec()
    got = {p.key: p.due for p in spec.periods(date(2020, 1, 1), date(2027, 12, 31))}
    assert got == {
        "2020-1015": date(2020, 10, 15),
        "2021-1015": date(2021, 10, 15),
        "2022-1015": date(2022, 10, 17),
        "2023-1015": date(2023, 10, 16),
        "2024-1015": date(2024, 10, 15),
        "2025-1015": date(2025, 10, 15),
        "2026-1015": date(2026, 10, 15),
        "2027-1015": date(2027, 10, 15),
    }
    assert zhejiang.reporting_units.count() == 11 and not zhejiang.units.get(is_lead=True).people.exists()


def test_spring_festival_and_make_up_workdays():
    s = Schedule(kind="once", on=date(2024, 2, 12))  # inside Spring Festival 2024 (10–17 Feb)
    assert due(s, "once") == date(2024, 2, 18)  # Sunday 18 Feb 2024 is a make-up workday
    s = Schedule(kind="annual", dates=((2, 10),))
    assert due(s, "2021-0210") == date(2021, 2, 10)  # 2021: Spring Festival 11–17 Feb; 7 Feb worked
    assert due(s, "2026-0210") == date(2026, 2, 10)
    assert due(Schedule(kind="annual", dates=((2, 18),)), "2026-0218") == date(2026, 2, 24)  # 15–23 Feb 2026 off


def test_2027_is_missing_and_the_office_can_enter_it(mechanism, users):
    assert calendar_missing_years([2026, 2027]) == [2027]
    spec = rule(mechanism, "quarterly_report")
    assert due(spec.schedule, "2027Q3") == date(2027, 10, 5)  # weekends only: a guess
    calendar_year_save(
        year=2027,
        holidays="2027-01-01 元旦\n2027-10-01 国庆节\n2027-10-04\n2027-10-05\n2027-10-06\n2027-10-07",
        workdays="2027-09-26 国庆节调休上班",
        note="测试",
        by=users["office"],
    )
    assert calendar_missing_years([2027]) == []
    assert due(spec.schedule, "2027Q3") == date(2027, 10, 8)
    assert is_working_day(date(2027, 9, 26)) and not is_working_day(date(2027, 1, 1))
    s = Schedule(kind="quarterly", days=5, counting="working", reading="after_quarter_end")
    assert due(s, "2026Q4") == date(2027, 1, 8)  # 1 Jan 2027 now a holiday


@pytest.mark.parametrize(
    "today,expected_periods",
    [
        (
            date(2020, 9, 20),
            {
                "implementation_plan": {"once"},
                "pilot_communities": {"once"},
                "quarterly_report": {"2020Q3", "2020Q4"},
                "stage_summary": {"2020-1115"},
            },
        ),
        (date(2026, 12, 20), {"quarterly_report": {"2026Q4", "2027Q1"}}),
    ],
)
def test_obligations_created_ahead_once(mechanism, users, today, expected_periods):
    with time_machine.travel(today, tick=False):
        first = obligations_generate()
        again = obligations_generate()
    got = {}
    for code, period in Obligation.objects.values_list("rule__code", "period"):
        got.setdefault(code, set()).add(period)
    assert got == expected_periods
    assert first.created == Obligation.objects.count() and again.created == 0
    assert Obligation.objects.filter(rule__code="quarterly_report").values("member_unit").distinct().count() == 7
    if today.year == 2026:
        o = Obligation.objects.get(rule__code="quarterly_report", period="2026Q4", member_unit__code="mzt")
        assert o.due_on == date(2027, 1, 5)


def test_2026_q4_report_works_with_the_warning_shown(mechanism, users, client_for):
    with time_machine.travel(date(2026, 12, 20), tick=False):
        obligations_generate()
        page = client_for(users["office"]).get("/deadlines/preview/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "2027 年" in html and "节假日安排缺失" in html and "2027年1月5日" in html
        listing = client_for(users["office"]).get("/deadlines/?status=all").content.decode()
        assert "2026年第4季度工作情况" in listing and "节假日安排缺失" in listing
