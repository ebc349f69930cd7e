"""Every write to `members`, as functions."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.errors import DomainError, NotAllowed
from core.services import audit_record

from .access import forget as forget_access
from .mechanism_config import ConfigError, MechanismSpec
from .models import (
    DECIDING_ROLES,
    OFFICE_ROLES,
    Division,
    Mechanism,
    MemberUnit,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    User,
    WorkLine,
    WorkLineUnit,
    division_scoped,
)
from .signals import mechanism_loaded

# --- Loading a mechanism ------------------------------------------------------------------------


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # in the database, not in the file: left untouched

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _upsert(model, report: LoadReport, label: str, *, lookup: dict, values: dict):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        report.created.append(label)
        return obj
    changed = {k: (getattr(obj, k), v) for k, v in values.items() if getattr(obj, k) != v}
    if changed:
        for key, (_old, new) in changed.items():
            setattr(obj, key, new)
        obj.full_clean()
        obj.save(update_fields=list(changed))
        report.updated.append(f"{label}（{'、'.join(changed)}）")
    return obj


@transaction.atomic
def mechanism_load(*, spec: MechanismSpec, by=None) -> LoadReport:
    """Create or bring up to date a province's mechanism from its checked spec.

    Idempotent: a second load of the same file changes nothing and writes no audit entry. The file
    states the founding roster; later changes to people and roles are made in the system (issue 5's
    flows) and a reload never undoes them: objects the file no longer names are kept, not deleted."""
    report = LoadReport()
    existing = Mechanism.objects.select_for_update().filter(code=spec.code).first()
    if existing and existing.config_version == spec.version and existing.config_digest != spec.digest:
        raise ConfigError(
            f"{spec.code}.yaml 的内容已改动，但版本号仍为 “{spec.version}”：请更新 version 后再载入。",
            field="version",
        )
    mechanism = _upsert(
        Mechanism,
        report,
        f"机制 {spec.code}",
        lookup={"code": spec.code},
        values={
            "name": spec.name,
            "province": spec.province,
            "document": spec.document,
            "established_on": spec.established_on,
            "config_version": spec.version,
            "config_digest": spec.digest,
            "loaded_at": existing.loaded_at if existing and existing.config_digest == spec.digest else timezone.now(),
        },
    )

    units = {}
    divisions = {}
    for u in spec.units:
        units[u.code] = _upsert(
            MemberUnit,
            report,
            f"成员单位 {u.name}",
            lookup={"mechanism": mechanism, "code": u.code},
            values={
                "name": u.name,
                "full_name": u.full_name,
                "is_lead": u.is_lead,
                "duties": u.duties,
                "order": u.order,
            },
        )
        for order, name in enumerate(u.divisions):
            divisions[(u.code, name)] = _upsert(
                Division,
                report,
                f"处室 {u.name}{name}",
                lookup={"unit": units[u.code], "name": name},
                values={"order": order},
            )
    report.kept += [f"成员单位 {u.name}" for u in mechanism.units.exclude(code__in=units)]
    # The office's division coordinates the lead unit's work (二次交办, docs/divisions.md); set once, so
    # a reload never undoes the office's later choice.
    office_unit = units[spec.office_unit]
    if office_unit.coordinating_division_id is None:
        office_unit.coordinating_division = divisions[(spec.office_unit, spec.office_division)]
        office_unit.save(update_fields=["coordinating_division"])

    for p in spec.people:
        unit = units[p.unit]
        division = divisions[(p.unit, p.division)] if p.division else None
        person = _upsert(
            Person,
            report,
            f"人员 {p.name}",
            lookup={"unit": unit, "name": p.name},
            values={"division": division, "title": p.title},
        )
        for role in p.roles:
            _upsert(
                RoleAssignment,
                report,
                f"{Role(role).label} {p.name}",
                lookup={"person": person, "role": role, "unit": unit, "start_date": spec.established_on},
                values={"mechanism": mechanism, "division": division, "basis": spec.document},
            )

    for w in spec.work_lines:
        line = _upsert(
            WorkLine,
            report,
            f"工作事项 {w.code}",
            lookup={"mechanism": mechanism, "code": w.code},
            values={"section": w.section, "title": w.title, "content": w.content, "order": w.order},
        )
        wanted = {units[c].pk: (WorkLineUnit.LEAD, i) for i, c in enumerate(w.lead)}
        wanted |= {units[c].pk: (WorkLineUnit.PARTICIPATING, i) for i, c in enumerate(w.participating)}
        for unit_id, (role, order) in wanted.items():
            _upsert(
                WorkLineUnit,
                report,
                f"工作事项 {w.code} 分工",
                lookup={"work_line": line, "unit_id": unit_id},
                values={"role": role, "order": order},
            )
        stale = line.assignments.exclude(unit_id__in=wanted)
        if stale.exists():
            # The division of labour is the plan's text, not history: the file is the authority.
            report.updated.append(f"工作事项 {w.code} 移除分工单位 {stale.count()} 个")
            stale.delete()

    for ru in spec.reporting_units:
        prefecture = _upsert(
            ReportingUnit,
            report,
            f"报送单位 {ru.name}",
            lookup={"mechanism": mechanism, "code": ru.code},
            values={"name": ru.name, "kind": ru.kind, "order": ru.order, "bureau": spec.reporting_unit_bureau},
        )
        for county in ru.counties:
            _upsert(
                ReportingUnit,
                report,
                f"县（市、区） {county.name}",
                lookup={"mechanism": mechanism, "code": county.code},
                values={
                    "name": county.name,
                    "kind": county.kind,
                    "order": county.order,
                    "parent": prefecture,
                    "bureau": spec.reporting_unit_bureau,
                },
            )

    if report.changed:
        audit_record(
            actor=by,
            action="mechanism.load",
            obj=mechanism,
            reason=f"载入配置 {spec.code} 版本 {spec.version}",
            changes={"created": report.created, "updated": report.updated},
        )
        transaction.on_commit(access_sync_all)
    mechanism_loaded.send(sender=Mechanism, mechanism=mechanism, spec=spec, by=by)
    return report


# --- Access: roles → groups and guardian grants on units --------------------------------------------

GROUP_CONVENERS = "召集人"
GROUP_OFFICE = "联席会议办公室"
# The office keeps the roster in the Django admin (journeys.md), so its group carries those model perms.
# Role assignments are only viewed there: a role is a grant, changed through 成员调整 and A/B角 (or by
# an administrator), never by the office in the admin.
OFFICE_ADMIN_PERMISSIONS = [
    f"members.{action}_{model}"
    for model in ("person", "division", "memberunit", "reportingunit")
    for action in ("view", "add", "change")
] + ["members.view_roleassignment", "members.view_workline", "members.view_user", "core.view_auditentry"]
GROUP_PERMISSIONS = {
    GROUP_CONVENERS: ["members.oversee", "members.decide"],
    GROUP_OFFICE: ["members.oversee", "members.dispatch", *OFFICE_ADMIN_PERMISSIONS],
}
UNIT_PERMISSIONS = {
    Role.LIAISON: ["members.handle_unit_work"],
    Role.BACKUP_LIAISON: ["members.handle_unit_work"],
    Role.MEMBER: ["members.handle_unit_work", "members.review_unit_work"],
}


def groups_ensure() -> dict[str, Group]:
    groups = {}
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1]) for p in perms
        ]
        group.permissions.set(wanted)
        groups[name] = group
    return groups


def role_division_scoped(a: RoleAssignment) -> bool:
    """`RoleAssignment.is_division_scoped`, with a B角 taking the division of the liaison it stands in for."""
    division_id = a.division_id or (a.acting_for.division_id if a.acting_for_id else None)
    return division_scoped(a.role, division_id, a.unit.coordinating_division_id)


def access_sync(*, user: User, on=None) -> None:
    """Make a user's groups and unit grants match their roles active on `on` (default: today).

    Role assignments are the source of truth; groups and guardian object permissions on units are
    derived from them here, on every role change and by a nightly beat task (for roles that start or
    end on a future date). See docs/permissions.md."""
    on = on or timezone.localdate()
    groups = groups_ensure()
    active = (
        list(RoleAssignment.objects.active(on).filter(person_id=user.person_id).select_related("unit", "acting_for"))
        if user.person_id
        else []
    )
    roles = {a.role for a in active}

    wanted_groups = set()
    if roles & DECIDING_ROLES:
        wanted_groups.add(groups[GROUP_CONVENERS])
    if roles & OFFICE_ROLES:
        wanted_groups.add(groups[GROUP_OFFICE])
    managed = set(groups.values())
    current = set(user.groups.filter(pk__in=[g.pk for g in managed]))
    user.groups.remove(*(current - wanted_groups))
    user.groups.add(*(wanted_groups - current))
    # Office staff work in the admin; the flag follows the role (administrators keep theirs).
    office_now = bool(roles & OFFICE_ROLES)
    if not user.is_superuser and user.is_staff != office_now:
        user.is_staff = office_now
        user.save(update_fields=["is_staff"])

    for codename in ("handle_unit_work", "review_unit_work"):
        # A role held in a division other than the unit's coordinating one reaches that division's parts
        # only (docs/divisions.md): no grant on the whole unit.
        wanted_units = {
            a.unit_id
            for a in active
            if f"members.{codename}" in UNIT_PERMISSIONS.get(a.role, []) and not role_division_scoped(a)
        }
        held = set(
            get_objects_for_user(
                user, f"members.{codename}", klass=MemberUnit, with_superuser=False, accept_global_perms=False
            ).values_list("pk", flat=True)
        )
        for unit in MemberUnit.objects.filter(pk__in=held - wanted_units):
            remove_perm(codename, user, unit)
        for unit in MemberUnit.objects.filter(pk__in=wanted_units - held):
            assign_perm(codename, user, unit)

    held_ru = set(
        get_objects_for_user(
            user,
            "members.submit_for_reporting_unit",
            klass=ReportingUnit,
            with_superuser=False,
            accept_global_perms=False,
        ).values_list("pk", flat=True)
    )
    wanted_ru = {user.reporting_unit_id} if user.reporting_unit_id else set()
    for ru in ReportingUnit.objects.filter(pk__in=held_ru - wanted_ru):
        remove_perm("submit_for_reporting_unit", user, ru)
    for ru in ReportingUnit.objects.filter(pk__in=wanted_ru - held_ru):
        assign_perm("submit_for_reporting_unit", user, ru)
    # Whatever changed above, the account's next request reads its access afresh (members.access);
    # this instance forgets its cached permissions so the next check in this process sees the grants.
    stamp = uuid.uuid4()
    User.objects.filter(pk=user.pk).update(access_stamp=stamp)
    user.access_stamp = stamp
    forget_access(user)


def access_sync_all(on=None) -> int:
    users = User.objects.filter(is_active=True).filter(person__isnull=False) | User.objects.filter(
        is_active=True, reporting_unit__isnull=False
    )
    count = 0
    for user in users.distinct():
        access_sync(user=user, on=on)
        count += 1
    return count


@transaction.atomic
def account_create(
    *,
    username: str,
    password: str,
    by=None,
    person: Person | None = None,
    reporting_unit: ReportingUnit | None = None,
    display_name: str = "",
    is_demo=False,
    is_staff=False,
    is_superuser=False,
    email: str = "",
) -> User:
    user = User(
        username=username,
        person=person,
        reporting_unit=reporting_unit,
        is_demo=is_demo,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
        email=email,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=by,
        action="account.create",
        obj=user,
        changes={
            "person": person.name if person else None,
            "reporting_unit": reporting_unit.name if reporting_unit else None,
            "is_demo": is_demo,
        },
    )
    access_sync(user=user)
    return user


# --- Changes to who holds a role ---------------------------------------------------------------------


def _sync_people_on_commit(*people):
    user_ids = [p.user.pk for p in people if p is not None and hasattr(p, "user")]

    def sync():
        for user in User.objects.filter(pk__in=user_ids):
            access_sync(user=user)

    transaction.on_commit(sync)


@transaction.atomic
def role_replace(
    *, assignment: RoleAssignment, new_person: Person, effective_date: date, by, reason: str, basis: str = ""
) -> RoleAssignment:
    """Hand a role to another person from `effective_date`: the old assignment ends that day (end
    dates are exclusive), the new one starts that day. Both rows stay, so history shows both holders.
    Grants move on the effective date (nightly access sync; at once if the date is today or past)."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if not reason.strip():
        raise DomainError("请填写调整理由。", field="reason")
    if assignment.role not in (
        Role.MEMBER,
        Role.LIAISON,
        Role.CONVENER,
        Role.DEPUTY_CONVENER,
        Role.OFFICE_DIRECTOR,
        Role.OFFICE_STAFF,
    ):
        raise DomainError("该职务不能通过人员调整变更。")
    if assignment.end_date is not None and assignment.end_date <= effective_date:
        raise DomainError("原任职在生效日期前已终止，无需调整。", code="role_already_ended")
    if effective_date <= assignment.start_date:
        raise DomainError("生效日期必须晚于原任职的起始日期。", field="effective_date")
    if new_person.pk == assignment.person_id:
        raise DomainError("新任人员与原任人员相同。", field="new_person")
    if new_person.unit_id != assignment.unit_id:
        raise DomainError("新任人员必须属于同一成员单位。", field="new_person")
    old_end = assignment.end_date
    assignment.end_date = effective_date
    assignment.full_clean()
    assignment.save(update_fields=["end_date"])
    successor = RoleAssignment(
        mechanism_id=assignment.mechanism_id,
        person=new_person,
        role=assignment.role,
        unit_id=assignment.unit_id,
        division=new_person.division or assignment.division,
        start_date=effective_date,
        end_date=old_end,
        basis=basis or reason[:200],
    )
    successor.full_clean()
    successor.save()
    # Backups acting for the old liaison after the change now act for the successor.
    RoleAssignment.objects.filter(acting_for=assignment, start_date__gte=effective_date).update(acting_for=successor)
    audit_record(
        actor=by,
        action="role.replace",
        obj=successor,
        reason=reason,
        changes={
            "role": assignment.get_role_display(),
            "from": assignment.person.name,
            "to": new_person.name,
            "effective_date": effective_date.isoformat(),
        },
    )
    _sync_people_on_commit(assignment.person, new_person)
    return successor


