"""What a walk-through of the item page found (issue 14): input lost, countdowns on finished work,
words that do not follow the state, refusals without reasons."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deadlines.ladder import countdown
from tasks import services as ts
from tasks.models import Assignment, Attachment
from tests.formhtml import as_post, forms_in
from workflow import services as fs

pytestmark = pytest.mark.django_db


def share(item, code):
    return item.assignments.exclude(status="rerouted").get(unit__code=code)


def work(a, user, text="已按要求办理。"):
    a = ts.assignment_claim(assignment=a, by=user)
    return fs.assignment_submit(assignment=a, result=text, version=a.version, by=user)


def finished_item(users, dispatch, **kw):
    item = dispatch(**kw)
    work(share(item, "mzt"), users["liaison_mzt"])
    work(share(item, "gat"), users["liaison_gat"])
    work(share(item, "zjt"), users["liaison_zjt"], "汇总")
    item.refresh_from_db()
    fs.item_accept(item=item, version=item.version, by=users["office"])
    item.refresh_from_db()
    return item


# --- 8. countdowns ---------------------------------------------------------------------------------


def test_countdown_words():
    today = dt.date(2026, 3, 2)
    assert countdown(dt.date(2026, 3, 18), today) == "剩余 16 天"
    assert countdown(today, today) == "今日到期"
    assert countdown(dt.date(2026, 2, 28), today) == "逾期 2 天"
    assert countdown(dt.date(2026, 3, 18), today, finished=True) == ""


def test_a_finished_item_does_not_count_down(users, dispatch, client_for):
    item = finished_item(users, dispatch)
    for who in ("office", "liaison_zjt", "liaison_mzt"):
        page = client_for(users[who]).get(f"/items/{item.pk}/").content.decode()
        assert not re.search(r"剩余 \d+ 天", page) and "已办结" in page, who
    queue = client_for(users["office"]).get("/items/queue/?status=all").content.decode()
    assert item.title in queue and not re.search(r"剩余 \d+ 天", queue)


def test_a_submitted_share_does_not_count_down_on_its_page(users, dispatch, client_for):
    item = dispatch(participating=("mzt",))
    work(share(item, "mzt"), users["liaison_mzt"])
    page = client_for(users["liaison_mzt"]).get(f"/items/{item.pk}/").content.decode()
    assert "剩余 16 天" not in page  # mzt's share is submitted; the lead's own date is not mzt's countdown


def test_due_today_says_due_today(users, dispatch, client_for, frozen):
    item = dispatch(due=frozen, contribution_due_date=frozen)
    c = client_for(users["liaison_zjt"])
    assert "今日到期" in c.get("/items/inbox/").content.decode()
    page = c.get(f"/items/{item.pk}/").content.decode()
    assert "今日到期" in page and "剩余 0 天" not in page
    queue = client_for(users["office"]).get("/items/queue/").content.decode()
    assert "今日到期" in queue and "剩余 0 天" not in queue
