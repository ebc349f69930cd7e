"""Issue 14: who fills in a self-assessment does not approve it as 市州审核; another person of the
prefecture, or the office, does."""

import pytest

from communities.services import assessment_review, assessment_save, assessment_start, assessment_submit
from core.errors import DomainError

from .conftest import ALL_MET

pytestmark = pytest.mark.django_db


def submitted(gy_community, by):
    a = assessment_start(community=gy_community, by=by)
    assessment_save(assessment=a, facts=ALL_MET, by=by)
    return assessment_submit(assessment=a, by=by)


def test_the_preparer_cannot_approve_their_own_assessment(users, gy_community, city2, client_for):
    city = users["city_guiyang"]
    a = submitted(gy_community, city)
    with pytest.raises(DomainError, match="须由本地区其他人员或联席会议办公室审核"):
        assessment_review(assessment=a, approve=True, by=city)
    page = client_for(city).get(f"/communities/assessments/{a.pk}/").content.decode()
    assert "审核通过" not in page and "须由本地区其他人员或联席会议办公室审核" in page
    r = client_for(city).post(f"/communities/assessments/{a.pk}/review/", {"decision": "approve"}, follow=True)
    a.refresh_from_db()
    assert a.status == "submitted" and "须由本地区其他人员或联席会议办公室审核" in r.content.decode()
    a = assessment_review(assessment=a, approve=True, by=city2)
    assert a.status == "reviewed"


def test_the_office_may_review_instead(users, gy_community):
    a = submitted(gy_community, users["city_guiyang"])
    assert assessment_review(assessment=a, approve=True, by=users["office"]).status == "reviewed"


def test_uploading_evidence_keeps_the_facts_being_filled_in(users, gy_community, client_for):
    """Issue 14 item 1 on the assessment page: the evidence input is part of the facts form."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.formhtml import forms_in

    city = users["city_guiyang"]
    a = assessment_start(community=gy_community, by=city)
    c = client_for(city)
    url = f"/communities/assessments/{a.pk}/"
    [form] = [f for f in forms_in(c.get(url).content.decode()) if f["files"]]
    assert form["attrs"].get("enctype") == "multipart/form-data" and "file" in form["files"]
    assert form["attrs"].get("action", "") in ("", url)  # the same form as the facts
    r = c.post(
        url,
        {
            "item_1": "on",
            "item_2": "on",
            "item_no": "1",
            "upload": "",
            "file": SimpleUploadedFile("照片.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
        },
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.facts.get("item_1") is True and a.facts.get("item_2") is True and a.evidence.count() == 1
    r = c.post(url, {"item_1": "on", "item_3": "on", "upload": "", "file": SimpleUploadedFile("x.exe", b"MZ")})
    page = r.content.decode()
    assert 'name="item_3" id="id_item_3" checked' in page or ('name="item_3"' in page and "checked" in page)
    a.refresh_from_db()
    assert a.facts.get("item_3") is not True and a.evidence.count() == 1  # nothing half-written
