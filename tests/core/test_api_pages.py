"""API list pages: the page size is capped at 100; limit and offset beyond bigint answer a page, not 500."""

import pytest

from members.models import ReportingUnit
from tests.communities.conftest import bulk_communities

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def ledger(users):
    bulk_communities(ReportingUnit.objects.get(code="guiyang"), 150)
    return "/api/v1/communities/"


@pytest.mark.parametrize(
    "query, size",
    [
        ("", 50),
        ("?limit=1000", 100),
        (f"?limit={HUGE}", 100),
        ("?limit=" + "9" * 10_000, 100),
        ("?limit=abc", 50),
        ("?limit=-5", 50),
        ("?limit=0", 50),
        ("?limit=7", 7),
        ("?limit=100&offset=100", 50),
    ],
)
def test_the_page_size_is_capped(users, client_for, ledger, query, size):
    response = client_for(users["office"]).get(ledger + query)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 150 and len(body["results"]) == size


@pytest.mark.parametrize("offset", [HUGE, "9" * 10_000, "9223372036854775808"])
def test_an_offset_past_the_end_is_an_empty_page(users, client_for, ledger, offset):
    response = client_for(users["office"]).get(f"{ledger}?offset={offset}")
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [] and body["next"] is None and body["count"] == 150


def test_an_unreadable_cursor_is_a_bad_parameter_not_a_missing_page(users, client_for):
    response = client_for(users["liaison_mzt"]).get("/api/v1/tasks/?cursor=zz")
    assert response.status_code == 400
    assert "翻页参数无效" in str(response.json()["cursor"])
