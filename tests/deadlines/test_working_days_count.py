"""`working_days_between` answers from each year's running count: the same number as walking the
calendar day by day, for any two days, with or without the office's own entries for a year."""

import random
from datetime import date, timedelta

from deadlines import calendar
from deadlines.calendar import is_working_day, working_days_between
from deadlines.services.calendar import calendar_year_save


def walked(start: date, end: date) -> int:
    if end < start:
        return -walked(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def pairs(seed=7, n=300):
    rng = random.Random(seed)
    first = date(2016, 1, 1)
    for _ in range(n):
        a = first + timedelta(days=rng.randrange(4400))
        yield a, a + timedelta(days=rng.randrange(-1500, 1500))
    yield date(2024, 12, 31), date(2025, 1, 1)
    yield date(2024, 1, 1), date(2024, 1, 1)
    yield date(2023, 12, 31), date(2025, 12, 31)


def test_counts_equal_the_day_by_day_walk():
    calendar.cache_clear()
    for start, end in pairs():
        assert working_days_between(start, end) == walked(start, end), (start, end)


def test_office_entries_change_the_count_at_once(db, users):
    calendar.cache_clear()
    before = working_days_between(date(2026, 12, 20), date(2027, 1, 20))
    # the office enters 2027 with a New Year holiday on Monday 4 January and a make-up Saturday 9 January
    calendar_year_save(year=2027, holidays="2027-01-01\n2027-01-04", workdays="2027-01-09", by=users["office"])
    after = working_days_between(date(2026, 12, 20), date(2027, 1, 20))
    assert after == walked(date(2026, 12, 20), date(2027, 1, 20))
    assert after == before - 2 + 1  # 1 and 4 January no longer count, 9 January does
