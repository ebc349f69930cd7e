"""我的通知 and the header badge; mail discipline (header-safe subjects, absolute links from SITE_URL,
guests through the outbox); 催办's cool-down and its report of who was reached."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.errors import Conflict
from deadlines import outbox
from deadlines.events import EVENTS, REMINDER_KINDS, event_notify, kind_choices
from deadlines.models import Message
from deadlines.reminders import notify
from deadlines.services.obligations import subject_press
from members.models import MemberUnit
from tasks import services as fs
from tasks.models import Assignment

from .servers import SmtpSink

CST = dt.timezone(dt.timedelta(hours=8))
# Kinds as the outbox has written them over time: catalogue codes, numbered variants, reminder kinds.
RAW_KINDS = list(
    dict.fromkeys([*EVENTS, *REMINDER_KINDS, "consult:1", "press:20261118", "before:3", "overdue:4", "revision:2"])
)


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _notice(user, kind="dispatched", title="【交办】推进改造", url="/items/1/", **extra):
    notify(
        users=[user],
        subject=f"test:{kind}",
        kind=kind,
        title=title,
        body=f"内容 {title}",
        url=url,
        channels=["inapp"],
        **extra,
    )
    return Message.objects.filter(recipient=user, kind=kind).latest("id")


def test_every_kind_shows_in_chinese_never_as_a_code(users, client_for):
    liaison = users["liaison_mzt"]
    for kind in RAW_KINDS:
        _notice(liaison, kind=kind, title="通知标题")
    page = client_for(liaison).get("/deadlines/notifications/").content.decode()
    text = visible_text(page)
    for kind in RAW_KINDS:
        assert not re.search(rf"(?<![\w/]){re.escape(kind)}(?![\w])", text), kind
    labels = dict(kind_choices())
    assert all(labels[k] in text for k in EVENTS)
    assert text.count("内容 通知标题") == len(RAW_KINDS)


def test_badge_on_every_page_is_one_query_and_counts_only_mine(users, client_for):
    liaison, other = users["liaison_mzt"], users["liaison_zjt"]
    for n in range(3):
        _notice(liaison, kind=f"dispatched:{n}")
    _notice(other)
    client = client_for(liaison)
    for url in ("/items/inbox/", "/mechanism/", "/deadlines/"):
        assert 'data-unread="3"' in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as few:
        client.get("/mechanism/")
    for n in range(3, 40):
        _notice(liaison, kind=f"dispatched:{n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/mechanism/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert 'data-unread="40"' in page
    assert "data-unread" not in client_for(users["outsider"]).get("/mechanism/").content.decode()


def test_mark_one_and_all_read_only_mine(users, client_for):
    liaison, other = users["liaison_mzt"], users["liaison_zjt"]
    a = _notice(liaison, kind="dispatched")
    b = _notice(liaison, kind="revision", url="/items/2/")
    c = _notice(liaison, kind="issued", title="纪要印发：1号纪要")
    theirs = _notice(other, kind="dispatched")
    client = client_for(liaison)
    assert client.get(f"/deadlines/notifications/{a.pk}/read/").status_code == 405
    assert client.post(f"/deadlines/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # "查看并标为已读" goes straight to the object
    r = client.post(f"/deadlines/notifications/{b.pk}/read/", {"next": "open"})
    assert r.status_code == 302 and r["Location"] == "/items/2/"
    b.refresh_from_db()
    assert b.read_at is not None
    # the filter by kind shows one kind; "mark all" in it marks only that kind
    page = visible_text(client.get("/deadlines/notifications/", {"kind": "issued"}).content.decode())
    assert "纪要印发" in page and "交办" not in page.split("未读")[-1]
    client.post("/deadlines/notifications/read-all/", {"kind": "issued"})
    c.refresh_from_db()
    a.refresh_from_db()
    assert c.read_at is not None and a.read_at is None
    client.post("/deadlines/notifications/read-all/")
    a.refresh_from_db()
    theirs.refresh_from_db()
    assert a.read_at is not None and theirs.read_at is None
    assert "data-unread" not in client.get("/mechanism/").content.decode()


def test_marking_read_needs_the_csrf_token(users):
    m = _notice(users["liaison_mzt"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["liaison_mzt"])
    assert client.post(f"/deadlines/notifications/{m.pk}/read/").status_code == 403
    assert client.post("/deadlines/notifications/read-all/").status_code == 403
    m.refresh_from_db()
    assert m.read_at is None


def test_a_title_with_a_line_break_goes_out_with_an_absolute_link(users, settings):
    liaison = users["liaison_mzt"]
    liaison.email = "liaison_mzt@example.gov.cn"
    liaison.save()
    settings.SITE_URL = "https://lxhy.example.gov.cn/"
    with SmtpSink() as smtp:
        settings.DEADLINES_EMAIL_URL = smtp.url
        notify(
            users=[liaison],
            subject="item:9",
            kind="dispatched",
            title="【交办】第一行\r\n第二行\n",
            body="请办理。",
            url="/items/9/",
            channels=["email"],
        )
        for message_id in outbox.due_ids():
            assert outbox.message_deliver(message_id=message_id) == "sent"
        assert len(smtp.messages) == 1
        mail = smtp.messages[0]
    assert mail["subject"] == "【交办】第一行 第二行"
    body = mail["mail"].get_payload(decode=True).decode()
    assert "https://lxhy.example.gov.cn/items/9/" in body and "localhost" not in body


def test_guests_mail_goes_through_the_outbox(users, django_capture_on_commit_callbacks):
    from django.core import mail

    from meetings.models import Meeting

    meeting = Meeting.objects.create(
        mechanism=MemberUnit.objects.first().mechanism,
        title="专题会",
        topics="议题",
        reasons="理由",
        proposed_by=users["office"],
        place="会议室",
        chair="陈维明",
    )
    guest = type("Guest", (), {"email": "li@example.org"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event_notify(
            event="invitation",
            obj=meeting,
            by=users["office"],
            units=[],
            guests=[guest],
            when=dt.datetime(2026, 3, 10, 9, tzinfo=CST),
        )
    row = Message.objects.get(address="li@example.org")
    assert row.recipient is None and row.channel == "email" and row.status == "sent" and row.url == ""
    assert [m.to for m in mail.outbox] == [["li@example.org"]] and "会议通知" in mail.outbox[0].subject


@pytest.fixture
def overdue_share(users):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=CST), tick=False):
        item = fs.item_dispatch(
            by=users["office"],
            title="推进改造",
            content="请办理。",
            source="ad_hoc",
            lead_units=[MemberUnit.objects.get(code="zjt")],
            participating_units=[MemberUnit.objects.get(code="gat")],
            due_date=dt.date(2026, 3, 6),
        )
    return item


def test_press_has_a_cool_down_of_one_working_day_and_reports_who_was_reached(users, overdue_share, settings):
    lead = Assignment.objects.get(item=overdue_share, unit__code="zjt")
    subject = f"task:{lead.pk}"
    liaison = users["liaison_zjt"]
    liaison.email = "zjt@example.gov.cn"
    liaison.save()
    with time_machine.travel(dt.datetime(2026, 3, 13, 10, tzinfo=CST), tick=False):  # a Friday
        result = subject_press(subject=subject, by=users["office"])
        assert result.reached == [("蔡立智", ["站内通知", "电子邮件"])]
        assert "已催办" in result.summary() and "蔡立智（站内通知、电子邮件）" in result.summary()
        with pytest.raises(Conflict, match="每 1 个工作日只催办一次"):
            subject_press(subject=subject, by=users["convener"])
    with time_machine.travel(dt.datetime(2026, 3, 14, 10, tzinfo=CST), tick=False):  # Saturday: same working day
        with pytest.raises(Conflict):
            subject_press(subject=subject, by=users["office"])
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=CST), tick=False):  # Monday
        assert subject_press(subject=subject, by=users["office"]).rows == 2
    settings.DEADLINES_PRESS_COOLDOWN_WORKING_DAYS = 0
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, 5, tzinfo=CST), tick=False):
        assert subject_press(subject=subject, by=users["office"]).rows == 2


def test_press_page_says_so_in_chinese_and_names_an_unreachable_unit(users, overdue_share, client_for):
    from members.models import User

    gat = Assignment.objects.get(item=overdue_share, unit__code="gat")
    User.objects.filter(username="liaison_gat").update(is_active=False)
    office = client_for(users["office"])
    with time_machine.travel(dt.datetime(2026, 3, 13, 10, tzinfo=CST), tick=False):
        r = office.post("/deadlines/press/", {"subject": f"task:{gat.pk}"}, follow=True)
        assert "省公安厅无人可达" in r.content.decode()
        lead = Assignment.objects.get(item=overdue_share, unit__code="zjt")
        office.post("/deadlines/press/", {"subject": f"task:{lead.pk}"})
        again = office.post("/deadlines/press/", {"subject": f"task:{lead.pk}"}, follow=True).content.decode()
        assert "只催办一次" in again
        board = office.post("/dashboard/press/", follow=True).content.decode()
        assert "1 个单位无人可达：省公安厅" in board and "蔡立智（站内通知）" in board


def test_the_migration_mends_titles_of_mails_not_yet_sent(users):
    import importlib

    from django.apps import apps

    mend = importlib.import_module("deadlines.migrations.0003_message_titles_one_line").mend
    stuck = Message.objects.create(
        subject="item:1",
        kind="dispatched",
        recipient=users["liaison_mzt"],
        channel="email",
        period="p",
        address="a@example.gov.cn",
        title="第一行\r\n第二行",
        body="…",
    )
    sent = Message.objects.create(
        subject="item:1",
        kind="dispatched",
        recipient=users["liaison_zjt"],
        channel="email",
        period="p",
        address="b@example.gov.cn",
        title="旧\n标题",
        body="…",
        status="sent",
    )
    mend(apps, None)
    stuck.refresh_from_db()
    sent.refresh_from_db()
    assert stuck.title == "第一行 第二行" and sent.title == "旧\n标题"
