"""Every dashboard page × every role: overseers only; a liaison, member, city user or outsider gets
403 (and nothing is written); the calendar-feed page is each user's own."""

import pytest

from dashboard.models import FeedToken
from deadlines.models import Message

pytestmark = pytest.mark.django_db

OVERSEERS = {"convener", "deputy", "office", "admin"}
ROLES = [
    "convener",
    "deputy",
    "office",
    "member_mzt",
    "liaison_mzt",
    "liaison_zjt",
    "liaison_gat",
    "city_guiyang",
    "city_zunyi",
    "outsider",
    "admin",
]
PAGES = [
    "/dashboard/",
    "/dashboard/list/?metric=overdue",
    "/dashboard/ledger.xlsx?metric=open",
    "/dashboard/notice/",
    "/dashboard/list/?metric=ontime&quarter=2026Q4",
]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_by_role(dataset, users, client_for, role):
    client = client_for(users[role])
    for url in PAGES:
        assert client.get(url).status_code == (200 if role in OVERSEERS else 403), url
    press = client.post("/dashboard/press/")
    if role in OVERSEERS:
        assert press.status_code == 302
    else:
        assert press.status_code == 403
        assert not Message.objects.filter(subject__startswith="press-unit:").exists()
    assert client.get("/dashboard/calendar/").status_code == 200
    nav = client.get("/dashboard/calendar/").content.decode()
    assert ("督办总览" in nav) == (role in OVERSEERS)


def test_anonymous_is_sent_to_login(client):
    for url in PAGES + ["/dashboard/calendar/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_get_on_press_is_not_allowed(users, client_for):
    assert client_for(users["convener"]).get("/dashboard/press/").status_code == 405


def test_home_sends_the_convener_and_deputy_to_the_dashboard(users, client_for):
    assert client_for(users["convener"]).get("/")["Location"] == "/dashboard/"
    assert client_for(users["deputy"]).get("/")["Location"] == "/dashboard/"
    assert client_for(users["office"]).get("/")["Location"] == "/items/queue/"
    assert client_for(users["liaison_mzt"]).get("/")["Location"] == "/items/inbox/"


def test_liaison_feed_never_shows_another_units_deadlines(dataset, users, client):
    from dashboard.services import feed_token_create

    token = feed_token_create(user=users["liaison_gat"], by=users["liaison_gat"]).token
    body = client.get(f"/calendar/{token}.ics").content.decode()
    assert "省民政厅" not in body and "测试2期" not in body
    assert FeedToken.objects.filter(user=users["liaison_gat"]).count() == 1
