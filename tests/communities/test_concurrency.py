"""Two office users confirm the same assessment at the same moment: one wins, the other gets a
Conflict, and the community is confirmed once (row lock on PostgreSQL)."""

import threading

import pytest
from django.db import connection

from communities.models import Assessment, AssessmentStep
from communities.services import (
    assessment_confirm,
    assessment_review,
    assessment_save,
    assessment_start,
    assessment_submit,
)
from core.errors import Conflict

from .conftest import ALL_MET


@pytest.mark.django_db(transaction=True)
def test_double_confirm_is_one_confirmation(city2, require_postgres, users, gy_community):
    city = users["city_guiyang"]
    a = assessment_start(community=gy_community, by=city)
    assessment_save(assessment=a, facts=ALL_MET, by=city)
    assessment_submit(assessment=a, by=city)
    assessment_review(assessment=a, approve=True, by=city2)
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm(user):
        try:
            barrier.wait()
            assessment_confirm(assessment=Assessment.objects.get(pk=a.pk), approve=True, by=user)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(users[u],)) for u in ("office", "deputy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert AssessmentStep.objects.filter(assessment=a, action="confirmed").count() == 1
    gy_community.refresh_from_db()
    assert gy_community.status_changes.filter(to_status="meets_standard").count() == 1
