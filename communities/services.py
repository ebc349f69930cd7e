"""Every write to the ledger, pilots and assessments: keyword-only,
validated, audited in the same transaction. Status changes go through the models' `TRANSITIONS`
tables (`workflow.transitions`); the assessment flow's tasks are moved from here (`workflow.steps`)."""

import secrets
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.services import audit_record
from core.uploads import upload_check
from deadlines.events import event_notify
from deadlines.models import Obligation
from members.selectors import mechanism_id_for
from workflow.steps import step_run
from workflow.transitions import transition_apply

from .models import (
    Assessment,
    AssessmentEvidence,
    AssessmentStep,
    Community,
    CommunityStatusChange,
    CreationStatus,
    PilotNomination,
    PilotSelection,
    PilotSupport,
    Renovation,
)
from .scoring import engine_for
from .selectors import confirmed_pilot_ids, may_confirm, may_decide, may_keep, own_unit_ids

S = CreationStatus
A = Assessment.Status

PILOTS_MIN, PILOTS_MAX = 2, 3


def _clean(obj):
    try:
        obj.full_clean()
    except ValidationError as e:
        field_name, messages = next(iter(e.message_dict.items()))
        label = obj._meta.get_field(field_name).verbose_name if field_name != "__all__" else ""
        raise DomainError(
            f"{label}：{messages[0]}" if label else messages[0], code="invalid", field=field_name
        ) from None


# --- Communities ----------------------------------------------------------------------------------


def _community_move(*, community: Community, action: str, by, reason: str = ""):
    """Move the community by `action` (kernel) and keep its status history (CommunityStatusChange)."""
    current = community.status
    transition_apply(community, action, label="社区")
    CommunityStatusChange.objects.create(
        community=community, from_status=current, to_status=community.status, by=by, reason=reason
    )
    community.save(update_fields=["status", "standard_met_on", "updated_at"])


def _return_action(community: Community) -> str:
    """Back to “taking part”, or to “pilot” for a provincial pilot."""
    return "return_to_pilot" if community.pk in confirmed_pilot_ids() else "return_to_taking_part"


EDITABLE_FIELDS = ("county", "name", "residents_committee", "old_estates", "renovation")


@transaction.atomic
def community_create(
    *,
    reporting_unit,
    name: str,
    by,
    county: str = "",
    residents_committee: str = "",
    old_estates: str = "",
    renovation: str = Renovation.NONE,
) -> Community:
    if reporting_unit.pk not in own_unit_ids(by):
        raise NotAllowed("只能登记本地区的社区。")
    community = Community(
        reporting_unit=reporting_unit,
        name=name.strip(),
        county=county.strip(),
        residents_committee=residents_committee.strip(),
        old_estates=old_estates.strip(),
        renovation=renovation,
    )
    _clean(community)
    if Community.objects.filter(reporting_unit=reporting_unit, name=community.name).exists():
        raise DomainError(f"本地区已有名为“{community.name}”的社区。", code="duplicate", field="name")
    community.save()
    CommunityStatusChange.objects.create(
        community=community, from_status="", to_status=community.status, by=by, reason="登记入台账"
    )
    audit_record(
        actor=by, action="community.create", obj=community, changes={f: getattr(community, f) for f in EDITABLE_FIELDS}
    )
    return community


@transaction.atomic
def community_update(*, community: Community, by, **values) -> Community:
    if not may_keep(by, community):
        raise NotAllowed("只能修改本地区的社区。")
    community = Community.objects.select_for_update().get(pk=community.pk)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"不能修改：{'、'.join(sorted(unknown))}。")
    changes = {}
    for key, value in values.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(community, key) != value:
            changes[key] = [getattr(community, key), value]
            setattr(community, key, value)
    if not changes:
        return community
    _clean(community)
    if (
        "name" in changes
        and Community.objects.filter(reporting_unit=community.reporting_unit_id, name=community.name)
        .exclude(pk=community.pk)
        .exists()
    ):
        raise DomainError(f"本地区已有名为“{community.name}”的社区。", code="duplicate", field="name")
    community.save()
    audit_record(actor=by, action="community.update", obj=community, changes=changes)
    return community


@transaction.atomic
def community_join(*, community: Community, by) -> Community:
    """The community takes part in the creation action (参与创建)."""
    if not may_keep(by, community):
        raise NotAllowed("只能办理本地区的社区。")
    community = Community.objects.select_for_update().get(pk=community.pk)
    _community_move(community=community, action="join", by=by, reason="参与创建行动")
    audit_record(actor=by, action="community.join", obj=community)
    return community


