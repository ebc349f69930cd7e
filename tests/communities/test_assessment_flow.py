"""The assessment flow through the services: self-assessment → prefecture review → office
confirmation, with returns; the viewflow tasks follow; the community's status and history too."""

from datetime import date

import pytest
import time_machine
from viewflow.workflow.status import STATUS

from communities.flows import AssessmentFlow
from communities.models import Assessment, AssessmentStep, CreationStatus
from communities.selectors import progress
from communities.services import (
    assessment_confirm,
    assessment_review,
    assessment_save,
    assessment_start,
    assessment_submit,
    community_create,
)
from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry

from .conftest import ALL_MET, ZJ_PERFECT

pytestmark = pytest.mark.django_db


def open_nodes(assessment):
    return sorted(t.flow_task.name for t in assessment.process.task_set.filter(status=STATUS.NEW))


def test_full_pass_counts_toward_the_target(city2, users, gy_community):
    city, office = users["city_guiyang"], users["office"]
    with time_machine.travel(date(2021, 6, 1), tick=False):
        a = assessment_start(community=gy_community, by=city)
        assert a.standard == "guizhou" and open_nodes(a) == ["self_assess"]
        a = assessment_save(assessment=a, facts=ALL_MET, by=city)
        assert a.total == 16 and a.passed
        a = assessment_submit(assessment=a, by=city)
        assert open_nodes(a) == ["review"]
        gy_community.refresh_from_db()
        assert gy_community.status == CreationStatus.SELF_ASSESSED
        a = assessment_review(assessment=a, approve=True, by=city2)
        assert open_nodes(a) == ["confirm"]
        gy_community.refresh_from_db()
        assert gy_community.status == CreationStatus.ASSESSED and gy_community.standard_met_on is None
        a = assessment_confirm(assessment=a, approve=True, by=office)
    assert a.status == Assessment.Status.CONFIRMED and open_nodes(a) == []
    assert AssessmentFlow.process_class.objects.get(assessment=a).status == STATUS.DONE
    gy_community.refresh_from_db()
    assert gy_community.status == CreationStatus.MEETS_STANDARD and gy_community.standard_met_on == date(2021, 6, 1)
    assert [h.to_status for h in gy_community.status_changes.all()] == [
        "not_started",
        "taking_part",
        "self_assessed",
        "assessed",
        "meets_standard",
    ]
    p = progress(user=office, year=2021)
    assert p["province"].met == 1 and p["province"].total == 1 and p["province"].target_reached
    assert progress(user=office, year=2020)["province"].met == 0
    assert AuditEntry.objects.filter(action__startswith="assessment.").count() == 5


def test_returns_go_back_a_step_with_reason(city2, users, gy_community):
    city, office = users["city_guiyang"], users["office"]
    a = assessment_start(community=gy_community, by=city)
    assessment_save(assessment=a, facts=ALL_MET, by=city)
    assessment_submit(assessment=a, by=city)
    with pytest.raises(DomainError, match="退回修改须填写理由"):
        assessment_review(assessment=a, approve=False, by=city)
    a = assessment_review(assessment=a, approve=False, reason="第5项缺少垃圾分类证明", by=city)
    assert a.status == Assessment.Status.DRAFT and a.last_reason == "第5项缺少垃圾分类证明"
    assert open_nodes(a) == ["self_assess"]
    gy_community.refresh_from_db()
    assert gy_community.status == CreationStatus.TAKING_PART
    assessment_save(assessment=a, facts=ALL_MET, by=city)
    assessment_submit(assessment=a, by=city)
    assessment_review(assessment=a, approve=True, by=city2)
    with pytest.raises(DomainError, match="退回市州须填写理由"):
        assessment_confirm(assessment=a, approve=False, by=office)
    a = assessment_confirm(assessment=a, approve=False, reason="请补充照片", by=office)
    assert a.status == Assessment.Status.SUBMITTED and open_nodes(a) == ["review"]
    gy_community.refresh_from_db()
    assert gy_community.status == CreationStatus.SELF_ASSESSED
    assessment_review(assessment=a, approve=True, by=city2)
    a = assessment_confirm(assessment=a, approve=True, by=office)
    assert a.status == Assessment.Status.CONFIRMED
    assert [s.action for s in a.steps.all()] == [
        "started",
        "submitted",
        "returned",
        "submitted",
        "approved",
        "office_returned",
        "approved",
        "confirmed",
    ]


