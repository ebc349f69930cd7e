"""二次交办 and 成员审核 inside a unit, with the real roster: 省住房城乡建设厅's divisions, their liaisons
and members (docs/divisions.md)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Conflict, DomainError, NotAllowed
from deadlines.models import Message
from members.models import Division, MemberUnit
from members.services import account_create, unit_division_settings_set
from tasks import divisions as ds, services as fs
from tasks.division_flow import share_consolidate
from tasks.division_inbox import parts_pending_for, pending_for, reviews_pending_for
from tasks.models import Assignment, DivisionPart, HeadReview, Item
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# 住建厅's divisions with their liaison and member (docs/sources: 黔建城通〔2020〕87号, annex 2).
ZJT = {"住房保障处": ("刘光伦", "文健"), "房地产市场监管处": ("樊欣", "陈少鸿"), "信息化处": ("罗雄", "罗立平")}


@pytest.fixture
def zjt(users):
    """Accounts for three of 住建厅's divisions: liaison_<n> and member_<n> (n = 0, 1, 2)."""
    from members.models import Person

    out = {"unit": MemberUnit.objects.get(code="zjt")}
    for i, (division, (liaison, member)) in enumerate(ZJT.items()):
        out[f"division_{i}"] = Division.objects.get(unit=out["unit"], name=division)
        out[f"liaison_{i}"] = account_create(
            username=f"zjt_liaison_{i}", password=PASSWORD, person=Person.objects.get(name=liaison)
        )
        out[f"member_{i}"] = account_create(
            username=f"zjt_member_{i}", password=PASSWORD, person=Person.objects.get(name=member)
        )
    return out


def _share(item, code="zjt"):
    return Assignment.objects.get(item=item, unit__code=code)


def _told(kind, user) -> bool:
    return Message.objects.filter(kind=kind, recipient=user, channel="inapp").exists()


def _head_review(unit, on, office):
    unit_division_settings_set(unit=unit, coordinating_division=unit.coordinating_division, head_review=on, by=office)
    unit.refresh_from_db()


def test_roster_the_office_division_coordinates_zjt_and_other_divisions_are_scoped(zjt, users):
    unit = zjt["unit"]
    assert unit.coordinating_division.name == "城市建设处"
    from members.access import access_for

    assert unit.pk in access_for(users["liaison_zjt"]).unit_ids  # 蔡立智, 城市建设处: the unit's liaison
    assert unit.pk not in access_for(zjt["liaison_0"]).unit_ids  # 刘光伦, 住房保障处: his division only
    assert access_for(zjt["liaison_0"]).division_ids == (zjt["division_0"].pk,)
    assert access_for(zjt["member_0"]).review_division_ids == (zjt["division_0"].pk,)
    # Single-division units are unchanged: their liaison is the unit's.
    assert MemberUnit.objects.get(code="mzt").pk in access_for(users["liaison_mzt"]).unit_ids


def test_dispatch_reaches_the_unit_liaison_only_not_every_division(zjt, users, dispatch):
    dispatch()
    assert _told("dispatched", users["liaison_zjt"])
    for i in range(3):
        assert not _told("dispatched", zjt[f"liaison_{i}"]), "the unit's other liaisons are not flooded"


