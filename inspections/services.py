"""Every write to `inspections`, as keyword-only functions: validate, write, audit in one
transaction; who is told is declared in `deadlines.events`.

A finding's rectification is a supervised item created by the item flow's own service
(`tasks.services.item_dispatch` → `tasks.services.item_create`), so it is claimed, handled,
reported, extended, returned and accepted exactly like any other item. Its 办结 closes the finding
(`receivers`)."""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.parsing import text_clean
from core.services import audit_record
from core.uploads import storage_name, upload_check
from deadlines.events import event_notify
from members.models import MemberUnit, ReportingUnit
from members.selectors import mechanism_for, mechanism_id_for
from tasks.models import Item
from workflow.transitions import transition_apply, version_check

from .models import Finding, FindingPhoto, Inspection

TITLE_MAX, TEXT_MAX, PHOTOS_MAX = 100, 2000, 9


def may_plan(user) -> bool:
    """The office plans inspections and turns findings into rectification items."""
    return user.is_authenticated and user.has_perm("members.dispatch")


def may_record(user, inspection: Inspection) -> bool:
    """Team members record findings on site; so may the office."""
    return may_plan(user) or inspection.team.filter(pk=user.pk).exists()


# --- inspections --------------------------------------------------------------------------------------


@transaction.atomic
def inspection_plan(
    *,
    title: str,
    starts_on: date,
    ends_on: date,
    team: list,
    leader,
    by,
    reporting_unit: ReportingUnit | None = None,
    community=None,
    purpose: str = "",
) -> Inspection:
    """The office plans an inspection: who (the team and its leader), where (a prefecture and/or a
    community — a pilot community above all), when."""
    if not may_plan(by):
        raise NotAllowed("只有联席会议办公室可以安排督导检查。")
    mechanism = mechanism_for(by)
    if mechanism is None:
        raise DomainError("联席会议尚未载入。")
    title = text_clean(title, label="检查名称", field="title", max_length=TITLE_MAX)
    purpose = text_clean(purpose, label="检查内容", field="purpose", required=False, max_length=TEXT_MAX)
    if community is not None:
        if community.reporting_unit.mechanism_id != mechanism.pk:
            raise DomainError("所选社区不在本省台账中。", field="community")
        if reporting_unit is None:
            reporting_unit = community.reporting_unit
        elif community.reporting_unit_id != reporting_unit.pk:
            raise DomainError(f"{community.name}不属于{reporting_unit.name}。", field="community")
    if reporting_unit is None:
        raise DomainError("请选择检查的市州或社区。", field="reporting_unit")
    if reporting_unit.mechanism_id != mechanism.pk:
        raise DomainError("所选市州不属于本联席会议。", field="reporting_unit")
    if starts_on is None:
        raise DomainError("请填写检查开始日期。", field="starts_on")
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise DomainError("检查结束日期不能早于开始日期。", field="ends_on")
    team = list(dict.fromkeys(team or []))
    if leader is not None and leader not in team:
        team.insert(0, leader)
    if not team:
        raise DomainError("请至少选择一名检查组成员。", field="team")
    leader = leader or team[0]
    stray = [str(u) for u in team if not u.is_active or mechanism_id_for(u) != mechanism.pk]
    if stray:
        raise DomainError(f"{'、'.join(stray)}不是本联席会议的人员。", field="team")
    inspection = Inspection(
        mechanism=mechanism,
        title=title,
        purpose=purpose,
        reporting_unit=reporting_unit,
        community=community,
        starts_on=starts_on,
        ends_on=ends_on,
        leader=leader,
        planned_by=by,
    )
    inspection.full_clean()
    inspection.save()
    inspection.team.set(team)
    audit_record(
        actor=by,
        action="inspection.plan",
        obj=inspection,
        changes={
            "place": inspection.place,
            "starts_on": str(starts_on),
            "ends_on": str(ends_on),
            "team": [str(u) for u in team],
            "leader": str(leader),
        },
    )
    event_notify(event="inspection_planned", obj=inspection, by=by, users=team)
    return inspection


@transaction.atomic
def inspection_finish(*, inspection: Inspection, conclusion: str, by, version=None) -> Inspection:
    """The visit is over: the conclusion is written and no more findings are recorded. Findings
    already recorded keep being rectified; the report's closure rate keeps moving with them."""
    if not may_plan(by) and by.pk != inspection.leader_id:
        raise NotAllowed("只有检查组组长或联席会议办公室可以结束检查。")
    i = Inspection.objects.select_for_update().get(pk=inspection.pk)
    version_check(i, version, label="该检查")
    i.conclusion = text_clean(conclusion, label="检查结论", field="conclusion", max_length=3000)
    transition_apply(i, "finish", label="该检查")
    i.finished_at = timezone.now()
    i.save(update_fields=["conclusion", "status", "finished_at", "version"])
    audit_record(actor=by, action="inspection.finish", obj=i, changes={"findings": i.findings_count})
    return i


# --- findings -----------------------------------------------------------------------------------------


