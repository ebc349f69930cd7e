"""Deadline rules as data: reading a rule from the mechanism file and computing its due dates.

A rule (one entry of `deadline_rules:` in members/mechanisms/<code>.yaml) says *what* is owed, *by
whom* and *when*. This module is pure: no database, so due dates can be previewed and tested for any
year. See docs/deadlines.md for the file format."""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from core.errors import DomainError

from .calendar import add_working_days, calendar_missing_years, next_working_day, previous_working_day

QUARTERLY, ANNUAL, ONCE = "quarterly", "annual", "once"
AFTER_QUARTER_END, LAST_DAYS_OF_QUARTER = "after_quarter_end", "last_days_of_quarter"
CALENDAR_DAYS, WORKING_DAYS = "calendar", "working"
KEEP, NEXT_WORKING_DAY, PREVIOUS_WORKING_DAY = "keep", "next_working_day", "previous_working_day"
MEMBER_UNITS, REPORTING_UNITS, COUNTIES = "member_units", "reporting_units", "counties"

KIND_LABELS = {QUARTERLY: "每季度", ANNUAL: "每年", ONCE: "一次性"}
READING_LABELS = {AFTER_QUARTER_END: "季度结束后", LAST_DAYS_OF_QUARTER: "季度末最后"}
COUNTING_LABELS = {CALENDAR_DAYS: "自然日", WORKING_DAYS: "工作日"}
HOLIDAY_LABELS = {KEEP: "不顺延", NEXT_WORKING_DAY: "顺延至下一个工作日", PREVIOUS_WORKING_DAY: "提前至前一个工作日"}
OBLIGOR_LABELS = {MEMBER_UNITS: "各成员单位", REPORTING_UNITS: "各报送单位（市州）", COUNTIES: "各县（市、区）"}

DEFAULT_REMINDERS = {
    "before": [7, 3, 1],  # working days before the due day
    "on_due": True,
    "after_every": 2,  # working days, while overdue
    "escalate_after": 3,  # working days overdue → convener and deputy
    "channels": ["inapp", "email", "sms"],
}
CHANNELS = ("inapp", "email", "sms")


class RuleError(DomainError):
    code = "deadline_rule_invalid"


@dataclass(frozen=True)
class Period:
    key: str  # stable, part of an obligation's unique key: "2024Q3", "2024-0515", "once"
    label: str  # what a person reads: "2024年第3季度"
    start: date  # the period reported on (or the window in which to submit)
    end: date
    due: date
    opens: date  # first day of the submission window


def period_title(period_label: str, title: str) -> str:
    """期次 + 事项, without saying 季度 twice: “2026年第4季度” + “季度工作情况” → “2026年第4季度工作情况”."""
    if period_label.endswith("季度") and title.startswith("季度"):
        title = title[2:]
    return f"{period_label}{title}"


