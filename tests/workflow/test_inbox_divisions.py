"""二次交办 and 成员审核 in the unified 我的待办: a division liaison sees the part passed to the division,
the member sees what waits for review, and nobody else does (docs/inbox.md, docs/divisions.md)."""

import pytest

from tasks import divisions as ds
from tasks.models import Assignment
from tests.workflow.test_divisions import _head_review, zjt  # noqa: F401 — fixture
from workflow.inbox import InboxFilters, inbox_page

pytestmark = pytest.mark.django_db


def _kinds(user, **filters):
    return [(e.kind, e.verb) for e in inbox_page(user, InboxFilters(**filters)).entries]


def test_a_part_and_its_review_appear_in_the_right_inboxes_only(zjt, users, dispatch):  # noqa: F811
    _head_review(zjt["unit"], True, users["office"])
    item = dispatch(participating=())
    share = Assignment.objects.get(item=item, unit__code="zjt")
    [part] = ds.share_assign_divisions(assignment=share, divisions=[zjt["division_0"]], by=users["liaison_zjt"])

    assert ("division_part", "办理") in _kinds(zjt["liaison_0"])
    assert not any(k == "division_part" for k, _ in _kinds(zjt["liaison_1"])), "another division sees nothing"
    page = inbox_page(zjt["liaison_0"], InboxFilters(kind="division_part"))
    assert [e.pk for e in page.entries] == [part.pk] and page.entries[0].url.endswith(f"#part-{part.pk}")
    assert dict((k, n) for k, _, n in page.counts)["division_part"] == 1

    ds.division_part_submit(part=part, result="初稿", version=None, by=zjt["liaison_0"])
    assert not any(k == "division_part" for k, _ in _kinds(zjt["liaison_0"])), "submitted: no longer the liaison's"
    assert ("head_review", "审核") in _kinds(zjt["member_0"])
    assert not any(k == "head_review" for k, _ in _kinds(zjt["member_1"]))


def test_the_inbox_costs_the_same_queries_with_one_part_or_five(zjt, users, dispatch):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost():
        with CaptureQueriesContext(connection) as q:
            inbox_page(zjt["liaison_0"], InboxFilters())
        return len(q.captured_queries)

    item = dispatch(participating=())
    ds.share_assign_divisions(
        assignment=Assignment.objects.get(item=item, unit__code="zjt"),
        divisions=[zjt["division_0"]],
        by=users["liaison_zjt"],
    )
    cost()  # the first page of a session fills the access snapshot and the caches
    one = cost()
    for n in range(4):
        more = dispatch(participating=(), title=f"第{n}项")
        ds.share_assign_divisions(
            assignment=Assignment.objects.get(item=more, unit__code="zjt"),
            divisions=[zjt["division_0"]],
            by=users["liaison_zjt"],
        )
    assert cost() == one
    assert len(inbox_page(zjt["liaison_0"], InboxFilters(kind="division_part")).entries) == 5