@transaction.atomic
def unit_add(
    *,
    mechanism: Mechanism,
    code: str,
    name: str,
    full_name: str = "",
    divisions: list[str],
    member: dict,
    liaison: dict,
    joined_on: date,
    basis: str,
    reason: str,
    by,
) -> MemberUnit:
    """增补成员单位: the unit with its divisions, its member and liaison holding their roles from
    `joined_on`. `member`/`liaison` are {"name", "title", "division"} (a division named in
    `divisions`). Callers (the meeting's confirmation) have checked that the code and name are free."""
    order = (
        MemberUnit.objects.filter(mechanism=mechanism).order_by("-order").values_list("order", flat=True).first() or 0
    ) + 1
    unit = MemberUnit(mechanism=mechanism, code=code, name=name, full_name=full_name, order=order, joined_on=joined_on)
    unit.full_clean()
    unit.save()
    by_name = {div: Division.objects.create(unit=unit, name=div, order=i) for i, div in enumerate(divisions)}
    people = []
    for data, role in ((member, Role.MEMBER), (liaison, Role.LIAISON)):
        person = Person.objects.filter(unit=unit, name=data["name"]).first()
        if person is None:
            person = Person(unit=unit, division=by_name[data["division"]], name=data["name"], title=data["title"])
            person.full_clean()
            person.save()
        ra = RoleAssignment(
            mechanism=mechanism,
            person=person,
            role=role,
            unit=unit,
            division=person.division,
            start_date=joined_on,
            basis=basis,
        )
        ra.full_clean()
        ra.save()
        people.append(person)
    audit_record(
        actor=by,
        action="unit.add",
        obj=unit,
        reason=reason,
        changes={
            "code": code,
            "name": name,
            "full_name": full_name,
            "divisions": divisions,
            "member": member,
            "liaison": liaison,
            "joined_on": joined_on.isoformat(),
        },
    )
    _sync_people_on_commit(*people)
    return unit


