"""一键催办 through the reminder engine's outbox; the ledger and 情况通报; the private iCal feed."""

import datetime as dt
from collections import Counter
from io import BytesIO

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from core.models import AuditEntry
from dashboard.models import FeedToken
from dashboard.services import PRESS_SUBJECT, feed_token_create, overdue_press_all
from deadlines.models import Message

from .conftest import TODAY

pytestmark = pytest.mark.django_db


# --- 催办 -----------------------------------------------------------------------------------------


def _press_rows():
    return Message.objects.filter(subject__startswith=f"{PRESS_SUBJECT}:")


def test_press_all_writes_one_row_per_recipient_and_channel_once_a_day(dataset, users, client_for):
    client = client_for(users["convener"])
    response = client.post("/dashboard/press/", follow=True)
    assert "已向 2 个逾期单位" in response.content.decode()
    rows = list(_press_rows())
    # Overdue today: 省民政厅 (one obligation) and 省住房城乡建设厅 (an obligation and a task); the
    # cities and 省公安厅 have nothing overdue. Their liaisons are the recipients.
    assert {m.recipient for m in rows} == {users["liaison_mzt"], users["liaison_zjt"]}
    per = Counter((m.recipient_id, m.channel) for m in rows)
    assert set(per.values()) == {1}
    assert {m.channel for m in rows} >= {Message.INAPP}
    assert all(m.kind == "press:20261118" and m.period == "2026-11-18" for m in rows)
    zjt = next(m for m in rows if m.recipient == users["liaison_zjt"] and m.channel == Message.INAPP)
    assert "2 项已逾期" in zjt.title and "测试4期" in zjt.body and "HYPERLINK" in zjt.body
    # A second click the same day writes nothing and says so.
    again = client.post("/dashboard/press/", follow=True).content.decode()
    assert "今天已向这 2 个逾期单位催办过" in again
    assert _press_rows().count() == len(rows)
    assert AuditEntry.objects.filter(action="dashboard.press_all").count() == 2


def test_press_all_the_next_day_presses_again(dataset, users):
    first = overdue_press_all(by=users["office"], today=TODAY)
    second = overdue_press_all(by=users["office"], today=TODAY + dt.timedelta(days=1))
    assert (first.units, second.units) == (2, 3)  # 遵义市's report due on the 18th is overdue on the 19th
    assert first.created > 0 and second.created > first.created
    assert overdue_press_all(by=users["office"], today=TODAY).created == 0


def test_press_all_refused_for_a_liaison(dataset, users):
    from core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        overdue_press_all(by=users["liaison_mzt"])
    assert not _press_rows().exists()


# --- Exports --------------------------------------------------------------------------------------


def test_ledger_contents_and_formula_escaping(dataset, users, client_for):
    response = client_for(users["office"]).get("/dashboard/ledger.xlsx", {"metric": "late", "quarter": "2026Q4"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "督办事项和报送任务台账"
    assert "2026年第四季度" in values[1][0] and "共 3 条" in values[1][0]
    assert values[2][:4] == ("序号", "类别", "事项", "责任单位")
    data = values[3:]
    assert len(data) == 3
    titles = {r[2] for r in data}
    assert '\'=HYPERLINK("http://evil","点我")' in titles  # typed formula defused
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            assert cell.data_type != "f"
            assert not (isinstance(cell.value, str) and cell.value[:1] in "=+-@")
    assert {r[3] for r in data} == {"省民政厅", "省住房城乡建设厅"}


def test_notice_drafts_the_quarter(dataset, users, client_for):
    html = client_for(users["convener"]).get("/dashboard/notice/", {"quarter": "2026Q3"}).content.decode()
    assert "2026年第三季度督办工作情况通报" in html
    assert "共 4 项，按时办结 2 项，逾期办结或尚未办结 2 项，按时办结率 50.0%" in html
    assert "省民政厅等 1 个单位全部按时办结" in html
    assert "省公安厅（1 项）" in html and "贵阳市" in html
    assert client_for(users["convener"]).get("/dashboard/notice/", {"quarter": "2020Q1"}).status_code == 404


def test_dashboard_draws_the_on_time_rate_per_unit_with_its_numbers(dataset, users, client_for):
    html = client_for(users["convener"]).get("/dashboard/").content.decode()
    chart = html.split('<svg class="chart chart-lines"')[1].split("</svg>")[0]
    assert "数据见下表" in chart and "省民政厅" in chart and "<polyline" in chart or "<circle" in chart
    # the overdue trend has its numbers in a table for screen readers and printing
    assert "<caption>逾期事项季度趋势（件）</caption>" in html


def test_notice_as_a_word_document(dataset, users, client_for):
    import io

    from docx import Document

    response = client_for(users["convener"]).get("/dashboard/notice.docx", {"quarter": "2026Q3"})
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0].endswith("办公室") and "〔" in texts[1]  # 版头 and a 文号 to fill in
    assert "关于2026年第三季度督办工作情况的通报" in texts
    assert [t for t in texts if t[:2] in {"一、", "二、", "三、", "四、", "五、"}] == [
        "一、总体情况",
        "二、按时办结情况",
        "三、经验做法和通报表扬",
        "四、存在的问题",
        "五、下一步工作要求",
    ]
    assert any("共 4 项，按时办结 2 项，逾期办结或尚未办结 2 项，按时办结率 50.0%" in t for t in texts)
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "单位", "应办结", "按时办结", "逾期或未办结", "按时办结率"]
    assert any(row.cells[1].text == "省民政厅" for row in table.rows[1:])
    assert client_for(users["convener"]).get("/dashboard/notice.docx", {"quarter": "2020Q1"}).status_code == 404
    assert client_for(users["liaison_mzt"]).get("/dashboard/notice.docx").status_code in (403, 404)


