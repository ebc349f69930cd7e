"""A county's return waits in its prefecture's 我的待办, never in the office's (docs/inbox.md, docs/counties.md)."""

import pytest

from tests.deadlines.test_counties import submitted, tree  # noqa: F401 — fixture and helper
from workflow.inbox import InboxFilters, inbox_page

pytestmark = pytest.mark.django_db


def _entries(user, kind):
    return inbox_page(user, InboxFilters(kind=kind)).entries


def test_county_returns_wait_for_the_prefecture_not_the_office(users, tree):  # noqa: F811
    shares = submitted(users, tree)
    mine = _entries(users["city_guiyang"], "county_return")
    assert sorted(e.pk for e in mine) == sorted(s.pk for s in shares)
    assert {e.verb for e in mine} == {"接收"} and {e.unit_name for e in mine} == {s.reporting_unit.name for s in shares}
    # The office receives the prefecture's consolidated answer, not the counties' returns.
    assert not {s.pk for s in shares} & {e.pk for e in _entries(users["office"], "report_accept")}
    assert "county_return" not in {k for k, _ in inbox_page(users["office"]).kinds}
    # Another prefecture sees none of them.
    assert _entries(users["city_zunyi"], "county_return") == []
    # The unit filter narrows to one county.
    one = shares[0].reporting_unit
    assert [
        e.pk for e in inbox_page(users["city_guiyang"], InboxFilters(kind="county_return", unit=f"ru:{one.pk}")).entries
    ] == [shares[0].pk]
