"""A due day counted with weekends only (its year's holidays not entered) is marked wherever it is shown
— the list and detail for every role, the overdue board, the API — and the office is reminded on its
front page from 1 November; the office can paste the State Council's notice and have its holidays and
make-up workdays read for confirmation before saving."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine

from core.errors import DomainError
from deadlines.models import CalendarDay, CalendarYear, Obligation
from deadlines.notice import notice_parse
from deadlines.services.calendar import calendar_year_save
from deadlines.services.obligations import obligations_generate

TZ = ZoneInfo("Asia/Shanghai")
NOTICES = Path(__file__).parent / "notices"


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=TZ)


def notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


# --- Reading the notice --------------------------------------------------------------------------------


def package_days(year):
    off, on = set(), set()
    day = date(year, 1, 1)
    while day.year == year:
        if day.weekday() < 5 and not chinese_calendar.is_workday(day):
            off.add(day)
        if day.weekday() >= 5 and chinese_calendar.is_workday(day):
            on.add(day)
        day += timedelta(days=1)
    return off, on


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_notices_read_exactly_as_the_package_has_them(year):
    reading = notice_parse(notice(year), year=year)
    off = {d.day for d in reading.holidays if d.day.weekday() < 5}
    on = {d.day for d in reading.workdays}
    assert (off, on) == package_days(year)
    assert reading.note.startswith(f"国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔")
    assert not reading.warnings and not reading.other_years
    holidays, workdays = reading.form_text()
    assert len(holidays.splitlines()) == len(off) and len(workdays.splitlines()) == len(on)


def test_2026_as_the_notice_words_it():
    reading = notice_parse(notice(2026), year=2026)
    assert reading.sections == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    spring = [d.day for d in reading.holidays if d.name == "春节"]
    assert spring == [date(2026, 2, d) for d in range(15, 24)]  # 共9天, weekends included
    assert [(d.day, d.name) for d in reading.workdays][:1] == [(date(2026, 1, 4), "元旦")]
    holidays, workdays = reading.form_text()
    assert "2026-01-01 元旦" in holidays and "2026-01-03" not in holidays  # a Saturday off needs no line
    assert workdays.splitlines()[0] == "2026-01-04 元旦调休上班"


def test_2025_cross_month_range_and_a_shared_name():
    reading = notice_parse(notice(2025), year=2025)
    assert [d.day for d in reading.holidays if d.name == "端午节"] == [
        date(2025, 5, 31),
        date(2025, 6, 1),
        date(2025, 6, 2),
    ]
    assert [d.day for d in reading.holidays if d.name == "国庆节、中秋节"][-1] == date(2025, 10, 8)


def test_2024_encouraged_eve_is_not_a_holiday_and_is_shown():
    reading = notice_parse(notice(2024), year=2024)
    assert date(2024, 2, 9) not in {d.day for d in reading.holidays}
    assert reading.ignored == ["春节：鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息。"]


def test_cross_year_range_one_line_paste_and_compensatory_day():
    text = (
        "国务院办公厅关于2019年部分节假日安排的通知 经国务院批准，现将安排通知如下：一、元旦：2018年12月30日至2019年1月1日放假调休，"
        "共3天。2018年12月29日（星期六）上班。二、春节：2月4日至10日放假调休，共7天。2月2日（星期六）、2月3日（星期日）上班。"
        "三、清明节：4月5日放假，与周末连休。"
    )
    reading = notice_parse(text, year=2019)
    assert reading.sections == ["元旦", "春节", "清明节"]
    assert [d.day for d in reading.other_years] == [date(2018, 12, 29), date(2018, 12, 30), date(2018, 12, 31)]
    holidays, workdays = reading.form_text()
    assert holidays.splitlines()[0] == "2019-01-01 元旦" and "2018" not in holidays + workdays
    assert workdays.splitlines() == ["2019-02-02 春节调休上班", "2019-02-03 春节调休上班"]
    assert "2019-04-05 清明节" in holidays
    # 2017's style: a Sunday holiday compensated on Monday (补休)
    reading = notice_parse("一、元旦：1月1日放假，1月2日（星期一）补休。", year=2017)
    assert [d.day for d in reading.holidays] == [date(2017, 1, 1), date(2017, 1, 2)]
    # "12月30日至1月1日" without years crosses into the next year
    reading = notice_parse("一、元旦：12月30日至1月1日放假调休，共3天。", year=2019)
    assert [d.day for d in reading.holidays] == [date(2019, 12, 30), date(2019, 12, 31), date(2020, 1, 1)]


def test_wrong_year_nonsense_and_miscounted_ranges():
    with pytest.raises(DomainError, match="2026 年的通知，当前录入的是 2027 年"):
        notice_parse(notice(2026), year=2027)
    with pytest.raises(DomainError, match="没有从粘贴的文字中识别出放假安排"):
        notice_parse("今天天气很好。", year=2027)
    with pytest.raises(DomainError, match="请粘贴"):
        notice_parse("  ", year=2027)
    reading = notice_parse("一、劳动节：5月1日至4日放假调休，共5天。", year=2027)
    assert reading.warnings == ["劳动节：5月1日起共 4 天，与通知所写“共5天”不一致，请核对。"]


def test_office_pastes_the_notice_confirms_and_saves(users, client_for):
    c = client_for(users["office"])
    page = c.post(
        "/deadlines/calendar/2026/",
        {"action": "parse", "notice": notice(2026), "holidays": "", "workdays": "", "note": ""},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "从通知读取的安排（尚未保存）" in html
    assert "2026-02-16 春节" in html and "2026-10-10 国庆节调休上班" in html
    assert "国办发明电〔2025〕7号" in html
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()
    form = page.context["form"]
    saved = c.post(
        "/deadlines/calendar/2026/",
        {
            "action": "save",
            "holidays": form.data["holidays"],
            "workdays": form.data["workdays"],
            "note": form.data["note"],
        },
    )
    assert saved.status_code == 302
    off, on = package_days(2026)
    assert set(CalendarDay.objects.filter(is_working=False).values_list("day", flat=True)) == off
    assert set(CalendarDay.objects.filter(is_working=True).values_list("day", flat=True)) == on
    assert CalendarYear.objects.get(year=2026).note.startswith("国务院办公厅关于2026年部分节假日安排的通知")
    # A notice for another year is refused beside the box; what was typed stays.
    wrong = c.post(
        "/deadlines/calendar/2027/",
        {"action": "parse", "notice": notice(2026), "holidays": "2027-01-01 元旦", "workdays": "", "note": "x"},
    )
    html = wrong.content.decode()
    assert "2026 年的通知，当前录入的是 2027 年" in html and "2027-01-01 元旦" in html
    assert not CalendarYear.objects.filter(year=2027).exists()
    for who in ("liaison_mzt", "city_guiyang", "convener"):
        assert (
            client_for(users[who])
            .post("/deadlines/calendar/2026/", {"action": "parse", "notice": notice(2026)})
            .status_code
            == 404
        )


# --- The provisional mark wherever such a due day is shown ----------------------------------------------


def test_provisional_due_days_are_marked_for_every_role_and_in_the_api(mechanism, users, client_for):
    with time_machine.travel(at(2026, 9, 20), tick=False):
        obligations_generate()
    with time_machine.travel(at(2026, 12, 20), tick=False):
        obligations_generate()
        q4 = Obligation.objects.get(member_unit__code="mzt", period="2026Q4")
        q3 = Obligation.objects.get(member_unit__code="mzt", period="2026Q3")
        liaison = client_for(users["liaison_mzt"])
        listing = liaison.get("/deadlines/?status=all").content.decode()
        assert "暂按周末计算" in listing and "节假日安排缺失" in listing and "2027 年" in listing
        assert "将自动调整" in listing and "节假日日历</a>" not in listing
        detail = liaison.get(f"/deadlines/obligations/{q4.pk}/").content.decode()
        assert "暂按周末计算" in detail and "节假日安排缺失" in detail
        assert "暂按周末计算" not in liaison.get(f"/deadlines/obligations/{q3.pk}/").content.decode()
        convener = client_for(users["convener"]).get("/deadlines/?status=all").content.decode()
        assert "暂按周末计算" in convener
        city = client_for(users["city_guiyang"]).get("/deadlines/?status=all").content.decode()
        assert "节假日安排缺失" not in city  # nothing of theirs depends on 2027
        api = liaison.get("/api/v1/obligations/?limit=500").json()["results"]
        flags = {o["period"]: o["due_date_provisional"] for o in api}
        assert flags["2026Q4"] is True and flags["2026Q3"] is False
    with time_machine.travel(at(2027, 1, 8), tick=False):
        board = client_for(users["convener"]).get("/deadlines/overdue/").content.decode()
        assert "2027年1月5日" in board and "暂按周末计算" in board and "节假日安排缺失" in board
    calendar_year_save(year=2027, holidays="2027-01-01 元旦", workdays="", by=users["office"])
    api = client_for(users["liaison_mzt"]).get(f"/api/v1/obligations/{q4.pk}/").json()
    assert api["due_date_provisional"] is False


def test_office_front_page_warns_from_1_november(users, client_for):
    office = client_for(users["office"])
    with time_machine.travel(at(2026, 10, 31), tick=False):
        assert "请录入节假日安排" not in office.get("/", follow=True).content.decode()
    with time_machine.travel(at(2026, 11, 1), tick=False):
        html = office.get("/", follow=True).content.decode()
        assert "请录入节假日安排" in html and "2027 年" in html
        assert "请录入节假日安排" in client_for(users["admin"]).get("/", follow=True).content.decode()
        for who in ("liaison_mzt", "convener", "city_guiyang"):
            assert "请录入节假日安排" not in client_for(users[who]).get("/", follow=True).content.decode(), who
    calendar_year_save(year=2027, holidays="2027-01-01 元旦", workdays="", by=users["office"])
    with time_machine.travel(at(2026, 11, 2), tick=False):
        assert "请录入节假日安排" not in office.get("/", follow=True).content.decode()