@transaction.atomic
def backup_assign(
    *, liaison: RoleAssignment, backup: Person, start_date: date, end_date: date, by, reason: str
) -> RoleAssignment:
    """Name a B角 for a liaison's leave [start_date, end_date): during it the backup holds the unit's
    work and receives its reminders instead of the liaison; records say who acted for whom."""
    if liaison.role != Role.LIAISON:
        raise DomainError("只能为联络员（A角）指定B角。")
    if backup.pk == liaison.person_id:
        raise DomainError("B角不能是联络员本人。", field="backup")
    if backup.unit_id != liaison.unit_id:
        raise DomainError("B角必须是本单位人员。", field="backup")
    if end_date <= start_date:
        raise DomainError("结束日期必须晚于开始日期。", field="end_date")
    if not reason.strip():
        raise DomainError("请填写请假或代理事由。", field="reason")
    overlapping = RoleAssignment.objects.filter(
        acting_for=liaison, role=Role.BACKUP_LIAISON, start_date__lt=end_date, end_date__gt=start_date
    )
    if overlapping.exists():
        raise DomainError("该期间已有B角代理，请勿重复指定。", code="backup_overlap")
    assignment = RoleAssignment(
        mechanism_id=liaison.mechanism_id,
        person=backup,
        role=Role.BACKUP_LIAISON,
        unit_id=liaison.unit_id,
        division=backup.division or liaison.division,
        start_date=start_date,
        end_date=end_date,
        acting_for=liaison,
        basis=reason[:200],
    )
    assignment.full_clean()
    assignment.save()
    audit_record(
        actor=by,
        action="role.backup",
        obj=assignment,
        reason=reason,
        changes={
            "liaison": liaison.person.name,
            "backup": backup.name,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
        },
    )
    _sync_people_on_commit(backup)
    return assignment


