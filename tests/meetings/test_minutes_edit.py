"""Editing minutes: dates come back as saved, agreed matters can be added without saving first."""

import pytest

from tests.formhtml import as_post, forms_in

pytestmark = pytest.mark.django_db


def test_minutes_returned_for_changes_are_saved_again_with_their_dates(world, users, client_for, unit):
    """The walk-through's case: a unit asks for changes; the office opens the draft and saves it as drawn."""
    from meetings import services

    draft = world["draft"]
    services.minutes_review(minutes=draft, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    services.minutes_review(minutes=draft, unit=unit("zjt"), agree=False, comment="请写明完成标准",
                            by=users["liaison_zjt"])
    draft.refresh_from_db()
    assert draft.status == "drafting"
    saved_due = draft.matters.get().due_date
    office = client_for(users["office"])
    page = office.get(f"/meetings/minutes/{draft.pk}/edit/").content.decode()
    [form] = [f for f in forms_in(page) if f["dates"]]
    assert ("m-0-due_date", "date", saved_due.isoformat()) in form["dates"]
    r = office.post(f"/meetings/minutes/{draft.pk}/edit/", as_post(form["fields"], save=""))
    assert r.status_code == 302, r.content.decode()[:3000]
    assert draft.matters.get().due_date == saved_due