def test_pass_down_report_consolidate_accept(zjt, users, dispatch):
    item = dispatch(participating=())
    share = _share(item)
    unit_liaison = users["liaison_zjt"]
    fs_claim = __import__("tasks.services", fromlist=["x"]).assignment_claim
    fs_claim(assignment=share, by=unit_liaison)
    parts = ds.share_assign_divisions(
        assignment=share, divisions=[zjt["division_0"], zjt["division_1"]], note="老旧小区改造部分", by=unit_liaison
    )
    assert [p.due_date for p in parts] == [dt.date(2026, 3, 19)] * 2  # a working day before the unit's date
    assert _told("part_assigned", zjt["liaison_0"]) and _told("part_assigned", zjt["liaison_1"])
    assert not _told("part_assigned", zjt["liaison_2"])
    # The unit cannot report while a division's part is out.
    with pytest.raises(DomainError) as exc:
        fs.assignment_submit(assignment=share, result="汇总", version=None, by=unit_liaison)
    assert "住房保障处" in exc.value.message and "房地产市场监管处" in exc.value.message
    # A division works its own part only.
    with pytest.raises(NotAllowed):
        ds.division_part_submit(part=parts[1], result="不是我的", version=None, by=zjt["liaison_0"])
    ds.part_attachment_add(part=parts[0], upload=SimpleUploadedFile("测算表.pdf", b"%PDF-1.4 x"), by=zjt["liaison_0"])
    ds.division_part_submit(part=parts[0], result="住房保障处：已完成摸底。", version=None, by=zjt["liaison_0"])
    ds.division_part_submit(
        part=parts[1], result="房地产市场监管处：物业企业已约谈。", version=None, by=zjt["liaison_1"]
    )
    assert _told("part_submitted", unit_liaison)
    assert not _told("part_submitted", zjt["liaison_2"])
    fs.assignment_submit(assignment=share, result="汇总：两处室均已完成。", version=None, by=unit_liaison)
    share.refresh_from_db()
    item.refresh_from_db()
    assert share.status == Assignment.Status.SUBMITTED and item.status == Item.Status.UNDER_REVIEW
    assert set(DivisionPart.objects.filter(assignment=share).values_list("status", flat=True)) == {"consolidated"}
    fs.item_accept(item=item, version=None, by=users["office"])
    item.refresh_from_db()
    assert item.status == Item.Status.DONE
    actions = list(item_history(item))
    for action in ("part.assign", "part.attach", "part.submit", "part.consolidate", "assignment.submit", "item.accept"):
        assert action in actions