# --- Changes made in the Django admin ------------------------------------------------------------------
#
# The admin is a second door to the same data; it must not be a way round the rules. Access data
# (groups, permissions, guardian grants) is derived from role assignments by `access_sync` and is
# read-only in the admin; role assignments may be corrected there by administrators only; every other
# change made there (people's contact details, units, accounts' flags) goes through these functions,
# which record the old and new values in the same transaction.

ADMIN_ONLY_ROLES = DECIDING_ROLES | OFFICE_ROLES


def _value(obj, field_name):
    field = obj._meta.get_field(field_name)
    if field.many_to_one or field.one_to_one:
        related = getattr(obj, field_name)
        return None if related is None else str(related)
    value = getattr(obj, field.attname)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _changes(old, new, fields) -> dict:
    """{field: [old, new]} for each field whose value differs (old is None for a new object)."""
    out = {}
    for name in fields:
        before = _value(old, name) if old is not None else None
        after = _value(new, name)
        if old is None or before != after:
            out[name] = [before, after]
    return out


def _editable_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key and f.name != "password"]


@transaction.atomic
def record_save(*, obj, by, reason: str = "", action: str | None = None):
    """Save a roster object (person, unit, division, reporting unit, work line) edited by hand and
    record which fields changed, old and new. Contact details are kept in history this way."""
    model = type(obj)
    old = model.objects.select_for_update().get(pk=obj.pk) if obj.pk else None
    if isinstance(obj, RoleAssignment):
        raise DomainError("联席会议职务请通过 role_assignment_save 修改。")
    obj.full_clean()
    changes = _changes(old, obj, _editable_fields(model))
    obj.save()
    if changes:
        name = model._meta.model_name
        audit_record(
            actor=by,
            action=action or f"{name}.{'create' if old is None else 'change'}",
            obj=obj,
            reason=reason,
            changes=changes,
        )
    return obj