@transaction.atomic
def finding_record(
    *,
    inspection: Inspection,
    description: str,
    by,
    requirement: str = "",
    location: str = "",
    photos=(),
    lead_unit: MemberUnit | None = None,
    due_date: date | None = None,
) -> Finding:
    """A team member records a problem on site, with photos (the one upload rule, core.uploads).
    When the office records it and names the lead unit and due date, it is issued at once."""
    i = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if not may_record(by, i):
        raise NotAllowed("只有检查组成员或联席会议办公室可以记录检查发现的问题。")
    if i.status != Inspection.Status.PLANNED:
        raise Conflict("该检查已结束，不能再记录问题。", code="bad_transition")
    photos = [p for p in photos if p]
    if len(photos) > PHOTOS_MAX:
        raise DomainError(f"每个问题最多上传 {PHOTOS_MAX} 张照片。", field="photos")
    names = [upload_check(p, field="photos") for p in photos]
    finding = Finding(
        inspection=i,
        number=i.findings_count + 1,
        recorded_by=by,
        description=text_clean(description, label="问题描述", field="description", max_length=TEXT_MAX),
        requirement=text_clean(requirement, label="整改要求", field="requirement", required=False, max_length=TEXT_MAX),
        location=text_clean(location, label="具体位置", field="location", max_length=100, required=False),
        reporting_unit_id=i.reporting_unit_id,
    )
    finding.full_clean()
    finding.save()
    for upload, name in zip(photos, names):
        photo = FindingPhoto(finding=finding, name=name, size=upload.size, uploaded_by=by)
        photo.file.save(storage_name(name), upload, save=False)
        photo.save()
    Inspection.objects.filter(pk=i.pk).update(findings_count=F("findings_count") + 1)
    audit_record(
        actor=by,
        action="finding.record",
        obj=finding,
        changes={"inspection": i.title, "photos": names, "description": finding.description[:80]},
    )
    if may_plan(by) and lead_unit is not None and due_date is not None:
        finding = finding_issue(finding=finding, lead_unit=lead_unit, due_date=due_date, by=by)
    return finding


@transaction.atomic
def photo_add(*, finding: Finding, upload, by) -> FindingPhoto:
    """Add a photo to a finding (the team, while the rectification is not closed)."""
    if not may_record(by, finding.inspection):
        raise NotAllowed("只有检查组成员或联席会议办公室可以上传现场照片。")
    f = Finding.objects.select_for_update().get(pk=finding.pk)
    if f.status == Finding.Status.CLOSED:
        raise Conflict("该问题已整改销号，不能再上传照片。", code="bad_transition")
    if f.photos.count() >= PHOTOS_MAX:
        raise DomainError(f"每个问题最多上传 {PHOTOS_MAX} 张照片。", field="photos")
    name = upload_check(upload, field="photos")
    photo = FindingPhoto(finding=f, name=name, size=upload.size, uploaded_by=by)
    photo.file.save(storage_name(name), upload, save=False)
    photo.save()
    audit_record(actor=by, action="finding.photo", obj=f, changes={"file": name, "size": upload.size})
    return photo


def finding_issue(
    *, finding: Finding, lead_unit: MemberUnit, due_date: date, by, participating_units=(), version=None
) -> Finding:
    """交办整改: the office names the lead unit and the due date; the finding becomes a supervised
    item (source 督导检查整改) routed by the item flow. When the finding is at a prefecture, the
    prefecture's users are told (items go to member units; docs/inspections.md)."""
    from tasks.services import item_dispatch  # the item flow's own entry point

    if not may_plan(by):
        raise NotAllowed("只有联席会议办公室可以交办整改。")
    with transaction.atomic():
        f = (
            Finding.objects.select_for_update(of=("self",))
            .select_related("inspection", "reporting_unit")
            .get(pk=finding.pk)
        )
        version_check(f, version, label="该问题")
        if lead_unit is None:
            raise DomainError("请选择整改牵头单位。", field="lead_unit")
        transition_apply(f, "issue", label="该问题")
        i = f.inspection
        where = f"（{f.reporting_unit.name}{' ' + f.location if f.location else ''}）" if f.reporting_unit_id else ""
        content = f"{i.title}发现问题{f.number}{where}：{f.description}"
        if f.requirement:
            content += f"\n\n整改要求：{f.requirement}"
        item = item_dispatch(
            by=by,
            title=f"【整改】{i.title} 问题{f.number}：{f.description}"[:120],
            content=content[:5000],
            source=Item.Source.INSPECTION,
            source_note=f"督导检查：{i.title}"[:200],
            lead_units=[lead_unit],
            participating_units=list(participating_units),
            due_date=due_date,
        )
        f.item, f.lead_unit, f.due_date, f.issued_at = item, lead_unit, due_date, timezone.now()
        f.save(update_fields=["item", "lead_unit", "due_date", "issued_at", "status", "version"])
        audit_record(
            actor=by,
            action="finding.issue",
            obj=f,
            changes={"item": item.pk, "lead_unit": lead_unit.name, "due_date": str(due_date)},
        )
        if f.reporting_unit_id:
            event_notify(
                event="rectification_issued",
                obj=f,
                by=by,
                reporting_units=[f.reporting_unit_id],
                unit=lead_unit.name,
                item=item,
            )
    return f


def finding_close_for_item(*, item: Item, by) -> Finding | None:
    """The rectification item was 办结: its finding closes (called in that transaction)."""
    f = Finding.objects.select_for_update().filter(item=item).first()
    if f is None or f.status == Finding.Status.CLOSED:
        return None
    transition_apply(f, "close", label="该问题")
    f.closed_at = timezone.now()
    f.save(update_fields=["status", "closed_at", "version"])
    Inspection.objects.filter(pk=f.inspection_id).update(closed_count=F("closed_count") + 1)
    audit_record(actor=by, action="finding.close", obj=f, reason="整改督办事项已办结", changes={"item": item.pk})
    i = Inspection.objects.get(pk=f.inspection_id)
    event_notify(event="finding_closed", obj=i, by=by, users=[i.leader], number=f.number)
    return f
