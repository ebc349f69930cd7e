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
