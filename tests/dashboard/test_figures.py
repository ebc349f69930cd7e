"""Every figure of 督办总览 against the hand-computed data set in conftest.py, and the list behind it."""

import pytest

from dashboard import selectors
from dashboard.selectors import Filters, Quarter

from .conftest import EXPECTED, TODAY

pytestmark = pytest.mark.django_db


def _rows(data):
    return {r.key: r for r in data["member_rows"] + data["reporting_rows"]}


def _key(dataset, code):
    if code in dataset["units"]:
        return f"mu:{dataset['units'][code].pk}"
    return f"ru:{dataset['ru'][code].pk}"


def test_ladder_bounds_follow_the_working_day_calendar(frozen):
    b = selectors.ladder_bounds(TODAY)
    assert b.blue_until.isoformat() == "2026-11-23"  # Mon: 3 working days after Wed 18 Nov
    assert b.red_through.isoformat() == "2026-11-12"  # Thu: 4 working days overdue


def test_quarters():
    assert [q.code for q in selectors.recent_quarters(TODAY)] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert Quarter.parse("2026q4").end.isoformat() == "2026-12-31"
    assert Quarter(2026, 1).previous().code == "2025Q4"


@pytest.mark.parametrize("code", list(EXPECTED))
def test_unit_figures(dataset, code):
    data = selectors.dashboard(today=TODAY)
    row = _rows(data)[_key(dataset, code)]
    want = EXPECTED[code]
    for metric in selectors.UNIT_METRICS + selectors.CHANGE_METRICS:
        assert row.counts[metric] == want.get(metric, 0), metric
    assert row.colour == want["colour"]
    for q in ("2026Q4", "2026Q3"):
        due, ontime = want[q]
        got = row.quarters[q]
        assert (got["due"], got["ontime"], got["late"]) == (due, ontime, due - ontime), q
        assert got["rate"] == (round(100 * ontime / due, 1) if due else None)


def test_totals_and_trend(dataset):
    data = selectors.dashboard(today=TODAY)
    assert data["totals"]["open"] == 7
    assert data["totals"]["soon"] == 2
    assert data["totals"]["overdue"] == 3
    assert (data["totals"]["blue"], data["totals"]["yellow"], data["totals"]["red"]) == (2, 2, 2)
    trend = {t["quarter"].code: t for t in data["trend"]}
    assert (trend["2026Q4"]["due"], trend["2026Q4"]["ontime"], trend["2026Q4"]["late"]) == (5, 2, 3)
    assert (trend["2026Q3"]["due"], trend["2026Q3"]["ontime"], trend["2026Q3"]["late"]) == (4, 2, 2)
    assert trend["2026Q3"]["rate"] == 50.0 and trend["2026Q2"]["rate"] is None


def test_drill_down_lists_exactly_what_each_number_counts(dataset):
    """For every unit × metric the list behind the number has that many rows (same Q in both)."""
    data = selectors.dashboard(today=TODAY)
    for row in data["member_rows"] + data["reporting_rows"]:
        for metric in selectors.UNIT_METRICS + selectors.CHANGE_METRICS:
            listed = selectors.drill(Filters(metric=metric, unit=row.key), today=TODAY)
            assert listed["total"] == len(listed["rows"]) == row.counts.get(metric, 0), (row.name, metric)
        for q in data["quarters"]:
            for metric in selectors.QUARTER_METRICS:
                listed = selectors.drill(Filters(metric=metric, unit=row.key, quarter=q.code), today=TODAY)
                assert listed["total"] == row.quarters[q.code][metric], (row.name, metric, q.code)


def test_drill_down_names_the_rows(dataset):
    listed = selectors.drill(Filters(metric="late", quarter="2026Q4"), today=TODAY)
    titles = sorted(r["title"] for r in listed["rows"])
    assert titles == sorted(
        ["测试2期" + dataset["rule"].title, "测试4期" + dataset["rule"].title, dataset["items"][1].title]
    )
    red = selectors.drill(Filters(metric="red", unit=_key(dataset, "zjt")), today=TODAY)
    assert [r["colour"] for r in red["rows"]] == ["red"] and red["rows"][0][
        "url"
    ] == f"/items/{dataset['items'][1].pk}/"


@pytest.mark.parametrize(
    "query",
    [
        {"metric": "nonsense"},
        {"unit": "mu:999999"},
        {"unit": "xx:1"},
        {"metric": "due", "quarter": "2026Q9"},
        {"quarter": "abc", "metric": "late"},
    ],
)
def test_bad_filters_are_404(dataset, client_for, users, query):
    response = client_for(users["convener"]).get("/dashboard/list/", query)
    assert response.status_code == 404


def test_dashboard_page_shows_figures_and_links(dataset, client_for, users):
    html = client_for(users["convener"]).get("/dashboard/").content.decode()
    zjt = _key(dataset, "zjt")
    assert f'href="/dashboard/list/?metric=overdue&unit={zjt}">2</a>' in html
    assert f'href="/dashboard/list/?metric=red&unit={zjt}">1</a>' in html
    assert "ladder-red" in html and "<svg" in html and "一键催办" in html
    listed = client_for(users["convener"]).get("/dashboard/list/", {"metric": "overdue", "unit": zjt}).content.decode()
    assert "测试4期" in listed and "HYPERLINK" in listed and "改造老旧小区" not in listed


def test_query_count_does_not_grow_with_data(dataset, django_assert_num_queries, users, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["convener"])
    client.get("/dashboard/")  # the first request of a session reads the user's access once (members.access)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dashboard/").status_code == 200
    from .conftest import _as, _item, _ob

    for n in range(20):
        _ob(dataset["rule"], 100 + n, mu=dataset["units"]["gat"], due=TODAY)
        item = _item(f"加量{n}", TODAY, users["office"])
        _as(item, dataset["units"]["zjt"], due=TODAY)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/dashboard/").status_code == 200
    assert len(large) == len(small)
    assert len(small) <= 20