@dataclass(frozen=True)
class Schedule:
    kind: str
    days: int = 5
    counting: str = CALENDAR_DAYS
    reading: str = AFTER_QUARTER_END
    dates: tuple[tuple[int, int], ...] = ()
    on: date | None = None
    on_holiday: str = NEXT_WORKING_DAY

    def _adjust(self, day: date) -> date:
        if self.on_holiday == NEXT_WORKING_DAY:
            return next_working_day(day)
        if self.on_holiday == PREVIOUS_WORKING_DAY:
            return previous_working_day(day)
        return day

    def quarter(self, year: int, q: int) -> Period:
        start = date(year, 3 * q - 2, 1)
        end = (date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)) - timedelta(days=1)
        if self.reading == AFTER_QUARTER_END:
            opens = end + timedelta(days=1)
            if self.counting == WORKING_DAYS:
                due = add_working_days(end, self.days)
            else:
                due = self._adjust(end + timedelta(days=self.days))
        else:  # the last N days of the quarter
            if self.counting == WORKING_DAYS:
                due = previous_working_day(end)
                opens = add_working_days(due, -(self.days - 1))
            else:
                due = self._adjust(end)
                opens = end - timedelta(days=self.days - 1)
        return Period(f"{year}Q{q}", f"{year}年第{q}季度", start, end, due, opens)

    def annual(self, year: int, month: int, day: int) -> Period:
        raw = date(year, month, day)
        return Period(
            f"{year}-{month:02d}{day:02d}",
            f"{year}年{month}月{day}日前",
            date(year, 1, 1),
            raw,
            self._adjust(raw),
            date(year, 1, 1),
        )

    def once(self) -> Period:
        raw = self.on
        return Period("once", f"{raw.year}年{raw.month}月{raw.day}日前", raw, raw, self._adjust(raw), raw)

    def period(self, key: str) -> Period | None:
        """The period of a stored key ("2026Q4", "2027-0515", "once") under today's calendar; None if the
        key does not belong to this schedule (the rule's kind changed since the obligation was made)."""
        try:
            if self.kind == QUARTERLY and len(key) == 6 and key[4] == "Q" and key[5] in "1234":
                return self.quarter(int(key[:4]), int(key[5]))
            if self.kind == ANNUAL and len(key) == 9 and key[4] == "-":
                month, day = int(key[5:7]), int(key[7:9])
                return self.annual(int(key[:4]), month, day) if (month, day) in self.dates else None
            if self.kind == ONCE and key == "once":
                return self.once()
        except ValueError:
            return None
        return None

    def periods(self, first: date, last: date) -> list[Period]:
        """Every period whose due day falls in [first, last], in due order."""
        out: list[Period] = []
        if self.kind == QUARTERLY:
            for year in range(first.year - 1, last.year + 1):
                out += [self.quarter(year, q) for q in (1, 2, 3, 4)]
        elif self.kind == ANNUAL:
            for year in range(first.year - 1, last.year + 2):
                for month, day in self.dates:
                    out.append(self.annual(year, month, day))
        else:
            out.append(self.once())
        return sorted((p for p in out if first <= p.due <= last), key=lambda p: (p.due, p.key))

    def describe(self) -> str:
        holiday = HOLIDAY_LABELS[self.on_holiday]
        if self.kind == QUARTERLY:
            if self.reading == AFTER_QUARTER_END:
                text = f"每季度结束后 {self.days} 个{COUNTING_LABELS[self.counting]}内"
            else:
                text = f"每季度最后 {self.days} 个{COUNTING_LABELS[self.counting]}内"
            return text if self.counting == WORKING_DAYS else f"{text}（遇节假日{holiday}）"
        if self.kind == ANNUAL:
            dates = "、".join(f"{m}月{d}日" for m, d in self.dates)
            return f"每年 {dates} 前（遇节假日{holiday}）"
        return f"{self.on:%Y年%-m月%-d日}前（遇节假日{holiday}）"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    title: str
    obligors: str
    schedule: Schedule
    starts: date
    ends: date | None
    blue_from: int = 3
    red_after: int = 3
    reminders: dict = field(default_factory=lambda: dict(DEFAULT_REMINDERS))
    order: int = 0

    def _open(self, p: Period) -> Period:
        # A one-off report ("2020年9月30日前") may be submitted from the day the rule starts, not only
        # on its due day.
        if self.schedule.kind == ONCE and self.starts < p.opens:
            return replace(p, opens=self.starts)
        return p

    def periods(self, first: date, last: date) -> list[Period]:
        first = max(first, self.starts)
        if self.ends:
            last = min(last, self.ends)
        return [self._open(p) for p in self.schedule.periods(first, last)] if first <= last else []

    def period(self, key: str) -> Period | None:
        """One stored period recomputed under the calendar in force now (see Schedule.period)."""
        p = self.schedule.period(key)
        return self._open(p) if p else None


def missing_years_for(periods) -> list[int]:
    """Years whose calendar a set of due dates depended on and nobody knows (warn the office)."""
    years = set()
    for p in periods:
        years |= {p.due.year, p.end.year, p.opens.year}
    return calendar_missing_years(years)


# --- Reading rules from the mechanism file ------------------------------------------------------------

_RULE_KEYS = {"code", "title", "obligors", "schedule", "on_holiday", "starts", "ends", "ladder", "reminders"}