@dataclass
class ImportRow:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    created: list[ImportRow] = field(default_factory=list)
    refused: list[ImportRow] = field(default_factory=list)


@transaction.atomic
def communities_import(*, rows: list[ImportRow], by) -> ImportReport:
    """Write the rows that passed every check, all in one transaction; refused rows (already carrying
    their reasons from the parser, or failing here) write nothing. Checks that need the database —
    the reporting unit is the user's own, the community is not yet in the ledger — run here."""
    from members.models import ReportingUnit

    report = ImportReport()
    own = {u.name: u for u in ReportingUnit.objects.filter(pk__in=own_unit_ids(by))}
    known_names = set(
        ReportingUnit.objects.prefectures().filter(mechanism_id=mechanism_id_for(by)).values_list("name", flat=True)
    )
    seen: set[tuple[int, str]] = set()
    existing = set(Community.objects.filter(reporting_unit__in=own.values()).values_list("reporting_unit_id", "name"))
    accepted = []
    for row in rows:
        unit_name = row.values.get("reporting_unit", "")
        unit = own.get(unit_name)
        if not row.errors:
            if unit is None:
                row.errors.append(
                    f"市州“{unit_name}”不是本地区" if unit_name in known_names else f"未知的市州“{unit_name}”"
                )
            else:
                key = (unit.pk, row.values["name"])
                if key in existing:
                    row.errors.append(f"社区“{row.values['name']}”已在台账中")
                elif key in seen:
                    row.errors.append(f"社区“{row.values['name']}”在本表中重复")
                seen.add(key)
        if not row.errors:
            community = Community(
                reporting_unit=unit,
                name=row.values["name"],
                county=row.values.get("county", ""),
                residents_committee=row.values.get("residents_committee", ""),
                old_estates=row.values.get("old_estates", ""),
                renovation=row.values.get("renovation", Renovation.NONE),
            )
            try:
                community.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as e:
                for fname, msgs in e.message_dict.items():
                    label = Community._meta.get_field(fname).verbose_name if fname != "__all__" else ""
                    row.errors.append(f"{label}{msgs[0]}")
        (report.refused if row.errors else report.created).append(row)
        if not row.errors:
            accepted.append(community)
    if accepted:
        Community.objects.bulk_create(accepted, batch_size=500)
        created = Community.objects.filter(reporting_unit__in=own.values(), name__in=[c.name for c in accepted])
        CommunityStatusChange.objects.bulk_create(
            [
                CommunityStatusChange(community=c, from_status="", to_status=c.status, by=by, reason="Excel导入台账")
                for c in created
            ],
            batch_size=500,
        )
        for unit in {c.reporting_unit for c in accepted}:
            audit_record(
                actor=by,
                action="community.import",
                obj=unit,
                changes={
                    "created": [c.name for c in accepted if c.reporting_unit_id == unit.pk],
                    "refused_rows": [r.line for r in report.refused],
                },
            )
    return report


# --- Pilots -----------------------------------------------------------------------------------------


@transaction.atomic
def pilot_nominate(*, community: Community, year: int, reason: str, by) -> PilotNomination:
    if not may_keep(by, community):
        raise NotAllowed("只能推荐本地区的社区。")
    if not reason.strip():
        raise DomainError("请填写推荐理由。", field="reason")
    if PilotNomination.objects.filter(community=community, year=year).exists():
        raise DomainError(f"“{community.name}”已推荐为{year}年试点社区。", code="duplicate")
    carrier = (
        Obligation.objects.filter(
            reporting_unit_id=community.reporting_unit_id, rule__code=PILOT_RULE, due_on__year=year
        )
        .order_by("due_on")
        .first()
    )
    nomination = PilotNomination.objects.create(
        community=community, year=year, reason=reason.strip(), nominated_by=by, obligation=carrier
    )
    audit_record(
        actor=by,
        action="pilot.nominate",
        obj=community,
        changes={"year": year, "obligation": str(carrier) if carrier else None},
    )
    return nomination


PILOT_RULE = "pilot_communities"  # the mechanism file's rule for 试点社区相关情况 (October)


