"""The joint meeting's own rules, as the province's mechanism file gives them (`meeting_rules`):
its duties (shown on 联席会议) and its regular meetings (例会), read and checked here.

Guizhou's notice (docs/sources/guizhou-qianjianchengtong-2020-87.txt, 三 工作规则) says the meeting
is held 定期或不定期 and chaired by the convener or, on the convener's delegation, a deputy; it gives
no interval. The interval is therefore configuration (members/mechanisms/<code>.yaml), not a fact of
the seed: see docs/meetings.md."""

from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import DomainError

PERIODS = {"year": "年度", "half_year": "半年"}


@dataclass(frozen=True)
class RegularRule:
    title: str
    every: str  # "year" | "half_year"
    months: tuple[int, ...]  # the months it is held in (one for a year, two for a half-year)
    day: int  # the day of the month it is planned for
    notice_days: int  # generated (and units asked for agenda items) this many days before
    agenda_days: int  # agenda proposals close this many days before the planned day

    def occasions(self, year: int) -> list[tuple[str, date]]:
        """(period code, planned day) for `year`: ("2026-H1", 2026-06-20)…"""
        out = []
        for i, month in enumerate(self.months):
            code = f"{year}" if self.every == "year" else f"{year}-H{i + 1}"
            out.append((code, date(year, month, self.day)))
        return out

    def period_label(self, code: str) -> str:
        year, _, half = code.partition("-")
        return f"{year}年度" if not half else f"{year}年{'上' if half == 'H1' else '下'}半年"

    def agenda_cutoff(self, planned: date) -> date:
        return planned - timedelta(days=self.agenda_days)


@dataclass(frozen=True)
class MeetingRules:
    duties: tuple[str, ...]
    duties_text: str
    regular: RegularRule | None


def _int(value, label, lo, hi) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise DomainError(f"会议规则配置错误：{label}应为 {lo}–{hi} 的整数。", code="mechanism_config_invalid")
    return value


def meeting_rules_parse(raw: dict | None) -> MeetingRules:
    raw = raw or {}
    duties = tuple(str(d) for d in raw.get("duties") or ())
    regular = raw.get("regular_meetings")
    rule = None
    if regular:
        every = regular.get("every")
        if every not in PERIODS:
            raise DomainError(
                "会议规则配置错误：regular_meetings.every 应为 year 或 half_year。", code="mechanism_config_invalid"
            )
        months = tuple(_int(m, "regular_meetings.months", 1, 12) for m in regular.get("months") or ())
        if len(months) != (1 if every == "year" else 2) or list(months) != sorted(set(months)):
            raise DomainError(
                "会议规则配置错误：regular_meetings.months 应按时间顺序列出每期召开的月份（年度一个，半年两个）。",
                code="mechanism_config_invalid",
            )
        rule = RegularRule(
            title=str(regular.get("title") or "联席会议例会"),
            every=every,
            months=months,
            day=_int(regular.get("day", 15), "regular_meetings.day", 1, 28),
            notice_days=_int(regular.get("notice_days", 30), "regular_meetings.notice_days", 1, 120),
            agenda_days=_int(regular.get("agenda_days", 10), "regular_meetings.agenda_days", 1, 60),
        )
        if rule.agenda_days >= rule.notice_days:
            raise DomainError(
                "会议规则配置错误：议题征集截止（agenda_days）须晚于例会生成（notice_days）。",
                code="mechanism_config_invalid",
            )
    return MeetingRules(duties=duties, duties_text=str(raw.get("duties_text") or ""), regular=rule)


def meeting_rules_for(mechanism) -> MeetingRules:
    """The rules in `mechanism`'s file (none when the file has no `meeting_rules`)."""
    from members.mechanism_config import mechanism_path, mechanism_spec_read

    path = mechanism_path(mechanism.code)
    if not path.exists():
        return MeetingRules(duties=(), duties_text="", regular=None)
    return meeting_rules_parse(mechanism_spec_read(path).extra.get("meeting_rules"))
