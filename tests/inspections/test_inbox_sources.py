"""Inspections in the unified 我的待办: the team's open inspection, the office's findings to issue."""

import pytest

from inspections import services
from workflow.inbox import InboxFilters, inbox_page

pytestmark = pytest.mark.django_db


def _kinds(user):
    return {(e.kind, e.verb) for e in inbox_page(user, InboxFilters()).entries}


def test_team_member_and_office_see_their_steps(users, inspection):
    assert ("inspection", "记录问题") in _kinds(users["liaison_gat"])
    assert not any(k == "inspection" for k, _ in _kinds(users["liaison_mzt"])), "not on the team"
    finding = services.finding_record(inspection=inspection, description="投放点无分类标识", by=users["liaison_gat"])
    office = [e for e in inbox_page(users["office"], InboxFilters(kind="finding")).entries]
    assert [e.pk for e in office] == [finding.pk] and office[0].verb == "交办整改"
    assert not any(k == "finding" for k, _ in _kinds(users["liaison_gat"])), "only the office issues findings"
    services.inspection_finish(inspection=inspection, conclusion="结束", by=users["office"])
    assert not any(k == "inspection" for k, _ in _kinds(users["liaison_gat"]))