@transaction.atomic
def role_assignment_save(*, assignment: RoleAssignment, by, reason: str = "") -> RoleAssignment:
    """Create or correct a role assignment by hand (the administrator's correction; the office changes
    roles through 成员调整 and A/B角). Records old and new values and brings the grants of the old and
    new holder up to date. Only administrators may do it: a role is a grant, and the office must not be
    able to make itself (or anyone) 召集人 or 副召集人."""
    if by is None or not by.is_superuser:
        raise NotAllowed("只有系统管理员可以直接新增或修改联席会议职务。")
    old = RoleAssignment.objects.select_for_update().get(pk=assignment.pk) if assignment.pk else None
    assignment.full_clean()
    changes = _changes(old, assignment, _editable_fields(RoleAssignment))
    assignment.save()
    if changes:
        audit_record(
            actor=by,
            action="role.create" if old is None else "role.change",
            obj=assignment,
            reason=reason,
            changes=changes,
        )
    _sync_people_on_commit(assignment.person, old.person if old is not None else None)
    return assignment


ACCOUNT_ADMIN_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "display_name",
    "person",
    "reporting_unit",
    "is_demo",
    "is_active",
    "is_staff",
    "is_superuser",
]


@transaction.atomic
def account_update(*, user: User, by, reason: str = "") -> User:
    """Save an account edited by an administrator (flags, person, reporting unit, email) with old and
    new values, then derive its grants afresh. Groups and permissions are never edited by hand."""
    if by is None or not by.is_superuser:
        raise NotAllowed("只有系统管理员可以修改账号。")
    old = User.objects.select_for_update().get(pk=user.pk) if user.pk else None
    changes = _changes(old, user, ACCOUNT_ADMIN_FIELDS)
    if old is not None and old.password != user.password:
        changes["password"] = ["******", "******（已更改）"]
    user.save()
    if changes:
        audit_record(
            actor=by,
            action="account.create" if old is None else "account.change",
            obj=user,
            reason=reason,
            changes=changes,
        )
    transaction.on_commit(lambda: access_sync(user=User.objects.get(pk=user.pk)))
    return user


