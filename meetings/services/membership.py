"""Membership changes (成员调整, 增补) proposed, checked and confirmed; a liaison's B角."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.parsing import text_clean
from core.services import audit_record
from deadlines.events import event_notify
from members.models import Division, MemberUnit, Person, Role, RoleAssignment
from members.selectors import mechanism_for
from members.services import backup_assign, role_replace, unit_add
from workflow.steps import process_for, step_run
from workflow.transitions import transition_apply, version_check

from ..flows import MembershipChangeFlow
from ..models import MembershipChange
from .common import _lock, _require_decider, _require_office, _require_unit

# --- membership changes -------------------------------------------------------------------------------


@transaction.atomic
def change_propose_replace(
    *,
    assignment: RoleAssignment,
    effective_date: date,
    reason: str,
    by,
    new_person: Person | None = None,
    new_person_name: str = "",
    new_person_title: str = "",
    new_person_division: Division | None = None,
) -> MembershipChange:
    """A unit proposes replacing its member or liaison from `effective_date`, by an existing person
    of the unit or a newcomer named here (created on confirmation)."""
    unit = assignment.unit
    _require_unit(by, unit, "提出本单位人员调整")
    if assignment.role not in (Role.MEMBER, Role.LIAISON):
        raise DomainError("单位只能提出本单位成员或联络员的调整。", field="assignment")
    if assignment.end_date is not None and assignment.end_date <= timezone.localdate():
        raise DomainError("该任职已终止。", field="assignment")
    if effective_date is None or effective_date <= assignment.start_date:
        raise DomainError("生效日期必须晚于原任职的起始日期。", field="effective_date")
    if effective_date < timezone.localdate():
        raise DomainError("生效日期不能早于今天。", field="effective_date")
    name = text_clean(new_person_name, label="新任人员姓名", field="new_person_name", max_length=30, required=False)
    if new_person is None and not name:
        raise DomainError("请选择或填写新任人员。", field="new_person")
    if new_person is not None and new_person.unit_id != unit.pk:
        raise DomainError("新任人员必须属于同一成员单位。", field="new_person")
    if new_person is not None and new_person.pk == assignment.person_id:
        raise DomainError("新任人员与原任人员相同。", field="new_person")
    if new_person_division is not None and new_person_division.unit_id != unit.pk:
        raise DomainError("处室不属于该单位。", field="new_person_division")
    if MembershipChange.objects.filter(
        assignment=assignment, status__in=[MembershipChange.Status.PROPOSED, MembershipChange.Status.CHECKED]
    ).exists():
        raise Conflict("该职务已有一项调整在办理中。", code="duplicate")
    change = MembershipChange(
        mechanism_id=assignment.mechanism_id,
        kind=MembershipChange.Kind.REPLACE,
        unit=unit,
        assignment=assignment,
        new_person=new_person,
        new_person_name=name if new_person is None else "",
        new_person_title=text_clean(
            new_person_title, label="职务", field="new_person_title", max_length=60, required=False
        ),
        new_person_division=new_person_division,
        effective_date=effective_date,
        reason=text_clean(reason, label="调整理由", field="reason", max_length=1000),
        proposed_by=by,
    )
    change.full_clean()
    change.save()
    audit_record(
        actor=by,
        action="membership.propose",
        obj=change,
        reason=change.reason,
        changes={
            "role": assignment.get_role_display(),
            "from": assignment.person.name,
            "to": new_person.name if new_person else name,
            "effective_date": str(effective_date),
        },
    )
    MembershipChangeFlow.start.run(change=change)
    return change


@transaction.atomic
def change_propose_unit_add(
    *,
    name: str,
    code: str,
    divisions: list[str],
    member: dict,
    liaison: dict,
    effective_date: date,
    reason: str,
    by,
    full_name: str = "",
) -> MembershipChange:
    """The office proposes adding a member unit (增补) with its divisions, member and liaison
    (dicts: name, title, division — a division among `divisions`)."""
    _require_office(by, "提出增补成员单位")
    mechanism = mechanism_for(by)
    name = text_clean(name, label="单位名称", field="name", max_length=60)
    code = text_clean(code, label="单位代码", field="code", max_length=32)
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise DomainError("单位代码只能包含英文字母、数字、连字符。", field="code")
    if (
        MemberUnit.objects.filter(mechanism=mechanism, code=code).exists()
        or MemberUnit.objects.filter(mechanism=mechanism, name=name).exists()
    ):
        raise DomainError("已有同名或同代码的成员单位。", field="name")
    divisions = [d.strip() for d in divisions if d and d.strip()]
    if not divisions:
        raise DomainError("请至少填写一个处室。", field="divisions")
    if len(set(divisions)) != len(divisions):
        raise DomainError("处室名称重复。", field="divisions")
    people = {}
    for key, label in (("member", "成员"), ("liaison", "联络员")):
        p = {"member": member, "liaison": liaison}[key] or {}
        people[key] = {
            "name": text_clean(p.get("name"), label=f"{label}姓名", field=key, max_length=30),
            "title": text_clean(p.get("title"), label=f"{label}职务", field=key, max_length=60, required=False),
            "division": (p.get("division") or divisions[0]).strip(),
        }
        if people[key]["division"] not in divisions:
            raise DomainError(f"{label}所在处室不在所列处室中。", field=key)
    if effective_date is None or effective_date < timezone.localdate():
        raise DomainError("生效日期不能早于今天。", field="effective_date")
    change = MembershipChange(
        mechanism=mechanism,
        kind=MembershipChange.Kind.ADD_UNIT,
        effective_date=effective_date,
        new_unit={"name": name, "code": code, "full_name": full_name.strip()[:100], "divisions": divisions, **people},
        reason=text_clean(reason, label="增补理由", field="reason", max_length=1000),
        proposed_by=by,
    )
    change.full_clean()
    change.save()
    audit_record(actor=by, action="membership.propose", obj=change, reason=change.reason, changes=change.new_unit)
    MembershipChangeFlow.start.run(change=change)
    return change


@transaction.atomic
def change_check(*, change: MembershipChange, passed: bool, by, note: str = "", version=None) -> MembershipChange:
    """The office checks the proposal before it goes to the convener."""
    _require_office(by, "审核成员调整")
    change = _lock(MembershipChange, change)
    version_check(change, version, label="该调整")
    note = text_clean(note, label="不通过的理由", field="note", max_length=500, required=not passed)
    transition_apply(change, "check" if passed else "reject", label="该调整")
    change.checked_by, change.decision_note = by, note
    change.save()
    audit_record(actor=by, action="membership.check", obj=change, reason=note, changes={"passed": passed})
    step_run(MembershipChangeFlow.check, process=process_for(MembershipChangeFlow, change), passed=passed)
    return change


@transaction.atomic
def change_confirm(*, change: MembershipChange, confirm: bool, by, note: str = "", version=None) -> MembershipChange:
    """The convener (or deputy on the convener's behalf) confirms for the meeting; the change then
    applies from its effective date (`members.services.role_replace`, or the new unit's rows)."""
    on_behalf = _require_decider(by, "确认成员调整")
    change = _lock(MembershipChange, change)
    version_check(change, version, label="该调整")
    note = text_clean(note, label="不同意的理由", field="note", max_length=500, required=not confirm)
    transition_apply(change, "confirm" if confirm else "reject", label="该调整")
    change.decided_by, change.decided_at, change.on_behalf_of_convener = by, timezone.now(), on_behalf
    change.decision_note = note
    change.save()
    audit_record(
        actor=by,
        action="membership.confirm" if confirm else "membership.reject",
        obj=change,
        reason=note,
        changes={"on_behalf_of_convener": on_behalf},
    )
    event_notify(
        event="membership_decided",
        obj=change,
        by=by,
        reason=note,
        units=[change.unit] if change.unit else [],
        users=[change.proposed_by],
        decision="已确认" if confirm else "未同意",
        change=str(change),
    )
    if confirm:
        if change.kind == MembershipChange.Kind.REPLACE:
            _apply_replace(change, by)
        else:
            _apply_unit_add(change, by)
    step_run(MembershipChangeFlow.confirm, process=process_for(MembershipChangeFlow, change), confirmed=confirm)
    return change


def _apply_replace(change: MembershipChange, by):
    person = change.new_person
    if person is None:
        person = Person.objects.filter(unit=change.unit, name=change.new_person_name).first()
    if person is None:
        person = Person(
            unit=change.unit,
            division=change.new_person_division or change.assignment.division,
            name=change.new_person_name,
            title=change.new_person_title,
        )
        person.full_clean()
        person.save()
        change.new_person = person
        change.save(update_fields=["new_person"])
    role_replace(
        assignment=change.assignment,
        new_person=person,
        effective_date=change.effective_date,
        by=by,
        reason=change.reason,
        basis=f"联席会议确认（成员调整 #{change.pk}）",
    )


def _apply_unit_add(change: MembershipChange, by):
    data = change.new_unit
    change.unit = unit_add(
        mechanism=change.mechanism,
        code=data["code"],
        name=data["name"],
        full_name=data.get("full_name", ""),
        divisions=data["divisions"],
        member=data["member"],
        liaison=data["liaison"],
        joined_on=change.effective_date,
        basis=f"联席会议确认增补（成员调整 #{change.pk}）",
        reason=change.reason,
        by=by,
    )
    change.save(update_fields=["unit"])


@transaction.atomic
def backup_name(*, liaison: RoleAssignment, backup: Person, start_date: date, end_date: date, reason: str, by):
    """A liaison (or a member of the unit) names a B角 for a leave. No confirmation by the meeting:
    it is the unit's own arrangement; the record says who acts for whom."""
    _require_unit(by, liaison.unit, "为本单位联络员指定B角")
    if start_date is None or end_date is None:
        raise DomainError("请填写请假起止日期。", field="start_date")
    if end_date <= timezone.localdate():
        raise DomainError("请假期间已经结束。", field="end_date")
    return backup_assign(
        liaison=liaison,
        backup=backup,
        start_date=start_date,
        end_date=end_date,
        by=by,
        reason=text_clean(reason, label="请假事由", field="reason", max_length=200),
    )