def rules_parse(raw, *, established_on: date, where=lambda path: "") -> list[RuleSpec]:
    """Check the `deadline_rules` section (plain YAML values) and build rule specs.

    `where(path)` returns a location such as "第 12 行，" for a field path; errors name the field in
    Chinese and are raised before anything is written."""

    def fail(path, message):
        raise RuleError(f"{where(path)}字段 {path}：{message}", field=path)

    def integer(value, path, low, high):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            fail(path, f"应为 {low} 到 {high} 之间的整数，实际为 {value!r}。")
        return value

    def choice(value, path, options: dict):
        if value not in options:
            allowed = "、".join(f"{k}（{v}）" for k, v in options.items())
            fail(path, f"未知取值 {value!r}（可选：{allowed}）。")
        return value

    def day(value, path):
        if not isinstance(value, date):
            fail(path, f"应为日期（YYYY-MM-DD），实际为 {value!r}。")
        return value

    def mapping(value, path, allowed, required=()):
        if not isinstance(value, dict):
            fail(path, "应为键值对（映射）。")
        for key in value:
            if not isinstance(key, str):
                fail(f"{path}.{key}", f"键 {key!r} 应为文字（YAML 会把不加引号的 on/off/yes/no 读成布尔值）。")
            if key not in allowed:
                fail(f"{path}.{key}", f"未知字段（允许的字段：{'、'.join(sorted(allowed))}）。")
        for key in required:
            if key not in value:
                fail(f"{path}.{key}", "缺少必填字段。")
        return value

    if raw is None:
        return []
    if not isinstance(raw, list):
        fail("deadline_rules", "应为列表。")
    out, seen = [], {}
    for i, item in enumerate(raw):
        p = f"deadline_rules[{i}]"
        m = mapping(item, p, _RULE_KEYS, ("code", "title", "obligors", "schedule"))
        code = m["code"]
        if not isinstance(code, str) or not code or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
            fail(f"{p}.code", f"代码 {code!r} 只能包含英文字母、数字、“-” 和 “_”。")
        if code in seen:
            fail(f"{p}.code", f"代码 “{code}” 与第 {seen[code] + 1} 条规则重复。")
        seen[code] = i
        title = m["title"]
        if not isinstance(title, str) or not title.strip() or len(title) > 60:
            fail(f"{p}.title", "应为 1 到 60 个字的文字。")
        obligors = choice(m["obligors"], f"{p}.obligors", OBLIGOR_LABELS)
        on_holiday = choice(m.get("on_holiday", NEXT_WORKING_DAY), f"{p}.on_holiday", HOLIDAY_LABELS)

        sp = f"{p}.schedule"
        s = mapping(m["schedule"], sp, {"kind", "days", "counting", "reading", "dates", "date"}, ("kind",))
        kind = choice(s["kind"], f"{sp}.kind", KIND_LABELS)
        allowed_by_kind = {
            QUARTERLY: {"kind", "days", "counting", "reading"},
            ANNUAL: {"kind", "dates"},
            ONCE: {"kind", "date"},
        }[kind]
        for key in s:
            if key not in allowed_by_kind:
                fail(
                    f"{sp}.{key}",
                    f"{KIND_LABELS[kind]}规则不使用此字段（允许：{'、'.join(sorted(allowed_by_kind))}）。",
                )
        if kind == QUARTERLY:
            schedule = Schedule(
                kind=kind,
                days=integer(s.get("days", 5), f"{sp}.days", 1, 60),
                counting=choice(s.get("counting", CALENDAR_DAYS), f"{sp}.counting", COUNTING_LABELS),
                reading=choice(s.get("reading", AFTER_QUARTER_END), f"{sp}.reading", READING_LABELS),
                on_holiday=on_holiday,
            )
        elif kind == ANNUAL:
            dates = s.get("dates")
            if not isinstance(dates, list) or not dates:
                fail(f"{sp}.dates", '应为至少一项的列表，每项形如 "05-15"（月-日）。')
            parsed = []
            for j, text in enumerate(dates):
                try:
                    month, dom = (int(x) for x in str(text).split("-"))
                    date(2021, month, dom)  # not a leap year: 02-29 is refused
                except ValueError:
                    fail(f"{sp}.dates[{j}]", f'应为 "MM-DD"（月-日，例如 "05-15"），实际为 {text!r}。')
                if (month, dom) in parsed:
                    fail(f"{sp}.dates[{j}]", f"日期 {text} 重复。")
                parsed.append((month, dom))
            schedule = Schedule(kind=kind, dates=tuple(sorted(parsed)), on_holiday=on_holiday)
        else:
            # `date`, not `on`: YAML 1.1 reads a bare `on` key as the boolean true.
            if "date" not in s:
                fail(f"{sp}.date", "缺少必填字段。")
            schedule = Schedule(kind=kind, on=day(s["date"], f"{sp}.date"), on_holiday=on_holiday)

        starts = day(m["starts"], f"{p}.starts") if "starts" in m else established_on
        ends = day(m["ends"], f"{p}.ends") if "ends" in m else None
        if ends and ends < starts:
            fail(f"{p}.ends", "结束日期早于开始日期。")

        ladder = mapping(m.get("ladder", {}), f"{p}.ladder", {"blue_from", "red_after"})
        reminders = dict(DEFAULT_REMINDERS)
        given = mapping(m.get("reminders", {}), f"{p}.reminders", set(DEFAULT_REMINDERS))
        rp = f"{p}.reminders"
        if "before" in given:
            if not isinstance(given["before"], list):
                fail(f"{rp}.before", "应为工作日数的列表，例如 [7, 3, 1]。")
            reminders["before"] = sorted(
                {integer(v, f"{rp}.before[{j}]", 1, 30) for j, v in enumerate(given["before"])}, reverse=True
            )
        if "on_due" in given:
            if not isinstance(given["on_due"], bool):
                fail(f"{rp}.on_due", "应为 true 或 false。")
            reminders["on_due"] = given["on_due"]
        if "after_every" in given:
            reminders["after_every"] = integer(given["after_every"], f"{rp}.after_every", 0, 30)
        if "escalate_after" in given:
            reminders["escalate_after"] = integer(given["escalate_after"], f"{rp}.escalate_after", 0, 60)
        if "channels" in given:
            channels = given["channels"]
            if not isinstance(channels, list) or not channels:
                fail(f"{rp}.channels", "应为非空列表（inapp、email、sms）。")
            for j, c in enumerate(channels):
                choice(c, f"{rp}.channels[{j}]", {"inapp": "站内通知", "email": "电子邮件", "sms": "短信"})
            reminders["channels"] = list(dict.fromkeys(channels))
        out.append(
            RuleSpec(
                code=code,
                title=title.strip(),
                obligors=obligors,
                schedule=schedule,
                starts=starts,
                ends=ends,
                blue_from=integer(ladder.get("blue_from", 3), f"{p}.ladder.blue_from", 0, 30),
                red_after=integer(ladder.get("red_after", 3), f"{p}.ladder.red_after", 0, 60),
                reminders=reminders,
                order=i,
            )
        )
    return out