@transaction.atomic
def pilot_selection_record(*, year: int, communities: list[Community], decision: str, decided_on, by) -> PilotSelection:
    """The office records the joint meeting's choice; it takes effect when the convener confirms."""
    if not may_confirm(by):
        raise NotAllowed("由联席会议办公室登记。")
    chosen = {c.pk: c for c in communities}
    if not PILOTS_MIN <= len(chosen) <= PILOTS_MAX:
        raise DomainError(f"联席会议在全省确定2至3个省级试点社区，本次选择了{len(chosen)}个。", code="pilot_count")
    nominated = set(PilotNomination.objects.filter(year=year, community__in=chosen).values_list("community", flat=True))
    missing = [c.name for pk, c in chosen.items() if pk not in nominated]
    if missing:
        raise DomainError(f"未经市州推荐：{'、'.join(missing)}。", code="not_nominated")
    if not decision.strip():
        raise DomainError("请填写决定依据（如联席会议纪要）。", field="decision")
    if PilotSelection.objects.select_for_update().filter(year=year).exists():
        raise DomainError(f"{year}年的省级试点社区已登记。", code="duplicate")
    selection = PilotSelection(year=year, decision=decision.strip(), decided_on=decided_on, recorded_by=by)
    _clean(selection)
    try:
        with transaction.atomic():
            selection.save()
    except IntegrityError:
        raise Conflict(f"{year}年的省级试点社区已登记。") from None
    selection.communities.set(chosen.values())
    audit_record(
        actor=by,
        action="pilot.record",
        obj=selection,
        changes={"communities": sorted(c.name for c in chosen.values()), "decision": selection.decision},
    )
    return selection


@transaction.atomic
def pilot_selection_confirm(*, selection: PilotSelection, by) -> PilotSelection:
    if not may_decide(by):
        raise NotAllowed("由召集人（或副召集人）确认。")
    selection = PilotSelection.objects.select_for_update().get(pk=selection.pk)
    if selection.status != PilotSelection.Status.RECORDED:
        raise Conflict("该决定已确认。")
    transition_apply(selection, "confirm", label="该决定")
    selection.confirmed_by, selection.confirmed_at = by, timezone.now()
    selection.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    for community in Community.objects.select_for_update().filter(pk__in=selection.communities.all()):
        # A community already in assessment or meeting the standard keeps its status; the selection
        # itself records that it is a provincial pilot.
        if community.status in (S.NOT_STARTED, S.TAKING_PART):
            _community_move(
                community=community, action="make_pilot", by=by, reason=f"{selection.decision}确定为省级试点社区"
            )
    audit_record(actor=by, action="pilot.confirm", obj=selection)
    return selection


# --- Assessments ------------------------------------------------------------------------------------


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("community").get(pk=assessment.pk)


def _step(node, assessment, **data):
    step_run(
        node, process=assessment.process, message="流程中没有待办的该环节（可能已被他人处理，请刷新页面）。", **data
    )


@transaction.atomic
def assessment_start(*, community: Community, by) -> Assessment:
    from .flows import AssessmentFlow

    if not may_keep(by, community):
        raise NotAllowed("只能为本地区的社区填报自评。")
    community = Community.objects.select_for_update().get(pk=community.pk)
    if community.status not in (S.TAKING_PART, S.PILOT):
        raise DomainError(
            f"社区当前为“{S(community.status).label}”，参与创建的社区才能开始自评。", code="bad_transition"
        )
    if community.assessments.filter(status__in=Assessment.OPEN).exists():
        raise Conflict("该社区已有进行中的评估。")
    assessment = Assessment.objects.create(
        community=community, standard=settings.MECHANISM, year=timezone.localdate().year, created_by=by
    )
    AssessmentFlow.start.run(assessment=assessment)
    AssessmentStep.objects.create(assessment=assessment, action=AssessmentStep.Action.STARTED, by=by)
    audit_record(actor=by, action="assessment.start", obj=assessment)
    return assessment


@transaction.atomic
def assessment_save(*, assessment: Assessment, facts: dict, by) -> Assessment:
    """Keep what the prefecture entered (on the community's behalf) and its computed result."""
    if not may_keep(by, assessment.community):
        raise NotAllowed("只能填报本地区社区的自评。")
    assessment = _locked(assessment)
    if assessment.status != A.DRAFT:
        raise Conflict("自评已提交，不能再修改。")
    engine = engine_for(assessment.standard)
    cleaned = engine.clean(facts)
    result = engine.evaluate(cleaned)
    assessment.facts, assessment.result = cleaned, result.as_dict()
    assessment.total, assessment.passed = result.total, result.passed
    assessment.save(update_fields=["facts", "result", "total", "passed", "updated_at"])
    audit_record(actor=by, action="assessment.save", obj=assessment, changes={"total": result.total})
    return assessment


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by) -> Assessment:
    from .flows import AssessmentFlow

    if not may_keep(by, assessment.community):
        raise NotAllowed("只能提交本地区社区的自评。")
    assessment = _locked(assessment)
    if not assessment.result:
        raise DomainError("请先填写并保存自评内容。", code="empty")
    transition_apply(assessment, "submit", label="评估")
    assessment.save(update_fields=["status", "updated_at"])
    community = Community.objects.select_for_update().get(pk=assessment.community_id)
    _community_move(community=community, action="self_assess", by=by, reason="提交自评")
    _step(AssessmentFlow.self_assess, assessment)
    AssessmentStep.objects.create(assessment=assessment, action=AssessmentStep.Action.SUBMITTED, by=by)
    audit_record(actor=by, action="assessment.submit", obj=assessment, changes={"total": assessment.total})
    return assessment


