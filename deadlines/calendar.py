"""The working-day calendar: China's statutory holidays and make-up workdays (调休).

Public contract used by every other app (keep these signatures):
    is_working_day(day) -> bool
    add_working_days(day, n) -> date          (n may be negative; n == 0 returns `day`)
    next_working_day(day) -> date             (`day` itself if it is a working day)
    working_days_between(start, end) -> int   (working days in (start, end]; negative if end < start)
    calendar_missing_years(years) -> list[int]

Sources, in order: the years published by the State Council as shipped by the chinese-calendar
package; for a year the package does not know, weekends only (and `calendar_missing_years` tells the
UI to warn)."""

from datetime import date, timedelta

import chinese_calendar


def _known_by_package(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def calendar_missing_years(years) -> list[int]:
    return sorted(y for y in set(years) if not _known_by_package(y))
