"""The flow end to end through the services: contribution, consolidation, 退回修改, 办结; joint leads;
退回 re-routed; 延期 approved and refused; the per-unit split and the Join."""

import datetime as dt

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from core.errors import Conflict, DomainError, NotAllowed
from core.models import AuditEntry
from tasks import services as fs, services as ts
from tasks.flows import ItemFlow
from tasks.models import Assignment, Item, UnitRequest
from tasks.services import process_for_item

pytestmark = pytest.mark.django_db


def share(item, code):
    return item.assignments.exclude(status="rerouted").get(unit__code=code)


def work(a, user, text="已按要求办理。"):
    a = ts.assignment_claim(assignment=a, by=user)
    return fs.assignment_submit(assignment=a, result=text, version=a.version, by=user)


def open_flow_tasks(item, node):
    return Task.objects.filter(process=process_for_item(item), flow_task=node, status=STATUS.NEW)


def test_one_lead_two_participants_contribute_consolidate_revise_accept(users, dispatch):
    item = dispatch()
    assert item.contribution_due_date == dt.date(2026, 3, 18)  # two working days before 3-20
    assert {a.unit.code: (a.role, a.due_date) for a in item.assignments.all()} == {
        "zjt": ("lead", dt.date(2026, 3, 20)),
        "mzt": ("participating", dt.date(2026, 3, 18)),
        "gat": ("participating", dt.date(2026, 3, 18)),
    }
    # One viewflow task per unit, each pointing at its assignment.
    tasks = open_flow_tasks(item, ItemFlow.unit_work)
    assert sorted(t.data["assignment"] for t in tasks) == sorted(item.assignments.values_list("pk", flat=True))

    lead = share(item, "zjt")
    lead = ts.assignment_claim(assignment=lead, by=users["liaison_zjt"])
    with pytest.raises(DomainError, match="尚有单位未反馈（省民政厅、省公安厅）"):
        fs.assignment_submit(assignment=lead, result="汇总", version=lead.version, by=users["liaison_zjt"])

    work(share(item, "mzt"), users["liaison_mzt"], "民政厅：已指导社区建立议事协商平台。")
    assert not open_flow_tasks(item, ItemFlow.review).exists()
    work(share(item, "gat"), users["liaison_gat"], "公安厅：智慧安防已覆盖 12 个社区。")
    assert not open_flow_tasks(item, ItemFlow.review).exists()  # the lead has not consolidated yet
    lead.refresh_from_db()
    fs.assignment_submit(
        assignment=lead, result="汇总：各单位均已落实。", version=lead.version, by=users["liaison_zjt"]
    )
    item.refresh_from_db()
    assert item.status == Item.Status.UNDER_REVIEW
    assert open_flow_tasks(item, ItemFlow.review).count() == 1

    # The office returns it for revision: only the primary lead gets a new task.
    with pytest.raises(DomainError, match="请填写退回修改的理由"):
        fs.item_return_for_revision(item=item, reason="  ", version=item.version, by=users["office"])
    fs.item_return_for_revision(item=item, reason="缺少具体数据，请补充。", version=item.version, by=users["office"])
    item.refresh_from_db()
    assert item.status == Item.Status.REVISION and item.review_round == 1
    revise = open_flow_tasks(item, ItemFlow.unit_work)
    assert [t.data["assignment"] for t in revise] == [lead.pk]
    lead.refresh_from_db()
    assert lead.status == Assignment.Status.REVISION and lead.flow_task_id == revise[0].pk
    fs.assignment_submit(
        assignment=lead, result="补充：改造 320 个小区。", version=lead.version, by=users["liaison_zjt"]
    )

    item.refresh_from_db()
    fs.item_accept(item=item, version=item.version, by=users["office"])
    item.refresh_from_db()
    assert item.status == Item.Status.DONE and item.accepted_at
    assert set(item.assignments.values_list("status", flat=True)) == {"done"}
    assert process_for_item(item).status == PROCESS.DONE
    actions = list(
        AuditEntry.objects.filter(content_type__app_label="tasks", object_id=str(item.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[0] == "item.dispatch" and actions[-1] == "item.accept"
    assert actions.count("assignment.submit") == 4 and "item.return_for_revision" in actions


def test_joint_leads_co_lead_reports_first_then_primary_consolidates(users, dispatch):
    item = dispatch(lead=("mzt", "gat"), participating=())
    primary, co = share(item, "mzt"), share(item, "gat")
    assert primary.is_primary_lead and not co.is_primary_lead and co.due_date == item.due_date
    primary = ts.assignment_claim(assignment=primary, by=users["liaison_mzt"])
    with pytest.raises(DomainError, match="省公安厅"):
        fs.assignment_submit(assignment=primary, result="x", version=primary.version, by=users["liaison_mzt"])
    work(co, users["liaison_gat"], "公安厅负责部分：已完成。")
    item.refresh_from_db()
    assert item.status == Item.Status.IN_PROGRESS  # a co-lead's part does not send it for review
    primary.refresh_from_db()
    fs.assignment_submit(assignment=primary, result="联合汇总", version=primary.version, by=users["liaison_mzt"])
    item.refresh_from_db()
    assert item.status == Item.Status.UNDER_REVIEW
    fs.item_accept(item=item, version=item.version, by=users["office"])
    assert process_for_item(item).status == PROCESS.DONE


def test_return_not_our_duty_rerouted_by_convener(users, dispatch, unit):
    item = dispatch()
    gat = share(item, "gat")
    with pytest.raises(DomainError, match="请填写退回理由"):
        ts.return_request(assignment=gat, reason="", by=users["liaison_gat"])
    req = ts.return_request(assignment=gat, reason="该事项属生态环境厅职责。", by=users["liaison_gat"])
    with pytest.raises(NotAllowed):
        fs.return_decide(request=req, approve=True, units=[unit("sthjt")], by=users["office"])
    fs.return_decide(
        request=req, approve=True, units=[unit("sthjt")], note="改由生态环境厅配合。", by=users["convener"]
    )
    req.refresh_from_db()
    assert req.status == UnitRequest.Status.APPROVED and req.rerouted_to == ["省生态环境厅"]
    gat.refresh_from_db()
    assert gat.status == Assignment.Status.REROUTED
    new = share(item, "sthjt")
    assert new.role == "participating" and new.rerouted_from == gat and new.due_date == gat.due_date
    assert Task.objects.get(pk=gat.flow_task_id).status == STATUS.DONE
    assert Task.objects.get(pk=new.flow_task_id).status == STATUS.NEW
    # The Join still waits for the replacement, then the item goes through.
    work(share(item, "mzt"), users["liaison_mzt"])
    lead = ts.assignment_claim(assignment=share(item, "zjt"), by=users["liaison_zjt"])
    with pytest.raises(DomainError, match="省生态环境厅"):
        fs.assignment_submit(assignment=lead, result="x", version=lead.version, by=users["liaison_zjt"])
    sthjt_user = _account("生态环境厅联络员", "sthjt")
    work(new, sthjt_user)
    lead.refresh_from_db()
    fs.assignment_submit(assignment=lead, result="汇总", version=lead.version, by=users["liaison_zjt"])
    assert open_flow_tasks(item, ItemFlow.review).count() == 1


def test_return_refused_keeps_the_task_with_the_unit(users, dispatch):
    item = dispatch()
    req = ts.return_request(assignment=share(item, "mzt"), reason="非本单位职责", by=users["liaison_mzt"])
    fs.return_decide(request=req, approve=False, note="属于社区治理范围，请继续办理。", by=users["deputy"])
    a = share(item, "mzt")
    assert a.status == Assignment.Status.CLAIMED and a.claimed_by == users["liaison_mzt"]
    with pytest.raises(Conflict, match="已决定"):
        fs.return_decide(request=req, approve=False, by=users["deputy"])
    fs.assignment_submit(assignment=a, result="已办理", version=a.version, by=users["liaison_mzt"])
    assert share(item, "mzt").status == Assignment.Status.SUBMITTED


def test_released_participant_completes_join_without_replacement(users, dispatch):
    """The Join pitfall: releasing the last open branch must not leave the Join waiting."""
    item = dispatch(participating=("mzt",))
    lead = ts.assignment_claim(assignment=share(item, "zjt"), by=users["liaison_zjt"])
    req = ts.return_request(assignment=share(item, "mzt"), reason="不属本厅职责", by=users["liaison_mzt"])
    fs.return_decide(request=req, approve=True, units=[], by=users["convener"])
    lead.refresh_from_db()
    fs.assignment_submit(assignment=lead, result="汇总", version=lead.version, by=users["liaison_zjt"])
    assert open_flow_tasks(item, ItemFlow.review).count() == 1


def test_lead_return_must_be_rerouted_and_replacement_becomes_primary(users, dispatch, unit):
    item = dispatch(participating=("mzt",))
    req = ts.return_request(assignment=share(item, "zjt"), reason="应由公安厅牵头", by=users["liaison_zjt"])
    with pytest.raises(DomainError, match="须改派"):
        fs.return_decide(request=req, approve=True, units=[], by=users["convener"])
    fs.return_decide(request=req, approve=True, units=[unit("gat")], by=users["convener"])
    new = share(item, "gat")
    assert new.is_primary_lead
    work(share(item, "mzt"), users["liaison_mzt"])
    work(new, users["liaison_gat"])
    item.refresh_from_db()
    assert item.status == Item.Status.UNDER_REVIEW


def test_extension_approved_moves_the_date_and_one_refused_does_not(users, dispatch):
    item = dispatch()
    lead = share(item, "zjt")
    with pytest.raises(DomainError, match="须晚于现时限"):
        ts.extension_request(
            assignment=lead, reason="数据未齐", new_due_date=dt.date(2026, 3, 19), by=users["liaison_zjt"]
        )
    req = ts.extension_request(
        assignment=lead, reason="统计数据月底才出", new_due_date=dt.date(2026, 3, 31), by=users["liaison_zjt"]
    )
    with pytest.raises(Conflict, match="待决定"):
        ts.extension_request(assignment=lead, reason="again", new_due_date=dt.date(2026, 4, 1), by=users["liaison_zjt"])
    with pytest.raises(NotAllowed):
        ts.extension_decide(request=req, approve=True, note="", by=users["office"])
    ts.extension_decide(request=req, approve=True, note="同意", by=users["convener"])
    item.refresh_from_db()
    lead.refresh_from_db()
    assert lead.due_date == item.due_date == dt.date(2026, 3, 31)

    mzt = share(item, "mzt")
    with pytest.raises(DomainError, match="不能晚于牵头单位"):
        ts.extension_request(assignment=mzt, reason="x", new_due_date=dt.date(2026, 4, 2), by=users["liaison_mzt"])
    req2 = ts.extension_request(
        assignment=mzt, reason="需征求基层意见", new_due_date=dt.date(2026, 3, 25), by=users["liaison_mzt"]
    )
    ts.extension_decide(request=req2, approve=False, note="时间紧，请按期反馈。", by=users["deputy"])
    mzt.refresh_from_db()
    assert mzt.due_date == dt.date(2026, 3, 18)
    assert list(UnitRequest.objects.filter(assignment__item=item).values_list("status", flat=True)) == [
        "approved",
        "refused",
    ]


def test_double_submit_and_stale_version_change_nothing(users, dispatch):
    item = dispatch()
    a = ts.assignment_claim(assignment=share(item, "mzt"), by=users["liaison_mzt"])
    stale = a.version
    a = ts.assignment_save(assignment=a, result="草稿", version=a.version, by=users["liaison_mzt"])
    with pytest.raises(Conflict, match="已被他人修改"):
        ts.assignment_save(assignment=a, result="旧页面", version=stale, by=users["liaison_mzt"])
    fs.assignment_submit(assignment=a, result="正式反馈", version=a.version, by=users["liaison_mzt"])
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict, match="请勿重复提交"):
        fs.assignment_submit(assignment=a, result="再次", version=a.version, by=users["liaison_mzt"])
    a.refresh_from_db()
    assert a.result == "正式反馈" and AuditEntry.objects.count() == before


def test_bad_dispatch_input(users, unit, frozen):
    base = dict(
        by=users["office"],
        title="标题",
        content="内容",
        source="ad_hoc",
        lead_units=[unit("zjt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 20),
    )
    cases = [
        (dict(title=""), "请填写标题"),
        (dict(title="长" * 121), "标题不能超过 120 字"),
        (dict(content=" "), "请填写事项内容"),
        (dict(due_date=dt.date(2026, 3, 1)), "不能早于今天"),
        (dict(contribution_due_date=dt.date(2026, 3, 21)), "不能晚于办理时限"),
        (dict(lead_units=[]), "请至少选择一个牵头单位"),
        (dict(participating_units=[unit("zjt")]), "不能同时是牵头单位和配合单位"),
        (dict(source="work_line"), "请选择对应的工作事项"),
    ]
    for change, message in cases:
        with pytest.raises(DomainError, match=message):
            fs.item_dispatch(**{**base, **change})
    with pytest.raises(NotAllowed):
        fs.item_dispatch(**{**base, "by": users["liaison_zjt"]})
    assert Item.objects.count() == 0 and Task.objects.count() == 0


def test_split_with_no_unit_goes_straight_to_review(users, unit, frozen):
    """The per-unit split's empty path (an item whose every share was closed before routing)."""
    item = ts.item_create(
        by=users["office"],
        title="t",
        content="c",
        source="ad_hoc",
        lead_units=[unit("zjt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 20),
    )
    item.assignments.update(status="submitted")
    ts.item_progress_refresh(item=item)
    ItemFlow.start.run(item=item)
    assert open_flow_tasks(item, ItemFlow.unit_work).count() == 0
    assert open_flow_tasks(item, ItemFlow.review).count() == 1


def _account(name, code):
    from members.models import MemberUnit, Person, Role, RoleAssignment
    from members.services import account_create

    u = MemberUnit.objects.get(code=code)
    p = Person.objects.create(unit=u, name=name)
    RoleAssignment.objects.create(
        mechanism=u.mechanism, person=p, role=Role.LIAISON, unit=u, start_date=u.mechanism.established_on
    )
    return account_create(username=f"l_{code}", password="test-pass-2026", person=p)
