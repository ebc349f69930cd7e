"""我的待办 as one inbox (workflow.inbox, docs/inbox.md): every source lists exactly the steps the person
may take, nothing of another unit; the merged order, the filters, the cursor, the counts; a constant
number of queries at two data sizes; the API answers the same entries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deadlines.models import Obligation
from deadlines.services.obligations import obligation_submit, obligations_generate
from meetings.services.meetings import meeting_decide
from meetings.services.membership import change_check
from meetings.services.minutes import minutes_review
from members.models import MemberUnit, ReportingUnit
from tasks import services as fs, services as ts
from tasks.models import Assignment, Item
from workflow.inbox import InboxFilters, inbox_page, sources

TODAY = dt.date(2026, 3, 2)


def owed(code, *, due, opens=TODAY - dt.timedelta(days=5)):
    """The unit's (or prefecture's) generated 2026 report, opened and due on the given days."""
    obligations_generate()
    qs = (
        Obligation.objects.filter(member_unit__code=code)
        if MemberUnit.objects.filter(code=code).exists()
        else Obligation.objects.filter(reporting_unit__code=code)
    )
    o = qs.order_by("due_on", "pk").first()
    Obligation.objects.filter(pk=o.pk).update(opens_on=opens, due_on=due)
    o.refresh_from_db()
    return o


def overdue(item, due):
    """Dispatch refuses a past date: move an item (and its shares) back to `due` as time would."""
    from tasks.models import Item

    Item.objects.filter(pk=item.pk).update(due_date=due, contribution_due_date=due)
    Assignment.objects.filter(item=item).update(due_date=due)
    return item


def keys(user, **filters):
    return [e.key for e in inbox_page(user, InboxFilters(**filters)).entries]


def kinds(user, **filters):
    return [e.kind for e in inbox_page(user, InboxFilters(**filters)).entries]


def test_every_app_registers_its_sources():
    assert {s.kind for s in sources()} >= {
        "task",
        "item_review",
        "request",
        "report",
        "report_accept",
        "minutes",
        "meeting",
        "membership",
        "escalation",
        "assessment",
    }
    assert len({s.order for s in sources()}) == len(sources())  # a stable order among kinds due the same day


def test_a_liaison_sees_tasks_reports_and_minutes_of_its_unit_only(users, client_for, frozen, world, dispatch):
    item = dispatch(lead=("zjt",), participating=("mzt",), due=dt.date(2026, 3, 20))
    report = owed("mzt", due=dt.date(2026, 3, 4))
    owed("gat", due=dt.date(2026, 3, 3))
    mzt = users["liaison_mzt"]
    page = inbox_page(mzt)
    task = Assignment.objects.get(item=item, unit__code="mzt")
    assert [e.key for e in page.entries] == [
        f"report:{report.pk}",
        f"task:{task.pk}",
        f"minutes:{world['draft'].meeting.meeting_units.get(unit__code='mzt').pk}",
    ]
    by_kind = {e.kind: e for e in page.entries}
    assert by_kind["report"].url == f"/deadlines/obligations/{report.pk}/" and by_kind["report"].verb == "报送"
    assert by_kind["report"].colour == "blue" and by_kind["report"].days_label == "剩余 2 天"
    assert by_kind["task"].url == f"/items/{item.pk}/#task-{task.pk}" and by_kind["task"].verb == "签收"
    assert by_kind["minutes"].url == f"/meetings/minutes/{world['draft'].pk}/" and by_kind["minutes"].due is None
    assert dict((k, n) for k, _, n in page.counts) == {"task": 1, "report": 1, "minutes": 1}
    # Nothing of another unit: gat's own report only (no share in the item; absent from the meeting),
    # and every page where mzt's steps are taken answers gat 404.
    gat = users["liaison_gat"]
    assert kinds(gat) == ["report"]
    assert not set(keys(gat)) & set(e.key for e in page.entries)
    c = client_for(gat)
    for entry in page.entries:
        assert c.get(entry.url).status_code == 404, entry.url


def test_each_step_leaves_the_inbox_when_it_is_taken(users, frozen, world, dispatch):
    item = dispatch(lead=("mzt",), participating=())
    report = owed("mzt", due=dt.date(2026, 3, 4))
    mzt = users["liaison_mzt"]
    assert sorted(kinds(mzt)) == ["minutes", "report", "task"]
    task = Assignment.objects.get(item=item, unit__code="mzt")
    ts.assignment_claim(assignment=task, by=mzt)
    assert [e.verb for e in inbox_page(mzt, InboxFilters(kind="task")).entries] == ["办理"]
    fs.assignment_submit(assignment=Assignment.objects.get(pk=task.pk), result="已办理。", version=None, by=mzt)
    obligation_submit(obligation=report, text="情况如下。", by=mzt)
    minutes_review(minutes=world["draft"], unit=MemberUnit.objects.get(code="mzt"), agree=True, by=mzt)
    assert keys(mzt) == []
    # …and arrive at the office's: the item to review, the report to accept.
    office = inbox_page(users["office"])
    assert {e.key for e in office.entries} >= {f"item_review:{item.pk}", f"report_accept:{report.pk}"}
    accept = next(e for e in office.entries if e.kind == "report_accept")
    assert accept.verb == "接收" and accept.unit_name == "省民政厅"


def test_the_office_and_the_convener_see_their_own_steps(users, frozen, world, dispatch):
    office, convener = users["office"], users["convener"]
    assert sorted(kinds(office)) == ["escalation", "membership"]  # draft the report; check the change
    assert kinds(convener) == ["meeting"]  # the office's proposed 专题会
    assert kinds(users["liaison_mzt"]) == ["minutes"]
    # The convener approves the meeting: the office is to schedule it.
    meeting_decide(meeting=world["proposed"], approve=True, by=convener)
    assert kinds(convener) == []
    schedule = next(e for e in inbox_page(office).entries if e.kind == "meeting")
    assert schedule.verb == "安排" and schedule.url == f"/meetings/{world['proposed'].pk}/schedule/"
    # The office checks the change: the convener confirms it.
    change_check(change=world["change"], passed=True, note="", by=office)
    assert kinds(convener) == ["membership"] and inbox_page(convener).entries[0].verb == "确认"
    # A 延期 request waits for the convener, due when the unit's share is due.
    item = dispatch(lead=("mzt",), participating=())
    a = Assignment.objects.get(item=item, unit__code="mzt")
    ts.assignment_claim(assignment=a, by=users["liaison_mzt"])
    ts.extension_request(
        assignment=Assignment.objects.get(pk=a.pk),
        reason="需要更多时间",
        new_due_date=dt.date(2026, 4, 30),
        by=users["liaison_mzt"],
    )
    request = next(e for e in inbox_page(convener).entries if e.kind == "request")
    assert request.due == a.due_date and request.verb == "决定" and request.url == f"/items/{item.pk}/#requests"
    assert "request" not in kinds(office) and "request" not in kinds(users["liaison_mzt"])


def test_a_prefecture_reviews_and_the_office_confirms_assessments(users, frozen):
    from communities.services import assessment_start, community_create, community_join

    guiyang = ReportingUnit.objects.get(code="guiyang")
    city = users["city_guiyang"]
    c = community_join(community=community_create(reporting_unit=guiyang, name="中华南路社区", by=city), by=city)
    a = assessment_start(community=c, by=city)
    entries = inbox_page(city, InboxFilters(kind="assessment")).entries
    assert [(e.key, e.verb) for e in entries] == [(f"assessment:{a.pk}", "自评")]
    assert keys(users["city_zunyi"], kind="assessment") == []
    assert "assessment" not in kinds(users["office"])  # not yet reviewed


def test_order_overdue_first_then_soonest_then_undated_and_the_cursor(users, frozen, world, dispatch):
    for n, due in enumerate([dt.date(2026, 3, 20), dt.date(2026, 3, 10), dt.date(2026, 3, 3)]):
        dispatch(lead=("mzt",), participating=(), due=due, title=f"事项{n}")
    overdue(Item.objects.get(title="事项0"), dt.date(2026, 2, 20))
    owed("mzt", due=dt.date(2026, 3, 3))  # the same day as 事项2: the report sorts after the task
    mzt = users["liaison_mzt"]
    entries = inbox_page(mzt).entries
    assert [(e.kind, e.title) for e in entries] == [
        ("task", "事项0"),
        ("task", "事项2"),
        ("report", "2026年第1季度工作情况"),
        ("task", "事项1"),
        ("minutes", "第二次会议纪要"),
    ]
    assert [e.colour for e in entries[:2]] == ["red", "blue"]
    # Pages of two: the same five, each once, across kinds, and the last page has no next.
    seen, after = [], ""
    for _ in range(5):
        page = inbox_page(mzt, InboxFilters(after=after), limit=2)
        seen += [e.key for e in page.entries]
        after = page.next_cursor
        if not after:
            break
    assert seen == [e.key for e in entries]


def test_filters_by_kind_unit_due_and_words(users, frozen, world, dispatch):
    overdue(dispatch(lead=("mzt",), participating=(), title="逾期的事项"), dt.date(2026, 2, 20))
    report = owed("mzt", due=dt.date(2026, 3, 4))
    mzt, mzt_id = users["liaison_mzt"], MemberUnit.objects.get(code="mzt").pk
    assert kinds(mzt, kind="report") == ["report"]
    assert kinds(mzt, kind="nope") == []
    assert sorted(kinds(mzt, unit=f"mu:{mzt_id}")) == ["minutes", "report", "task"]
    zjt = MemberUnit.objects.get(code="zjt").pk
    assert kinds(mzt, unit=f"mu:{zjt}") == [] and kinds(mzt, unit="garbage") == []
    assert kinds(mzt, due="overdue") == ["task"]
    assert kinds(mzt, due="soon") == ["report"]
    assert kinds(mzt, q="逾期") == ["task"]
    # A kind's own filter asks for that kind only.
    assert kinds(mzt, extra={"role": "lead"}) == ["task"]
    # The counts stay per kind whichever kind is shown.
    counts = {k: n for k, _, n in inbox_page(mzt, InboxFilters(kind="report")).counts}
    assert counts == {"task": 1, "report": 1, "minutes": 1}
    # The office filters its steps by the unit they are about.
    obligation_submit(obligation=report, text="x", by=mzt)
    assert sorted(kinds(users["office"], unit=f"mu:{mzt_id}")) == ["membership", "report_accept"]
    assert kinds(users["office"], unit=f"mu:{zjt}") == []


def test_the_page_shows_every_kind_and_filters(users, client_for, frozen, world, dispatch):
    dispatch(lead=("mzt",), participating=(), title="老旧小区改造")
    owed("mzt", due=dt.date(2026, 3, 4))
    c = client_for(users["liaison_mzt"])
    html = c.get("/items/inbox/").content.decode()
    for words in (
        "老旧小区改造",
        "2026年第1季度工作情况",
        "第二次会议纪要",
        "督办事项 1",
        "报送任务 1",
        "纪要会签 1",
        "全部 3",
        ">报送</a>",
        ">会签</a>",
        ">签收</a>",
        'data-label="类别"',
    ):
        assert words in html, words
    html = c.get("/items/inbox/?kind=task").content.decode()
    assert "老旧小区改造" in html and "第二次会议纪要" not in html and 'name="role"' in html
    for url in (
        "/items/inbox/?kind=" + "长" * 50,
        "/items/inbox/?unit=mu:abc",
        "/items/inbox/?after=2026-03-01.x.y.z",
        "/items/inbox/?after=9999-12-31.10.task.5",
        "/items/inbox/?after=2026-03-01.1.task.99999999999999999999",
    ):
        assert c.get(url).status_code == 200, url
    queue = client_for(users["office"]).get("/items/queue/").content.decode()
    assert "待我办理" in queue and "人员调整：省民政厅" in queue


def _grow(users, dispatch, n):
    for i in range(n):
        dispatch(
            lead=("mzt",),
            participating=("zjt",),
            due=dt.date(2026, 3, 2) + dt.timedelta(days=i % 40),
            title=f"批量事项{i}",
        )


@pytest.mark.parametrize("who", ["liaison_mzt", "office", "convener"])
def test_a_constant_number_of_queries_at_two_data_sizes(users, client_for, frozen, world, dispatch, who):
    owed("mzt", due=dt.date(2026, 3, 4))
    c = client_for(users[who])

    def count():
        c.get("/items/inbox/")  # warm caches (unit names, access)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/items/inbox/").status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert c.get("/api/v1/inbox/").status_code == 200
        return len(ctx.captured_queries), len(api.captured_queries)

    _grow(users, dispatch, 3)
    small = count()
    _grow(users, dispatch, 30)
    assert count() == small


def test_the_api_answers_the_same_entries(users, client_for, frozen, world, dispatch):
    dispatch(lead=("mzt",), participating=(), title="老旧小区改造")
    owed("mzt", due=dt.date(2026, 3, 4))
    mzt = users["liaison_mzt"]
    c = client_for(mzt)
    body = c.get("/api/v1/inbox/").json()
    assert [r["key"] for r in body["results"]] == keys(mzt)
    first = body["results"][0]
    assert set(first) == {
        "kind",
        "kind_label",
        "key",
        "title",
        "unit_name",
        "due",
        "colour",
        "colour_label",
        "days_label",
        "verb",
        "status_label",
        "url",
        "since",
    }
    assert {r["kind"]: r["count"] for r in body["counts"]} == {"task": 1, "report": 1, "minutes": 1}
    one = c.get("/api/v1/inbox/?limit=1").json()
    assert len(one["results"]) == 1 and one["next"]
    two = c.get(f"/api/v1/inbox/?limit=1&after={one['next']}").json()
    assert two["results"][0]["key"] == body["results"][1]["key"]
    assert c.get("/api/v1/inbox/?kind=report").json()["results"][0]["kind"] == "report"
    assert c.get("/api/v1/inbox/?limit=abc&after=junk").status_code == 200
    from django.test import Client

    assert Client().get("/api/v1/inbox/").status_code in (401, 403)
    assert client_for(users["liaison_gat"]).get("/api/v1/inbox/").json()["results"] == []
