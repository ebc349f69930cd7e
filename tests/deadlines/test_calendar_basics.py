from datetime import date

from deadlines.calendar import (
    add_working_days,
    calendar_missing_years,
    is_working_day,
    next_working_day,
    working_days_between,
)
from deadlines.ladder import BLUE, NONE, RED, YELLOW, colour_for


def test_national_day_2024_and_make_up_workdays():
    assert not is_working_day(date(2024, 10, 1)) and not is_working_day(date(2024, 10, 7))
    assert is_working_day(date(2024, 9, 29))  # Sunday, 调休 workday
    assert is_working_day(date(2024, 10, 12))  # Saturday, 调休 workday
    assert next_working_day(date(2024, 10, 1)) == date(2024, 10, 8)
    assert add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1


def test_missing_year_falls_back_to_weekends():
    assert calendar_missing_years([2026, 2027]) == [2027]
    assert is_working_day(date(2027, 1, 4)) and not is_working_day(date(2027, 1, 2))


def test_colour_ladder_in_working_days():
    due = date(2024, 10, 8)  # the Tuesday after National Day
    assert colour_for(due, date(2024, 9, 20)) == NONE
    assert colour_for(due, date(2024, 9, 27)) == BLUE  # 27, 29, 30 Sep then 8 Oct: 3 working days
    assert colour_for(due, date(2024, 10, 8)) == YELLOW
    assert colour_for(due, date(2024, 10, 11)) == YELLOW  # 3 working days overdue
    assert colour_for(due, date(2024, 10, 12)) == RED  # 12 Oct is a make-up workday: the 4th