# --- iCal -----------------------------------------------------------------------------------------


def _feed(client, token):
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return {str(ev["uid"]): ev for ev in cal.walk("VEVENT")}


def test_feed_parses_and_holds_only_the_units_deadlines(dataset, users, client, client_for):
    page = client_for(users["liaison_mzt"])
    page.post("/dashboard/calendar/", {"action": "create"})
    token = FeedToken.objects.get(user=users["liaison_mzt"], revoked_at__isnull=True).token
    assert token in page.get("/dashboard/calendar/").content.decode()
    events = _feed(client, token)  # no session: the token is the credential
    o, a = dataset["o"], dataset["a"]
    assert {f"obligation-{o[n].pk}@joint-meeting" for n in (1, 2, 3)} <= set(events)
    assert f"assignment-{a[1].pk}@joint-meeting" in events and f"assignment-{a[4].pk}@joint-meeting" in events
    assert f"obligation-{o[4].pk}@joint-meeting" not in events  # 住建厅's
    assert f"assignment-{a[3].pk}@joint-meeting" not in events
    assert f"obligation-{o[8].pk}@joint-meeting" not in events  # a year back: outside the window
    ev = events[f"assignment-{a[1].pk}@joint-meeting"]
    assert ev.decoded("dtstart") == dt.date(2026, 11, 24) and "改造老旧小区" in str(ev["summary"])


def test_feed_follows_a_moved_date(dataset, users, client):
    token = feed_token_create(user=users["liaison_mzt"], by=users["liaison_mzt"]).token
    a1 = dataset["a"][1]
    a1.due_date = dt.date(2026, 12, 24)
    a1.save()
    ev = _feed(client, token)[f"assignment-{a1.pk}@joint-meeting"]
    assert ev.decoded("dtstart") == dt.date(2026, 12, 24)


def test_feed_includes_meetings_of_the_unit(dataset, users, client, mechanism):
    from django.utils import timezone

    from meetings.models import Meeting, MeetingUnit

    m = Meeting.objects.create(
        mechanism=mechanism,
        title="第三次全体会议",
        topics="议题",
        reasons="理由",
        proposed_by=users["office"],
        status=Meeting.Status.SCHEDULED,
        starts_at=timezone.now() + dt.timedelta(days=7),
        place="省住建厅会议室",
    )
    MeetingUnit.objects.create(meeting=m, unit=dataset["units"]["mzt"])
    mine = feed_token_create(user=users["liaison_mzt"], by=users["liaison_mzt"]).token
    theirs = feed_token_create(user=users["liaison_gat"], by=users["liaison_gat"]).token
    assert f"meeting-{m.pk}@joint-meeting" in _feed(client, mine)
    assert f"meeting-{m.pk}@joint-meeting" not in _feed(client, theirs)


def test_revoked_replaced_and_unknown_tokens_are_404(dataset, users, client, client_for):
    page = client_for(users["liaison_mzt"])
    first = feed_token_create(user=users["liaison_mzt"], by=users["liaison_mzt"])
    second = feed_token_create(user=users["liaison_mzt"], by=users["liaison_mzt"])
    assert client.get(f"/calendar/{first.token}.ics").status_code == 404  # replaced
    assert client.get(f"/calendar/{second.token}.ics").status_code == 200
    page.post("/dashboard/calendar/", {"action": "revoke", "token": second.pk})
    assert client.get(f"/calendar/{second.token}.ics").status_code == 404  # revoked
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_a_user_cannot_revoke_another_users_address(dataset, users, client, client_for):
    theirs = feed_token_create(user=users["liaison_zjt"], by=users["liaison_zjt"])
    response = client_for(users["liaison_mzt"]).post("/dashboard/calendar/", {"action": "revoke", "token": theirs.pk})
    assert response.status_code == 404
    assert client.get(f"/calendar/{theirs.token}.ics").status_code == 200


def test_notice_for_a_quarter_with_nothing_due_says_so(dataset, users, client_for):
    """2026Q1 is in range but nothing of the dataset fell due in it: the draft must not say that no
    unit finished everything on time."""
    html = client_for(users["convener"]).get("/dashboard/notice/", {"quarter": "2026Q1"}).content.decode()
    assert "没有到期应办结的督办事项和报送任务" in html and "本季度没有到期应办结的事项" in html
    assert "本季度没有全部按时办结的单位" not in html and "共 0 项" not in html
