"""The year's evaluation in 我的待办: the convener confirms, then the office publishes."""

import pytest

from evaluation.services import evaluation_compute, evaluation_confirm, evaluation_submit
from workflow.inbox import InboxFilters, inbox_page

pytestmark = pytest.mark.django_db


def _steps(user):
    return [(e.title, e.verb) for e in inbox_page(user, InboxFilters(kind="evaluation")).entries]


def test_confirm_then_publish(year, users, mechanism):
    e = evaluation_compute(mechanism=mechanism, year=2025, by=users["office"])
    assert _steps(users["convener"]) == [] and _steps(users["office"]) == []
    evaluation_submit(evaluation=e, by=users["office"])
    assert _steps(users["convener"]) == [("2025年度考评", "确认")]
    assert _steps(users["office"]) == [] and _steps(users["liaison_mzt"]) == []
    evaluation_confirm(evaluation=e, by=users["convener"])
    assert _steps(users["convener"]) == [] and _steps(users["office"]) == [("2025年度考评", "发布")]