# --- Account security: second factor, recovery codes, passwords ------------------------------------------

TOTP_DEVICE_NAME = "手机验证器"
RECOVERY_DEVICE_NAME = "恢复码"


def second_factor_begin(*, user: User):
    """The unconfirmed authenticator this account is enrolling (a new secret the first time). Nothing is
    granted until `second_factor_confirm` sees a code made from it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_write(user: User) -> list[str]:
    from django.conf import settings
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _token_clean(token: str) -> str:
    return "".join(str(token or "").split()).lower()[:16]


def second_factor_confirm(*, user: User, device, token: str) -> list[str]:
    """Confirm the enrolling authenticator with a code it made; returns fresh recovery codes (shown once).
    The check runs before the transaction so that a wrong code's throttling is kept."""
    if device.user_id != user.pk or device.confirmed:
        raise DomainError("该验证器不在设置中，请重新开始设置。", code="second_factor_stale")
    if not device.verify_token(_token_clean(token)):
        raise DomainError(
            "验证码不正确或已过期，请输入手机验证器上当前显示的 6 位数字。", field="token", code="second_factor_wrong"
        )
    with transaction.atomic():
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_write(user)
        audit_record(
            actor=user,
            action="account.second_factor_enrol",
            obj=user,
            changes={"second_factor": [None, device.name], "recovery_codes": [None, len(codes)]},
        )
    return codes