SELF_REVIEW_MESSAGE = "该自评由您填报或提交，须由本地区其他人员或联席会议办公室审核。"


def assessment_preparer_ids(assessment) -> set[int]:
    """Who filled in or submitted this round of the self-assessment (since its last return): they may
    not approve it as 市州审核 (separation of duties)."""
    from core.models import AuditEntry

    steps = list(assessment.steps.order_by("at", "pk").values_list("action", "by_id", "at"))
    returns = [
        at
        for action, _by, at in steps
        if action in (AssessmentStep.Action.RETURNED, AssessmentStep.Action.OFFICE_RETURNED)
    ]
    since = returns[-1] if returns else None
    ids = {
        by for action, by, at in steps if action == AssessmentStep.Action.SUBMITTED and (since is None or at > since)
    }
    saves = AuditEntry.objects.filter(
        action="assessment.save",
        object_id=str(assessment.pk),
        content_type__app_label="communities",
        content_type__model="assessment",
    )
    if since is not None:
        saves = saves.filter(at__gt=since)
    return ids | set(saves.exclude(actor=None).values_list("actor_id", flat=True))


@transaction.atomic
def assessment_review(*, assessment: Assessment, approve: bool, by, reason: str = "") -> Assessment:
    """The prefecture approves its community's self-assessment, or returns it with a reason."""
    from .flows import AssessmentFlow

    if not (may_keep(by, assessment.community) or may_confirm(by)):
        raise NotAllowed("只能审核本地区社区的自评。")
    assessment = _locked(assessment)
    if not approve and not reason.strip():
        raise DomainError("退回修改须填写理由。", field="reason")
    if approve and by.pk in assessment_preparer_ids(assessment):
        raise DomainError(SELF_REVIEW_MESSAGE, code="self_review")
    transition_apply(assessment, "review" if approve else "return", label="评估")
    assessment.last_reason = "" if approve else reason.strip()
    assessment.save(update_fields=["status", "last_reason", "updated_at"])
    community = Community.objects.select_for_update().get(pk=assessment.community_id)
    _community_move(
        community=community,
        action="assess" if approve else _return_action(community),
        by=by,
        reason="市州审核通过" if approve else f"市州退回修改：{reason.strip()}",
    )
    # On a return the flow's gate routes the work back to a new self-assessment task.
    _step(AssessmentFlow.review, assessment)
    AssessmentStep.objects.create(
        assessment=assessment,
        by=by,
        reason=reason.strip(),
        action=AssessmentStep.Action.APPROVED if approve else AssessmentStep.Action.RETURNED,
    )
    audit_record(
        actor=by, action="assessment.review" if approve else "assessment.return", obj=assessment, reason=reason.strip()
    )
    if not approve:
        event_notify(
            event="assess_returned",
            obj=assessment,
            by=by,
            reason=reason,
            reporting_units=[assessment.community.reporting_unit_id],
            by_label="市州",
        )
    return assessment


