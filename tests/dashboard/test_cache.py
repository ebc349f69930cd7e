"""督办总览's figures are cached per mechanism for DASHBOARD_CACHE_SECONDS (docs/dashboard.md "Cache"):
a second view costs fewer queries; a save of what a figure counts shows at once; a write that sends
no signal (a bulk update) shows once the entry expires."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deadlines.models import Obligation

from .conftest import CST

pytestmark = pytest.mark.django_db


def _view(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    return response, len(queries)


def _overdue_owed(dataset):
    return Obligation.objects.filter(status__in=Obligation.OWED, due_on__lt=dt.date(2026, 11, 18)).order_by("pk")


def test_second_view_reads_the_cache(dataset, users, client_for, settings):
    client = client_for(users["convener"])
    settings.DASHBOARD_CACHE_SECONDS = 0
    _view(client)  # the first view of a session writes what later views only read
    first, first_queries = _view(client)
    settings.DASHBOARD_CACHE_SECONDS = 60
    _view(client)  # fills the cache
    second, second_queries = _view(client)
    assert second_queries < first_queries
    assert second.context["totals"] == first.context["totals"]
    assert second.context["totals"]["overdue"] == 3


def test_a_save_that_changes_a_figure_is_shown_at_once(dataset, users, client_for, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    client = client_for(users["convener"])
    before = _view(client)[0].context["totals"]
    ob = _overdue_owed(dataset).first()
    assert ob is not None
    ob.status, ob.is_late = Obligation.SUBMITTED, True
    ob.submitted_at = dt.datetime(2026, 11, 18, 9, tzinfo=CST)
    ob.save()
    after = _view(client)[0].context["totals"]
    assert after["overdue"] == before["overdue"] - 1


def test_a_write_without_signal_shows_after_expiry(dataset, users, client_for, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    client = client_for(users["convener"])
    before = _view(client)[0].context["totals"]["overdue"]
    Obligation.objects.filter(pk=_overdue_owed(dataset).first().pk).update(status=Obligation.SUBMITTED, is_late=True)
    assert _view(client)[0].context["totals"]["overdue"] == before  # still the cached figure
    with time_machine.travel(dt.datetime(2026, 11, 18, 10, 1, 1, tzinfo=CST), tick=False):
        assert _view(client)[0].context["totals"]["overdue"] == before - 1


def test_cache_off_reads_every_time(dataset, users, client_for, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client = client_for(users["convener"])
    _view(client)
    assert _view(client)[1] == _view(client)[1]
