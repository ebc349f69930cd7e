"""The working-day calendar: China's statutory holidays and make-up workdays (调休).

Public contract used by every other app (keep these signatures):
    is_working_day(day) -> bool
    add_working_days(day, n) -> date          (n may be negative; n == 0 returns `day`)
    next_working_day(day) -> date             (`day` itself if it is a working day)
    previous_working_day(day) -> date         (`day` itself if it is a working day)
    working_days_between(start, end) -> int   (working days in (start, end]; negative if end < start)
    calendar_missing_years(years) -> list[int]

Sources, in order of precedence:
  1. days the office entered in the system (`deadlines.CalendarDay`): a holiday or a make-up workday
     overrides everything else, so a late State Council correction can be applied by hand;
  2. for a year the office has marked as entered (`deadlines.CalendarYear`), every other day is a
     working day from Monday to Friday — the office's list is the whole year;
  3. otherwise the years published by the State Council as shipped by the chinese-calendar package;
  4. for a year nobody knows, weekends only — and `calendar_missing_years` tells the UI to warn.

Office entries are read from the database once per year and kept in this process for
`CACHE_SECONDS`; a save in this process clears the cache at once (see `cache_clear`). So is each year's
running count of working days, which answers `working_days_between` in a few additions however far
apart the days are (a row five years overdue no longer walks 1,800 days on every page)."""

import logging
import threading
import time
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
CACHE_SECONDS = 60

_lock = threading.Lock()
_office_years: dict[int, tuple[float, bool, dict[date, bool]]] = {}
_running: dict[int, tuple[float, list[int]]] = {}  # year → (read at, working days up to each day of the year)


def cache_clear() -> None:
    """Forget what was read from the database (called when the office edits the calendar)."""
    with _lock:
        _office_years.clear()
        _running.clear()


def _no_office_entries(year: int) -> tuple[bool, dict[date, bool]]:
    return False, {}


# Where the office's entries are read from: the models plug their reader in at start-up
# (DeadlinesConfig.ready: deadlines.models.office_calendar_year). The models stand on this module
# (through schedules), so it does not import them back.
_office_source = _no_office_entries


def office_entries_from(reader) -> None:
    """Plug in `reader(year) -> (entered by the office?, {day: is_working})` and forget what was read."""
    global _office_source
    _office_source = reader
    cache_clear()


def _office_year(year: int) -> tuple[bool, dict[date, bool]]:
    """(year entered by the office?, {day: is_working}) for a year, from the database."""
    now = time.monotonic()
    cached = _office_years.get(year)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1], cached[2]
    try:
        entered, days = _office_source(year)
    except Exception:  # noqa: BLE001 — no database (yet): the calendar must never crash a caller
        log.debug("calendar: office entries unavailable for %s", year, exc_info=True)
        return False, {}
    with _lock:
        _office_years[year] = (now, entered, days)
    return entered, days


def _known_by_package(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def is_working_day(day: date) -> bool:
    entered, days = _office_year(day.year)
    if day in days:
        return days[day]
    if entered:
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_working_days(day: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def _running_count(year: int) -> list[int]:
    """[0, working days in 1 Jan..1 Jan, … 1 Jan..31 Dec]: index n counts the year's first n days."""
    now = time.monotonic()
    cached = _running.get(year)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    counts, day, total = [0], date(year, 1, 1), 0
    while day.year == year:
        total += is_working_day(day)
        counts.append(total)
        day += timedelta(days=1)
    with _lock:
        _running[year] = (now, counts)
    return counts


def _working_days_through(day: date) -> int:
    """Working days from 1 January of `day`'s year up to and including `day`."""
    return _running_count(day.year)[day.timetuple().tm_yday]


def working_days_between(start: date, end: date) -> int:
    if end < start:
        return -working_days_between(end, start)
    if start.year == end.year:
        return _working_days_through(end) - _working_days_through(start)
    count = _running_count(start.year)[-1] - _working_days_through(start)
    for year in range(start.year + 1, end.year):
        count += _running_count(year)[-1]
    return count + _working_days_through(end)


def calendar_missing_years(years) -> list[int]:
    """Years neither the package nor the office knows: due dates there count weekends only."""
    return sorted(y for y in set(years) if not _known_by_package(y) and not _office_year(y)[0])


def calendar_source(year: int) -> str:
    """Where a year's calendar comes from: "office", "package" or "missing" (for the calendar page)."""
    if _office_year(year)[0]:
        return "office"
    return "package" if _known_by_package(year) else "missing"
