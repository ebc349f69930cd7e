"""督导检查: plan → finding with photos → rectification item through the item flow → 办结 closes the
finding → the inspection's closure rate; who may see and do what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from inspections import services
from inspections.inbox import pending_for
from inspections.models import Finding, Inspection
from tasks import services as fs
from tasks.models import Assignment, Item
from tests.conftest import verified_login

from .conftest import photo, unit

pytestmark = pytest.mark.django_db


def _close(item, users, liaison="liaison_zjt"):
    """The lead unit claims and reports; the office accepts (办结)."""
    from tasks import services as ts

    a = Assignment.objects.get(item=item, unit__code="zjt")
    ts.assignment_claim(assignment=a, by=users[liaison])
    a.refresh_from_db()
    fs.assignment_submit(assignment=a, result="已完成整改，照片附后。", version=a.version, by=users[liaison])
    item.refresh_from_db()
    return fs.item_accept(item=item, version=item.version, by=users["office"])


def test_finding_becomes_a_rectification_item_whose_closing_closes_the_finding(users, inspection):
    due = timezone.localdate() + timedelta(days=30)
    f1 = services.finding_record(
        inspection=inspection,
        description="垃圾分类投放点无分类标识",
        location="3栋旁",
        photos=[photo(), photo("第二张.png".replace(".png", ".jpg"))],
        by=users["liaison_gat"],
    )
    assert f1.status == Finding.Status.RECORDED and f1.number == 1 and f1.photos.count() == 2
    assert f1.item_id is None  # a team member records; the office issues
    f2 = services.finding_record(
        inspection=inspection, description="雨水花园积水", by=users["office"], lead_unit=unit("zjt"), due_date=due
    )
    assert f2.status == Finding.Status.RECTIFYING  # the office records and issues at once
    f1 = services.finding_issue(finding=f1, lead_unit=unit("zjt"), due_date=due, by=users["office"])
    item = f1.item
    assert item.source == Item.Source.INSPECTION and item.due_date == due
    assert "垃圾分类投放点无分类标识" in item.content and "贵阳市" in item.content
    assert list(Assignment.objects.filter(item=item).values_list("unit__code", "role")) == [("zjt", "lead")]
    inspection.refresh_from_db()
    assert (inspection.findings_count, inspection.closed_count, inspection.closure_rate) == (2, 0, 0)

    _close(item, users)
    f1.refresh_from_db()
    inspection.refresh_from_db()
    assert f1.status == Finding.Status.CLOSED and f1.closed_at is not None
    assert (inspection.findings_count, inspection.closed_count, inspection.closure_rate) == (2, 1, 0.5)
    f2.refresh_from_db()
    assert f2.status == Finding.Status.RECTIFYING


def test_an_item_returned_for_revision_does_not_close_the_finding(users, inspection):
    f = services.finding_record(
        inspection=inspection,
        description="问题",
        by=users["office"],
        lead_unit=unit("zjt"),
        due_date=timezone.localdate() + timedelta(days=10),
    )
    from tasks import services as ts

    a = Assignment.objects.get(item=f.item, unit__code="zjt")
    ts.assignment_claim(assignment=a, by=users["liaison_zjt"])
    a.refresh_from_db()
    fs.assignment_submit(assignment=a, result="已整改", version=a.version, by=users["liaison_zjt"])
    item = Item.objects.get(pk=f.item_id)
    fs.item_return_for_revision(item=item, reason="照片不清", version=item.version, by=users["office"])
    f.refresh_from_db()
    assert f.status == Finding.Status.RECTIFYING


def test_who_may_record_issue_and_finish(users, inspection):
    with pytest.raises(NotAllowed):
        services.finding_record(inspection=inspection, description="x", by=users["liaison_mzt"])
    f = services.finding_record(inspection=inspection, description="x", by=users["liaison_gat"])
    with pytest.raises(NotAllowed):
        services.finding_issue(finding=f, lead_unit=unit("zjt"), due_date=timezone.localdate(), by=users["liaison_gat"])
    with pytest.raises(DomainError, match="办理时限不能早于今天"):
        services.finding_issue(
            finding=f, lead_unit=unit("zjt"), due_date=timezone.localdate() - timedelta(days=1), by=users["office"]
        )
    f.refresh_from_db()
    assert f.status == Finding.Status.RECORDED and f.item_id is None  # the refused issue wrote nothing
    services.inspection_finish(inspection=inspection, conclusion="总体推进有序。", by=users["liaison_gat"])
    with pytest.raises(Conflict, match="已结束"):
        services.finding_record(inspection=inspection, description="y", by=users["liaison_gat"])


def test_bad_photo_is_refused_in_chinese_and_nothing_is_recorded(users, inspection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("照片.jpg", b"not a jpeg", content_type="image/jpeg")
    with pytest.raises(DomainError, match="内容与扩展名"):
        services.finding_record(inspection=inspection, description="x", photos=[bad], by=users["liaison_gat"])
    assert not Finding.objects.exists()


def test_plan_rules(users, guiyang):
    today = timezone.localdate()
    with pytest.raises(NotAllowed):
        services.inspection_plan(
            title="t",
            starts_on=today,
            ends_on=today,
            team=[users["liaison_gat"]],
            leader=None,
            reporting_unit=guiyang,
            by=users["liaison_gat"],
        )
    with pytest.raises(DomainError, match="市州或社区"):
        services.inspection_plan(
            title="t", starts_on=today, ends_on=today, team=[users["liaison_gat"]], leader=None, by=users["office"]
        )
    with pytest.raises(DomainError, match="结束日期不能早于"):
        services.inspection_plan(
            title="t",
            starts_on=today,
            ends_on=today - timedelta(days=1),
            team=[users["liaison_gat"]],
            leader=None,
            reporting_unit=guiyang,
            by=users["office"],
        )
    with pytest.raises(DomainError, match="检查组成员"):
        services.inspection_plan(
            title="t", starts_on=today, ends_on=today, team=[], leader=None, reporting_unit=guiyang, by=users["office"]
        )


def test_inbox_pending_for(users, inspection, django_assert_max_num_queries):
    services.finding_record(inspection=inspection, description="待交办的问题", by=users["liaison_gat"])
    with django_assert_max_num_queries(1):
        office = pending_for(users["office"], limit=10)
    assert [(r["kind"], r["action"]) for r in office] == [("finding", "交办整改")]
    assert office[0]["title"] == f"{inspection.title} 问题1" and office[0]["unit"] == "贵阳市"
    with django_assert_max_num_queries(1):
        team = pending_for(users["liaison_gat"], limit=10)
    assert [(r["kind"], r["url"]) for r in team] == [("inspection", f"/inspections/{inspection.pk}/")]
    assert set(team[0]) == {"kind", "key", "title", "unit", "due_on", "url", "action"}
    assert pending_for(users["liaison_mzt"], limit=10) == []
    services.inspection_finish(inspection=inspection, conclusion="结束", by=users["office"])
    assert pending_for(users["liaison_gat"], limit=10) == []


def test_pages_and_access(users, inspection, client):
    f = services.finding_record(
        inspection=inspection, description="无分类标识", photos=[photo()], by=users["liaison_gat"]
    )
    photo_id = f.photos.get().pk
    for name in ("office", "convener", "liaison_gat", "city_guiyang"):
        c = verified_login(client.__class__(), users[name])
        for url in (
            "/inspections/",
            f"/inspections/{inspection.pk}/",
            f"/inspections/{inspection.pk}/report.docx",
            f"/inspections/photos/{photo_id}/",
        ):
            assert c.get(url).status_code == 200, (name, url)
    for name in ("liaison_mzt", "city_zunyi", "outsider"):
        c = verified_login(client.__class__(), users[name])
        for url in (
            f"/inspections/{inspection.pk}/",
            f"/inspections/{inspection.pk}/report.docx",
            f"/inspections/photos/{photo_id}/",
            f"/inspections/findings/{f.pk}/",
        ):
            assert c.get(url).status_code == 404, (name, url)
        assert c.post(f"/inspections/{inspection.pk}/findings/", {"description": "x"}).status_code == 404
        assert c.post(f"/inspections/findings/{f.pk}/issue/", {}).status_code == 404
    c = verified_login(client.__class__(), users["liaison_gat"])
    assert c.get("/inspections/plan/").status_code == 404
    page = c.get(f"/inspections/{inspection.pk}/").content.decode()
    assert f'action="/inspections/{inspection.pk}/findings/"' in page  # the team records
    assert f'action="/inspections/findings/{f.pk}/issue/"' not in page  # only the office issues
    assert (
        f'action="/inspections/findings/{f.pk}/issue/"'
        in verified_login(client.__class__(), users["office"]).get(f"/inspections/{inspection.pk}/").content.decode()
    )
    # The city sees its area's inspection but may not record or issue.
    city = verified_login(client.__class__(), users["city_guiyang"])
    assert city.post(f"/inspections/{inspection.pk}/findings/", {"description": "x"}).status_code == 403
    assert (
        city.post(
            f"/inspections/findings/{f.pk}/issue/",
            {f"f{f.pk}-lead_unit": unit("zjt").pk, f"f{f.pk}-due_date": "2099-01-01"},
        ).status_code
        == 403
    )


def test_recording_on_the_page_with_a_photo_and_a_bad_date(users, inspection, client):
    office = verified_login(client, users["office"])
    r = office.post(
        f"/inspections/{inspection.pk}/findings/",
        {"description": "楼道堆放杂物", "lead_unit": unit("zjt").pk, "due_date": "2026/13/01", "photos": [photo()]},
    )
    assert r.status_code == 400 and "楼道堆放杂物" in r.content.decode()  # nothing typed is lost
    assert not Finding.objects.exists()
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    r = office.post(
        f"/inspections/{inspection.pk}/findings/",
        {"description": "楼道堆放杂物", "lead_unit": unit("zjt").pk, "due_date": due, "photos": [photo()]},
    )
    assert r.status_code == 302
    f = Finding.objects.get()
    assert f.item_id and f.photos.count() == 1
    report = office.get(f"/inspections/{inspection.pk}/report.docx")
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from docx import Document

    text = "\n".join(p.text for p in Document(BytesIO(report.content)).paragraphs)
    assert "共发现问题 1 个，已整改销号 0 个，整改完成率 0%" in text


def test_plan_page(users, client, guiyang):
    office = verified_login(client, users["office"])
    assert office.get("/inspections/plan/").status_code == 200
    r = office.post(
        "/inspections/plan/",
        {
            "title": "专项检查",
            "reporting_unit": guiyang.pk,
            "starts_on": "2099-01-01",
            "ends_on": "2098-01-01",
            "team": [users["liaison_gat"].pk],
        },
    )
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()
    r = office.post(
        "/inspections/plan/",
        {
            "title": "专项检查",
            "reporting_unit": guiyang.pk,
            "starts_on": "2099-01-01",
            "ends_on": "2099-01-02",
            "team": [users["liaison_gat"].pk],
        },
    )
    assert r.status_code == 302
    i = Inspection.objects.get(title="专项检查")
    assert i.leader == users["liaison_gat"] and list(i.team.all()) == [users["liaison_gat"]]
