"""The page budget: every page and API list, for every kind of user, makes no more queries on a world
several times larger. Counts, not times — they do not drift with the machine's load.

The world grows through the bench generator (`generate_national_data --more`): items with their
shares and flow tasks, obligations, reminder rows, meetings and communities, in the deployment's
province and in a second one, spread over ten years of due days. The pages are found by walking the
URL resolver (as tests/test_no_server_errors.py does), plus the pages with an object or a filter in
the address that list rows (逾期督办 of one unit, the dashboard's drill-downs, an item, an obligation,
a meeting, a community). A page that makes one more query per row of data fails here.

Each page is visited twice at each size and the second visit counted, with the shared cache emptied
before it: per-process caches that fill once (a calendar year, the unit names) are warm, the
dashboard's 60-second figure cache is not (its figures are counted too). PostgreSQL only (the
generator writes with COPY); CI runs it there. docs/performance.md "The page budget"."""

import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community
from deadlines.models import Obligation
from meetings.models import Meeting
from members.models import MemberUnit
from tasks.models import Item
from tests.test_no_server_errors import _paths

ROLES = ["convener", "office", "liaison_mzt", "city_guiyang"]  # the administrator reads the convener's pages
# The first size is a few rows a page (a query made per row shows as growth once the pages fill up);
# the second adds ten times as much again: 11× the generated rows, full pages everywhere.
SMALL = {"items": 6, "tasks": 60, "obligations": 40, "messages": 60, "meetings": 3, "communities": 10}
GROWTH = 10
# A page may make a query or two more once it has something to show: Django skips the query of an
# empty page's slice, and 逾期督办 names the prefectures only once one of them is overdue. A query made
# per row shows as tens (a page going from a few rows to 50).
ALLOWANCE = 2
# Found by this test and not yet fixed (docs/open-work.md, issue 16): (role, address prefix). Any other
# page that grows fails.
KNOWN = {
    ("office", "/api/v1/obligations/"): "6 → 26 queries: something per row of the office's page",
    ("office", "/items/"): "an item page, 11 → 15",
    ("office", "/meetings/propose/"): "4 → 7",
    # The drill-downs list every row of the metric (not yet paged): 9 → 12 in one run of two.
    ("office", "/dashboard/list/"): "9 → 12",
    ("convener", "/dashboard/list/"): "as the office's",
}
# Not pages: sign-out ends the session the walk uses; the rest are files or machine endpoints whose
# size is fixed by design and tested beside them.
SKIP = re.compile(r"logout|/metrics|\.(xlsx|docx|pdf|ics|csv|zip)$|/schema|/i18n/")
METRICS = ["open", "soon", "overdue", "yellow", "red"]


def _grow(seed: int, factor: int) -> None:
    args = [f"--{name}={n * factor}" for name, n in SMALL.items()]
    call_command(
        "generate_national_data",
        "--provinces=2",
        f"--seed={seed}",
        "--more",
        *args,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def _urls(mechanism) -> list[str]:
    """Every parameterless page and API list, and the pages that take an object or a filter."""
    urls = [p for p in _paths() if "/1" not in p and not SKIP.search(p)]
    item = Item.objects.filter(mechanism=mechanism).order_by("due_date", "id").first()
    obligation = Obligation.objects.filter(rule__mechanism=mechanism).order_by("due_on", "id").first()
    meeting = Meeting.objects.filter(mechanism=mechanism).order_by("id").first()
    community = Community.objects.order_by("id").first()
    mzt = MemberUnit.objects.get(mechanism=mechanism, code="mzt")
    urls += [
        f"{reverse('deadlines:overdue')}?unit=mu:{mzt.pk}",
        f"{reverse('deadlines:obligations')}?status=all",
        f"{reverse('deadlines:obligations')}?status=all&page=2",
        *(f"{reverse('dashboard:list')}?metric={m}" for m in METRICS),
    ]
    for name, obj in (
        ("items:detail", item),
        ("item-detail", item),
        ("deadlines:obligation", obligation),
        ("obligation-detail", obligation),
        ("meetings:detail", meeting),
        ("communities:detail", community),
        ("community-detail", community),
    ):
        if obj is not None:
            urls.append(reverse(name, args=[obj.pk]))
    return urls


def _count(client, url) -> tuple[int, int]:
    client.get(url)  # warm the per-process caches
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    return status, len(queries)


def _walk(clients, urls) -> dict:
    return {(who, url): _count(client, url) for who, client in clients.items() for url in urls}


@pytest.mark.django_db
def test_no_page_makes_more_queries_on_more_data(require_postgres, mechanism, users, client_for):
    clients = {who: client_for(users[who]) for who in ROLES}
    for client in clients.values():
        client.raise_request_exception = False
    _grow(seed=1, factor=1)
    urls = _urls(mechanism)
    small = _walk(clients, urls)
    _grow(seed=2, factor=GROWTH)
    large = _walk(clients, urls)

    grown = {key: (small[key][1], large[key][1]) for key in small if large[key][1] > small[key][1] + ALLOWANCE}
    known = {key for key in grown if any(key[0] == who and key[1].startswith(prefix) for who, prefix in KNOWN)}
    grown = {key: counts for key, counts in grown.items() if key not in known}
    assert grown == {}, "\n".join(f"{who} {url}: {a} → {b} queries" for (who, url), (a, b) in sorted(grown.items()))
    # Not vacuous: the walk saw real pages with rows, for every role.
    answered = {who: sum(1 for (w, _), (status, _n) in large.items() if w == who and status == 200) for who in ROLES}
    assert all(n >= 10 for n in answered.values()), answered
    assert Item.objects.count() >= SMALL["items"] * (1 + GROWTH)
