"""Pages with agreed matters cost a fixed number of queries, whatever the number of matters."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.services.minutes import minutes_issue, minutes_review, minutes_save, minutes_submit

from .conftest import matter


def test_minutes_pages_and_api_do_not_grow_with_the_number_of_matters(users, held_meeting, unit, client_for):
    counts = {}
    for n in (2, 10):
        minutes = held_meeting(title=f"会议{n}").minutes
        minutes_save(
            minutes=minutes,
            title="纪要",
            summary="",
            by=users["office"],
            matters=[matter(f"事项{i}", ["zjt"], ["mzt"]) for i in range(n)],
        )
        minutes_submit(minutes=minutes, by=users["office"])
        for code, who in (("mzt", "liaison_mzt"), ("zjt", "liaison_zjt"), ("gat", "liaison_gat")):
            minutes_review(minutes=minutes, unit=unit(code), agree=True, by=users[who])
        minutes_issue(minutes=minutes, doc_number=f"黔绿社联〔2026〕{n}号", by=users["office"])
        client = client_for(users["liaison_mzt"])
        pages = {
            "minutes": reverse("meetings:minutes", args=[minutes.pk]),
            "print": reverse("meetings:minutes_print", args=[minutes.pk]),
            "api minutes": f"/api/v1/minutes/{minutes.pk}/",
            "api matters": "/api/v1/agreed-matters/",
        }
        for name, url in pages.items():
            with CaptureQueriesContext(connection) as q:
                assert client.get(url).status_code == 200
            counts.setdefault(name, []).append(len(q))
    assert all(a == b for a, b in counts.values()), counts
