"""List pages and the item page cost a fixed number of SQL queries, whatever the number of rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import services as fs, services as ts

pytestmark = pytest.mark.django_db


def count(client, url):
    client.get(url)  # warm per-process caches (content types, ladder)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def add_items(users, unit, n, start=0):
    for i in range(start, start + n):
        item = fs.item_dispatch(
            by=users["office"],
            title=f"事项{i}",
            content="c",
            source="ad_hoc",
            lead_units=[unit("mzt")],
            participating_units=[unit("zjt"), unit("gat")],
            due_date=dt.date(2026, 3, 10) + dt.timedelta(days=i),
        )
        ts.assignment_claim(assignment=item.assignments.get(unit__code="mzt"), by=users["liaison_mzt"])
    return item


def test_inbox_queue_and_api_lists_do_not_grow_with_rows(users, client_for, unit, frozen):
    liaison, office = client_for(users["liaison_mzt"]), client_for(users["office"])
    add_items(users, unit, 2)
    before = [
        count(liaison, "/items/inbox/"),
        count(office, "/items/queue/"),
        count(liaison, "/api/v1/tasks/"),
        count(office, "/api/v1/items/"),
    ]
    add_items(users, unit, 8, start=2)
    after = [
        count(liaison, "/items/inbox/"),
        count(office, "/items/queue/"),
        count(liaison, "/api/v1/tasks/"),
        count(office, "/api/v1/items/"),
    ]
    assert before == after


def test_item_page_does_not_grow_with_units_files_and_history(users, client_for, unit, frozen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    item = add_items(users, unit, 1)
    office = client_for(users["office"])
    before = count(office, f"/items/{item.pk}/")
    for code in ("zjt", "gat"):
        a = ts.assignment_claim(assignment=item.assignments.get(unit__code=code), by=users[f"liaison_{code}"])
        ts.attachment_add(assignment=a, upload=SimpleUploadedFile("a.pdf", b"%PDF-1"), by=users[f"liaison_{code}"])
        ts.comment_add(item=item, body="意见", by=users[f"liaison_{code}"])
    assert count(office, f"/items/{item.pk}/") == before