@transaction.atomic
def assessment_confirm(*, assessment: Assessment, approve: bool, by, reason: str = "") -> Assessment:
    """The office confirms the reviewed result (pass or fail) or returns it to the prefecture. A
    confirmed pass makes the community meet the standard from today: it counts toward this year's
    target and every later one."""
    from .flows import AssessmentFlow

    if not may_confirm(by):
        raise NotAllowed("由联席会议办公室确认。")
    assessment = _locked(assessment)
    if not approve and not reason.strip():
        raise DomainError("退回市州须填写理由。", field="reason")
    transition_apply(assessment, "confirm" if approve else "office_return", label="评估")
    community = Community.objects.select_for_update().get(pk=assessment.community_id)
    if approve:
        assessment.confirmed_at = timezone.now()
        assessment.last_reason = ""
        if assessment.passed:
            community.standard_met_on = timezone.localdate()
            _community_move(
                community=community, action="meet_standard", by=by, reason=f"评估确认达标（{assessment.total}）"
            )
        else:
            _community_move(
                community=community,
                action=_return_action(community),
                by=by,
                reason=f"评估确认未达标（{assessment.total}）",
            )
    else:
        assessment.last_reason = reason.strip()
        _community_move(
            community=community, action="return_to_self_assessed", by=by, reason=f"办公室退回市州：{reason.strip()}"
        )
    assessment.save(update_fields=["status", "confirmed_at", "last_reason", "updated_at"])
    _step(AssessmentFlow.confirm, assessment)
    AssessmentStep.objects.create(
        assessment=assessment,
        by=by,
        reason=reason.strip(),
        action=AssessmentStep.Action.CONFIRMED if approve else AssessmentStep.Action.OFFICE_RETURNED,
    )
    audit_record(
        actor=by,
        action="assessment.confirm" if approve else "assessment.office_return",
        obj=assessment,
        reason=reason.strip(),
        changes={"passed": assessment.passed, "total": assessment.total},
    )
    event_notify(
        event="assess_confirmed" if approve else "assess_returned",
        obj=assessment,
        by=by,
        reason=reason,
        reporting_units=[assessment.community.reporting_unit_id],
        by_label="联席会议办公室",
        result=f"{'达标' if assessment.passed else '未达标'}（{assessment.total}）",
    )
    return assessment


# --- Evidence ---------------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(*, assessment: Assessment, upload, by, item_no: int | None = None) -> AssessmentEvidence:
    if not may_keep(by, assessment.community):
        raise NotAllowed("只能为本地区社区上传证明材料。")
    assessment = _locked(assessment)
    if assessment.status != A.DRAFT:
        raise Conflict("自评已提交，不能再上传材料。")
    name = upload_check(upload)  # the product's one rule (core.uploads); stored under a random name
    ext = PurePath(name).suffix.lower()
    evidence = AssessmentEvidence(
        assessment=assessment,
        item_no=item_no,
        original_name=name,
        size=upload.size,
        uploaded_by=by,
        stored_name=f"{secrets.token_hex(16)}{ext}",
    )
    evidence.file.save(evidence.stored_name, upload, save=False)
    evidence.save()
    audit_record(actor=by, action="assessment.evidence", obj=assessment, changes={"file": name, "item": item_no})
    return evidence


# --- Pilots' support (政策和资金支持) -----------------------------------------------------------------------


@transaction.atomic
def pilot_support_record(
    *, community: Community, kind: str, title: str, given_on, by, amount=None, document: str = "", upload=None
) -> "PilotSupport":
    """The office records support given to a provincial pilot community: policy or funds (with the
    amount in 万元), the date and the document that grants it (its name or number, and the file)."""
    from .models import PilotSupport

    if not may_confirm(by):
        raise NotAllowed("只有联席会议办公室可以登记试点社区支持。")
    if community.pk not in confirmed_pilot_ids():
        raise DomainError(f"{community.name}不是已确认的省级试点社区。", field="kind")
    if kind not in PilotSupport.Kind.values:
        raise DomainError("请选择支持类别。", field="kind")
    if amount not in (None, ""):
        from decimal import Decimal, InvalidOperation

        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise DomainError("金额请填写数字（万元）。", field="amount") from None
    else:
        amount = None
    if kind == PilotSupport.Kind.FUNDS and (amount is None or amount <= 0):
        raise DomainError("资金支持请填写金额（万元，大于 0）。", field="amount")
    if given_on is None:
        raise DomainError("请填写日期。", field="given_on")
    if given_on > timezone.localdate():
        raise DomainError("支持日期不能晚于今天。", field="given_on")
    support = PilotSupport(
        community=community,
        kind=kind,
        title=(title or "").strip(),
        given_on=given_on,
        amount=amount if kind == PilotSupport.Kind.FUNDS else None,
        document=(document or "").strip(),
        recorded_by=by,
    )
    if not support.title:
        raise DomainError("请填写支持内容。", field="title")
    _clean(support)
    if upload is not None:
        from core.uploads import storage_name

        support.file_name = upload_check(upload)
        support.file.save(storage_name(support.file_name), upload, save=False)
    support.save()
    audit_record(
        actor=by,
        action="pilot.support",
        obj=community,
        changes={
            "kind": support.get_kind_display(),
            "title": support.title,
            "amount": str(support.amount) if support.amount is not None else None,
            "given_on": str(given_on),
            "document": support.document,
            "file": support.file_name,
        },
    )
    return support