def test_confirmed_fail_leaves_the_community_taking_part(city2, users, gy_community):
    city, office = users["city_guiyang"], users["office"]
    a = assessment_start(community=gy_community, by=city)
    assessment_save(assessment=a, facts={**ALL_MET, "item_12": False}, by=city)
    assessment_submit(assessment=a, by=city)
    assessment_review(assessment=a, approve=True, by=city2)
    a = assessment_confirm(assessment=a, approve=True, by=office)
    gy_community.refresh_from_db()
    assert not a.passed and gy_community.status == CreationStatus.TAKING_PART and gy_community.standard_met_on is None
    # a new assessment may start after a confirmed one
    assert assessment_start(community=gy_community, by=city).status == Assessment.Status.DRAFT


def test_zhejiang_score_through_the_flow(users, gy_community, settings):
    settings.MECHANISM = "zhejiang"
    city = users["city_guiyang"]
    a = assessment_start(community=gy_community, by=city)
    assert a.standard == "zhejiang"
    a = assessment_save(
        assessment=a,
        facts={
            **ZJ_PERFECT,
            "no_smart_security": True,
            "heritage": "damaged",
            "property_management_coverage": "12",
            "bonus": 9,
        },
        by=city,
    )
    assert a.total == 84 and a.passed  # 96 − 6 − 6 − 4 + 4 (bonus capped)
    with pytest.raises(DomainError, match="第14项"):
        assessment_save(assessment=a, facts={**ZJ_PERFECT, "trainings_per_year": ""}, by=city)
    a.refresh_from_db()
    assert a.total == 84  # the refused save changed nothing


def test_who_may_do_what(city2, users, gy_community, zy_community):
    city, zunyi, office, convener = users["city_guiyang"], users["city_zunyi"], users["office"], users["convener"]
    with pytest.raises(NotAllowed):
        assessment_start(community=gy_community, by=zunyi)
    with pytest.raises(NotAllowed):
        assessment_start(community=gy_community, by=office)
    a = assessment_start(community=gy_community, by=city)
    with pytest.raises(Conflict):
        assessment_start(community=gy_community, by=city)
    with pytest.raises(NotAllowed):
        assessment_save(assessment=a, facts=ALL_MET, by=zunyi)
    with pytest.raises(DomainError, match="请先填写"):
        assessment_submit(assessment=a, by=city)
    assessment_save(assessment=a, facts=ALL_MET, by=city)
    assessment_submit(assessment=a, by=city)
    with pytest.raises(NotAllowed):
        assessment_review(assessment=a, approve=True, by=zunyi)
    with pytest.raises(DomainError, match="须由本地区其他人员"):  # who submitted it does not approve it
        assessment_review(assessment=a, approve=True, by=city)
    with pytest.raises(Conflict):  # not reviewed yet
        assessment_confirm(assessment=a, approve=True, by=office)
    assessment_review(assessment=a, approve=True, by=city2)
    for who in (city, convener, users["liaison_zjt"]):
        with pytest.raises(NotAllowed):
            assessment_confirm(assessment=a, approve=True, by=who)
    assessment_confirm(assessment=a, approve=True, by=users["deputy"])  # the deputy directs the office
    with pytest.raises(Conflict):  # a double click
        assessment_confirm(assessment=a, approve=True, by=office)


def test_not_started_community_cannot_be_assessed(users, guiyang):
    c = community_create(reporting_unit=guiyang, name="新社区", by=users["city_guiyang"])
    with pytest.raises(DomainError, match="参与创建的社区才能开始自评"):
        assessment_start(community=c, by=users["city_guiyang"])
    assert not Assessment.objects.exists() and not AssessmentStep.objects.exists()
    assert not AssessmentFlow.process_class.objects.exists()
