"""Editing minutes: dates come back as saved, agreed matters can be added without saving first."""

import pytest

from tests.formhtml import as_post, forms_in

pytestmark = pytest.mark.django_db


def test_minutes_returned_for_changes_are_saved_again_with_their_dates(world, users, client_for, unit):
    """The walk-through's case: a unit asks for changes; the office opens the draft and saves it as drawn."""
    from meetings.services.minutes import minutes_review

    draft = world["draft"]
    minutes_review(minutes=draft, unit=unit("mzt"), agree=True, by=users["liaison_mzt"])
    minutes_review(minutes=draft, unit=unit("zjt"), agree=False, comment="请写明完成标准", by=users["liaison_zjt"])
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


def test_one_more_agreed_matter_without_saving_or_javascript(world, users, client_for, unit):
    from meetings.services.minutes import minutes_review

    draft = world["draft"]
    minutes_review(minutes=draft, unit=unit("mzt"), agree=False, comment="请增加两条", by=users["liaison_mzt"])
    minutes_review(minutes=draft, unit=unit("zjt"), agree=True, by=users["liaison_zjt"])
    draft.refresh_from_db()
    version = draft.version
    office = client_for(users["office"])
    url = f"/meetings/minutes/{draft.pk}/edit/"
    [form] = [f for f in forms_in(office.get(url).content.decode()) if f["dates"]]
    slots = len(form["dates"])
    data = as_post(form["fields"], add_matter="", **{"m-1-content": "第二条：建立台账"})
    r = office.post(url, data)
    assert r.status_code == 200
    [form] = [f for f in forms_in(r.content.decode()) if f["dates"]]
    assert len(form["dates"]) == slots + 1  # one more slot …
    assert ("m-1-content", "第二条：建立台账") in form["fields"]  # … and what was typed is still there
    draft.refresh_from_db()
    assert draft.version == version  # nothing saved yet
    zjt = str(unit("zjt").pk)
    data = as_post(
        form["fields"],
        save="",
        **{
            f"m-{slots}-content": "第三条：开展评估",
            f"m-{slots}-due_date": "2026-06-30",
            f"m-{slots}-lead_units": zjt,
            f"m-{slots}-done_criteria": "评估报告",
            "m-1-done_criteria": "台账建立",
            "m-1-due_date": "2026-05-31",
            "m-1-lead_units": zjt,
        },
    )
    r = office.post(url, data)
    assert r.status_code == 302, (
        r.context["form"].errors,
        r.context["formset"].errors,
        [str(m) for m in r.context["messages"]],
    )
    assert [m.content for m in draft.matters.order_by("number")] == ["推进改造", "第二条：建立台账", "第三条：开展评估"]
