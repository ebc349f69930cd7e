"""The colour ladder of 督办 offices (the office practice written down in docs/deadlines.md), computed in working days.

none   — on time, more than `blue_from` working days before the due day
blue   — 临期: from `blue_from` working days before the due day
yellow — 到期/轻度逾期: on the due day and up to `red_after` working days overdue
red    — 严重逾期: more than `red_after` working days overdue
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from .calendar import working_days_between

NONE, BLUE, YELLOW, RED = "none", "blue", "yellow", "red"
LABELS = {NONE: "正常", BLUE: "临期", YELLOW: "到期", RED: "严重逾期"}


@dataclass(frozen=True)
class Ladder:
    blue_from: int = 3
    red_after: int = 3


DEFAULT = Ladder()


def colour_for(due: date, today: date | None = None, ladder: Ladder = DEFAULT) -> str:
    today = today or timezone.localdate()
    if today < due:
        return BLUE if working_days_between(today, due) <= ladder.blue_from else NONE
    overdue = working_days_between(due, today)
    return YELLOW if overdue <= ladder.red_after else RED


def days_left(due: date, today: date | None = None) -> int:
    """Calendar days until the due day; negative when overdue (what a person reads as 剩余/逾期 N 天)."""
    return (due - (today or timezone.localdate())).days


def countdown(due: date, today: date | None = None, *, finished: bool = False) -> str:
    """The words beside a due date, the same on every page: 剩余 N 天, 今日到期, 逾期 N 天; nothing for
    work that is finished (submitted, accepted, done), which no longer runs against its date."""
    if finished:
        return ""
    left = days_left(due, today)
    if left > 0:
        return f"剩余 {left} 天"
    return "今日到期" if left == 0 else f"逾期 {-left} 天"
