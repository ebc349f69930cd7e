"""Reading the State Council's yearly notice (国务院办公厅关于YYYY年部分节假日安排的通知) pasted by the office.

The notice is written in a fixed style, one numbered line per holiday:

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
    一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。
    一、元旦：1月1日放假，1月2日（星期一）补休。

Every date (or range "A至B", the second end taking its year and month from the first when it omits
them) is classified by the first keyword after it: 放假 / 补休 → a day off, 上班 → a make-up workday.
A date followed by anything else (e.g. "鼓励……安排职工在除夕（2月9日）休息") is not an arrangement and
is listed for the office to look at. "共N天" is checked against the range. Nothing here writes: the
result is shown to the office, who confirms it by saving (services.calendar.calendar_year_save)."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.errors import DomainError

NUMERALS = "一二三四五六七八九十"
_DATE = r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:[（(][^）)]*[）)])?"
TOKEN = re.compile(_DATE.format(p="a") + r"(?:\s*(?:至|—|－|-|~|～)\s*" + _DATE.format(p="b") + ")?")
SECTION = re.compile(rf"^\s*[{NUMERALS}]+\s*[、.．]\s*(?P<name>[^：:]+?)\s*[：:](?P<body>.*)$")
TITLE = re.compile(r"国务院办公厅关于\s*(?P<year>\d{4})\s*年部分节假日安排的通知")
NUMBER = re.compile(r"国办发明电〔\d{4}〕\d+号")
TOTAL = re.compile(r"共\s*(\d+)\s*天")


@dataclass
class NoticeDay:
    day: date
    name: str
    working: bool


@dataclass
class NoticeReading:
    year: int
    holidays: list[NoticeDay] = field(default_factory=list)  # every day off, weekends included
    workdays: list[NoticeDay] = field(default_factory=list)  # weekend days worked (调休上班)
    sections: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # sentences with dates that set nothing
    warnings: list[str] = field(default_factory=list)
    note: str = ""

    def in_year(self, days: list[NoticeDay]) -> list[NoticeDay]:
        return [d for d in days if d.day.year == self.year]

    @property
    def other_years(self) -> list[NoticeDay]:
        return sorted((d for d in self.holidays + self.workdays if d.day.year != self.year), key=lambda d: d.day)

    def form_text(self) -> tuple[str, str]:
        """(holidays, workdays) in the calendar form's format: days off Monday–Friday, workdays on weekends."""
        off = [f"{d.day} {d.name}" for d in self.in_year(self.holidays) if d.day.weekday() < 5]
        on = [f"{d.day} {d.name}调休上班" for d in self.in_year(self.workdays)]
        return "\n".join(off), "\n".join(on)


def _day(match, prefix, *, default_year, default_month=None) -> date:
    y = match.group(f"{prefix}y")
    m = match.group(f"{prefix}m")
    d = int(match.group(f"{prefix}d"))
    year = int(y) if y else default_year
    month = int(m) if m else default_month
    if month is None:
        raise ValueError("no month")
    return date(year, month, d)


def _sentences(body: str) -> list[str]:
    return [s.strip() for s in re.split(r"[。；;]", body) if s.strip()]


def notice_parse(text: str, *, year: int) -> NoticeReading:
    """Read the holidays and make-up workdays of `year` from the notice's text. Raises DomainError
    (in Chinese) when the text is not such a notice or is for another year."""
    text = (text or "").replace("\r", "")
    if not text.strip():
        raise DomainError("请粘贴国务院办公厅关于节假日安排的通知全文。", field="notice")
    if len(text) > 20000:
        raise DomainError("粘贴的文字过长（超过 20000 字），请只粘贴通知正文。", field="notice")
    title = TITLE.search(text)
    if title and int(title.group("year")) != year:
        raise DomainError(f"粘贴的是 {title.group('year')} 年的通知，当前录入的是 {year} 年。", field="notice")
    reading = NoticeReading(year=year)
    if title:
        number = NUMBER.search(text)
        reading.note = title.group(0) + (f"（{number.group(0)}）" if number else "")
    # The numbered lines may arrive on one line (copied from a web page): put each on its own line.
    text = re.sub(rf"(?<=[。\s：:])([{NUMERALS}]{{1,2}}、)", r"\n\1", text)
    seen: dict[date, NoticeDay] = {}
    for line in text.splitlines():
        section = SECTION.match(line)
        if not section:
            continue
        name = section.group("name").strip()
        if not TOKEN.search(section.group("body")):
            continue
        reading.sections.append(name)
        for sentence in _sentences(section.group("body")):
            _read_sentence(sentence, name, reading, seen, year)
    if not reading.sections:
        raise DomainError("没有从粘贴的文字中识别出放假安排：请粘贴通知中“一、元旦：……”等各条原文。", field="notice")
    reading.holidays.sort(key=lambda d: d.day)
    reading.workdays.sort(key=lambda d: d.day)
    for d in reading.workdays:
        if d.day.weekday() < 5:
            reading.warnings.append(f"{d.day:%Y年%-m月%-d日}（{d.name}）是周一至周五，本来就上班，未作为调休上班日。")
    reading.workdays = [d for d in reading.workdays if d.day.weekday() >= 5]
    return reading


def _read_sentence(sentence: str, name: str, reading: NoticeReading, seen: dict, year: int) -> None:
    tokens = list(TOKEN.finditer(sentence))
    if not tokens:
        return
    pending: list[list[date]] = []
    month = None
    for i, token in enumerate(tokens):
        try:
            first = _day(token, "a", default_year=year, default_month=month)
            month = first.month
            if token.group("bd"):
                last = _day(token, "b", default_year=first.year, default_month=first.month)
                if last < first:  # "12月30日至1月1日" without years: the range crosses into the next year
                    last = date(last.year + 1, last.month, last.day)
            else:
                last = first
        except ValueError:
            reading.warnings.append(f"“{token.group(0)}”不是有效日期，已跳过（{name}）。")
            continue
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        pending.append(days)
        between = sentence[token.end() : tokens[i + 1].start() if i + 1 < len(tokens) else len(sentence)]
        kind = _keyword(between)
        if kind is None:
            if re.fullmatch(r"[\s、和及与,，]*", between):
                continue  # "1月26日（周日）、2月8日（周六）上班": the keyword comes after the list
            reading.ignored.append(f"{name}：{sentence}。")
            pending = []
            continue
        total = TOTAL.search(between)
        for group in pending:
            if kind == "off" and total and len(pending) == 1 and int(total.group(1)) != len(group):
                reading.warnings.append(
                    f"{name}：{group[0]:%-m月%-d日}起共 {len(group)} 天，与通知所写“共{total.group(1)}天”不一致，请核对。"
                )
            for day in group:
                entry = NoticeDay(day=day, name=name, working=kind == "on")
                if day in seen and seen[day].working != entry.working:
                    reading.warnings.append(f"{day:%Y年%-m月%-d日}在通知中既放假又上班，请核对。")
                    continue
                if day not in seen:
                    seen[day] = entry
                    (reading.workdays if entry.working else reading.holidays).append(entry)
        pending = []


def _keyword(text: str) -> str | None:
    """ "off" for 放假/补休, "on" for 上班 — whichever comes first in `text`; None if neither."""
    found = [(text.find(k), kind) for k, kind in (("放假", "off"), ("补休", "off"), ("上班", "on")) if k in text]
    return min(found)[1] if found else None