def item_history(item):
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEntry

    return (
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Item), object_id=str(item.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_head_review_on_a_part_waits_for_the_division_member(zjt, users, dispatch):
    _head_review(zjt["unit"], True, users["office"])
    item = dispatch(participating=())
    share = _share(item)
    [part] = ds.share_assign_divisions(assignment=share, divisions=[zjt["division_0"]], by=users["office"])
    ds.division_part_submit(part=part, result="初稿", version=None, by=zjt["liaison_0"])
    part.refresh_from_db()
    assert part.status == DivisionPart.Status.IN_REVIEW
    review = HeadReview.objects.get(part=part)
    assert _told("review_requested", zjt["member_0"]) and not _told("review_requested", zjt["member_1"])
    assert not _told("part_submitted", users["liaison_zjt"]), "the unit hears nothing before the head approves"
    # Another division's head may not decide it.
    with pytest.raises(NotAllowed):
        ds.feedback_review(review=review, approve=True, by=zjt["member_1"])
    ds.feedback_review(review=review, approve=False, reason="数据口径不一致", by=zjt["member_0"])
    part.refresh_from_db()
    assert part.status == DivisionPart.Status.RETURNED
    assert Message.objects.filter(
        kind="review_decided", recipient=zjt["liaison_0"], body__contains="数据口径不一致"
    ).exists()
    with pytest.raises(DomainError):  # a return says why
        ds.division_part_submit(part=part, result="修改稿", version=None, by=zjt["liaison_0"])
        ds.feedback_review(
            review=HeadReview.objects.get(part=part, status="pending"), approve=False, reason="", by=zjt["member_0"]
        )
    review = HeadReview.objects.get(part=part, status="pending")
    ds.feedback_review(review=review, approve=True, by=zjt["member_0"])
    part.refresh_from_db()
    assert part.status == DivisionPart.Status.SUBMITTED
    assert _told("part_submitted", users["liaison_zjt"])
    with pytest.raises(Conflict):
        ds.feedback_review(review=review, approve=True, by=zjt["member_0"])


def test_head_review_off_a_part_goes_straight_to_the_unit(zjt, users, dispatch):
    item = dispatch(participating=())
    [part] = ds.share_assign_divisions(assignment=_share(item), divisions=[zjt["division_0"]], by=users["liaison_zjt"])
    ds.division_part_submit(part=part, result="完成", version=None, by=zjt["liaison_0"])
    part.refresh_from_db()
    assert part.status == DivisionPart.Status.SUBMITTED and not HeadReview.objects.exists()


def test_head_review_of_the_unit_feedback_by_the_unit_member(users, dispatch):
    """省民政厅 (one division): 方海 reviews what 王浩然 submits before it leaves the unit."""
    mzt = MemberUnit.objects.get(code="mzt")
    _head_review(mzt, True, users["office"])
    item = dispatch()
    share = _share(item, "mzt")
    from tasks.services import assignment_claim

    assignment_claim(assignment=share, by=users["liaison_mzt"])
    with pytest.raises(DomainError) as exc:
        fs.assignment_submit(assignment=share, result="配合意见", version=None, by=users["liaison_mzt"])
    assert exc.value.code == "review_required"
    ds.feedback_review_request(assignment=share, result="配合意见", version=None, by=users["liaison_mzt"])
    assert _told("review_requested", users["member_mzt"])
    assert reviews_pending_for(users["member_mzt"])[0]["action"] == "成员审核"
    with pytest.raises(Conflict):  # the liaison cannot bypass the pending review
        fs.assignment_submit(assignment=share, result="配合意见", version=None, by=users["liaison_mzt"])
    share_consolidate(assignment=share, result="", version=None, by=users["member_mzt"])
    share.refresh_from_db()
    assert share.status == Assignment.Status.SUBMITTED and share.result == "配合意见"
    assert share.submitted_by == users["liaison_mzt"]  # the liaison's feedback, released by the member
    assert HeadReview.objects.get(assignment=share).status == HeadReview.Status.APPROVED
    assert _told("feedback", users["liaison_zjt"])  # the primary lead hears of it only now
    assert list(item_history(item)).count("review.approve") == 1


def test_head_review_toggle_is_office_only_and_audited(users):
    from core.models import AuditEntry

    mzt = MemberUnit.objects.get(code="mzt")
    with pytest.raises(NotAllowed):
        unit_division_settings_set(unit=mzt, coordinating_division=None, head_review=True, by=users["liaison_mzt"])
    unit_division_settings_set(unit=mzt, coordinating_division=None, head_review=True, by=users["office"])
    entry = AuditEntry.objects.get(action="unit.division_settings")
    assert entry.actor == users["office"] and entry.changes == {"head_review": [False, True]}


def test_office_dispatches_straight_to_a_division_and_reminders_follow(zjt, users, dispatch, frozen):
    import time_machine

    from deadlines.reminders import reminders_plan

    item = dispatch(participating=(), due=dt.date(2026, 3, 5))
    [part] = ds.share_assign_divisions(
        assignment=_share(item), divisions=[zjt["division_2"]], by=users["office"], due_date=dt.date(2026, 3, 4)
    )
    with time_machine.travel(dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        reminders_plan()
    due = Message.objects.filter(subject=f"part:{part.pk}", kind="due", channel="inapp")
    assert set(due.values_list("recipient__username", flat=True)) == {"zjt_liaison_2"}
    # The unit's own share (due 5 March, a working day later) is reminded to the unit's liaison, not to the divisions.
    before = Message.objects.filter(subject=f"task:{_share(item).pk}", channel="inapp")
    assert set(before.values_list("recipient__username", flat=True)) == {"liaison_zjt"}


def test_pending_for_lists_a_division_liaison_s_parts_in_one_query(zjt, users, dispatch, django_assert_num_queries):
    for n in range(3):
        item = dispatch(participating=(), title=f"事项{n}")
        ds.share_assign_divisions(assignment=_share(item), divisions=[zjt["division_0"]], by=users["liaison_zjt"])
    from members.access import access_for

    user = zjt["liaison_0"]
    access_for(user)
    with django_assert_num_queries(1):
        rows = parts_pending_for(user, limit=10)
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"division_part"}
    assert set(rows[0]) == {"kind", "key", "title", "unit", "due_on", "url", "action"}
    assert rows[0]["unit"] == "省住房城乡建设厅住房保障处"
    assert pending_for(zjt["liaison_1"], limit=10) == []


def test_pages_show_each_division_its_own_part_only(zjt, users, dispatch, client_for):
    item = dispatch(participating=())
    parts = ds.share_assign_divisions(
        assignment=_share(item),
        divisions=[zjt["division_0"], zjt["division_1"]],
        note="公共部分",
        by=users["liaison_zjt"],
    )
    ds.division_part_submit(part=parts[1], result="监管处的秘密数据", version=None, by=zjt["liaison_1"])
    page = client_for(zjt["liaison_0"]).get(f"/items/{item.pk}/").content.decode()
    assert "本处室任务：省住房城乡建设厅住房保障处" in page
    assert "监管处的秘密数据" not in page and f'id="part-{parts[1].pk}"' not in page
    page = client_for(users["liaison_zjt"]).get(f"/items/{item.pk}/").content.decode()
    assert "监管处的秘密数据" in page and "处室分工：省住房城乡建设厅" in page
    # 处室事项 lists the division's work.
    page = client_for(zjt["liaison_0"]).get("/divisions/").content.decode()
    assert item.title in page and "办理并报送" in page


def test_views_assign_submit_review_and_consolidate(zjt, users, dispatch, client_for):
    _head_review(zjt["unit"], True, users["office"])
    item = dispatch(participating=())
    share = _share(item)
    unit = client_for(users["liaison_zjt"])
    unit.post(f"/items/tasks/{share.pk}/claim/")
    r = unit.post(f"/divisions/shares/{share.pk}/assign/", {"divisions": [zjt["division_0"].pk], "note": "全部"})
    assert r.status_code == 302
    part = DivisionPart.objects.get(assignment=share)
    # Bad input: a date that is not a date keeps the typed note and says why, in Chinese.
    r = unit.post(
        f"/divisions/shares/{share.pk}/assign/",
        {"divisions": [zjt["division_1"].pk], "note": "保留我", "due_date": "2026-13-40"},
    )
    assert r.status_code == 400 and "日期格式不正确" in r.content.decode() and "保留我" in r.content.decode()
    division = client_for(zjt["liaison_0"])
    r = division.post(
        f"/divisions/parts/{part.pk}/work/", {"result": "处室办理情况", "version": part.version, "submit": "1"}
    )
    assert r.status_code == 302
    review = HeadReview.objects.get(part=part)
    assert (
        client_for(zjt["member_1"]).post(f"/divisions/reviews/{review.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )
    r = client_for(zjt["member_0"]).post(f"/divisions/reviews/{review.pk}/decide/", {"decision": "approve"})
    assert r.status_code == 302
    share.refresh_from_db()
    r = unit.post(f"/items/tasks/{share.pk}/work/", {"result": "汇总", "version": share.version, "submit": "1"})
    assert r.status_code == 302
    share.refresh_from_db()
    assert share.status == Assignment.Status.SUBMITTED


def test_division_settings_page(users, client_for):
    c = client_for(users["office"])
    page = c.get("/divisions/settings/").content.decode()
    assert "处室与成员审核" in page and "城市建设处" in page
    mzt = MemberUnit.objects.get(code="mzt")
    r = c.post("/divisions/settings/", {"unit": mzt.pk, "coordinating_division": "", "head_review": "on"})
    assert r.status_code == 302
    mzt.refresh_from_db()
    assert mzt.head_review
    assert client_for(users["liaison_mzt"]).get("/divisions/settings/").status_code == 404


def test_a_division_liaison_lands_on_its_division_s_work(zjt, client_for):
    response = client_for(zjt["liaison_0"]).get("/")
    assert response.status_code == 302 and response["Location"] == "/divisions/"
    nav = client_for(zjt["liaison_0"]).get("/divisions/").content.decode()
    assert "处室事项" in nav and "我的待办" not in nav


def test_demo_accounts_include_a_division_liaison_and_its_head(mechanism, settings):
    from members.access import access_for
    from members.demo import demo_accounts_ensure
    from members.models import User

    settings.DEMO_ACCOUNTS_ALLOWED = True
    User.objects.filter(person__isnull=False).delete()  # the test accounts hold the roster's people
    names = dict(demo_accounts_ensure(mechanism))
    assert names["demo_division_liaison"] == "省住房城乡建设厅住房保障处联络员（刘光伦）"
    assert names["demo_division_head"] == "省住房城乡建设厅住房保障处成员（处长）（文健）"
    liaison = User.objects.get(username="demo_division_liaison")
    assert access_for(liaison).unit_ids == () and access_for(liaison).division_ids