def second_factor_check(*, user: User, token: str):
    """The device that accepts `token` (a code from the authenticator, or a recovery code, which is used
    up), or a DomainError in Chinese. Repeated wrong codes are throttled by django-otp (each failure
    doubles the wait)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    token = _token_clean(token)
    if not token:
        raise DomainError("请输入验证码。", field="token", code="second_factor_wrong")
    # Six digits come from the authenticator; anything else is a recovery code. A code is tried only
    # against its own kind, so a recovery code does not count as a wrong authenticator code.
    if token.isdigit():
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            raise DomainError(
                "验证码错误次数过多，请稍候再试（每错一次，等待时间加倍）。",
                field="token",
                code="second_factor_throttled",
            )
    for device in devices:
        if device.verify_token(token):
            if isinstance(device, StaticDevice):
                with transaction.atomic():
                    audit_record(
                        actor=user,
                        action="account.recovery_code_use",
                        obj=user,
                        changes={"recovery_codes_left": device.token_set.count()},
                    )
            return device
    raise DomainError("验证码不正确或已过期，请重新输入。", field="token", code="second_factor_wrong")


@transaction.atomic
def recovery_codes_renew(*, user: User, by) -> list[str]:
    """New recovery codes for an account with a second factor; the old ones stop working."""
    from .security import has_second_factor

    if by is None or by.pk != user.pk:
        raise NotAllowed("只能为自己的账号生成恢复码。")
    if not has_second_factor(user):
        raise DomainError("请先设置手机验证器。", code="second_factor_missing")
    codes = _recovery_codes_write(user)
    audit_record(
        actor=by, action="account.recovery_codes_renew", obj=user, changes={"recovery_codes": ["作废", len(codes)]}
    )
    return codes


@transaction.atomic
def second_factor_reset(*, user: User, by, reason: str) -> None:
    """An administrator removes another account's authenticator and recovery codes (a lost phone). The
    account sets up a new one at its next sign-in."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if by is None or not by.is_superuser:
        raise NotAllowed("只有系统管理员可以重置两步验证。")
    if by.pk == user.pk:
        raise DomainError("不能重置自己的两步验证，请由另一名系统管理员操作。", code="second_factor_self_reset")
    if not reason.strip():
        raise DomainError("请填写重置理由。", field="reason")
    totp = TOTPDevice.objects.filter(user=user)
    static = StaticDevice.objects.filter(user=user)
    old = {"second_factor": [totp.filter(confirmed=True).count(), 0], "recovery_device": [static.count(), 0]}
    totp.delete()
    static.delete()
    # Sessions that passed the second factor with the removed device are no longer verified
    # (django-otp drops a session's device that no longer exists).
    audit_record(actor=by, action="account.second_factor_reset", obj=user, reason=reason, changes=old)


@transaction.atomic
def password_changed_record(*, user: User, by, how: str) -> None:
    """Audit a password change made through Django's password views (`how`: change or reset)."""
    audit_record(
        actor=by, action=f"account.password_{how}", obj=user, changes={"password": ["******", "******（已更改）"]}
    )


# --- 二次交办 and 成员审核 settings of a unit (docs/divisions.md) -------------------------------------------


@transaction.atomic
def unit_division_settings_set(
    *, unit: MemberUnit, coordinating_division: Division | None, head_review: bool, by
) -> MemberUnit:
    """The office sets which division coordinates a unit's work and whether 成员审核 is on. Audited;
    the unit's people's access follows at once (a role in another division becomes division-scoped)."""
    if not by.has_perm("members.dispatch"):
        raise NotAllowed("只有联席会议办公室可以设置单位的处室分工与成员审核。")
    unit = MemberUnit.objects.select_for_update().get(pk=unit.pk)
    if coordinating_division is not None and coordinating_division.unit_id != unit.pk:
        raise DomainError("统筹处室不属于该单位。", field="coordinating_division")
    before = {
        "coordinating_division": unit.coordinating_division.name if unit.coordinating_division_id else None,
        "head_review": unit.head_review,
    }
    after = {
        "coordinating_division": coordinating_division.name if coordinating_division else None,
        "head_review": bool(head_review),
    }
    if before == after:
        return unit
    scope_changed = unit.coordinating_division_id != (coordinating_division.pk if coordinating_division else None)
    unit.coordinating_division, unit.head_review = coordinating_division, bool(head_review)
    unit.save(update_fields=["coordinating_division", "head_review"])
    audit_record(
        actor=by,
        action="unit.division_settings",
        obj=unit,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    if scope_changed:
        people = list(Person.objects.filter(unit=unit))
        _sync_people_on_commit(*people)
    return unit
