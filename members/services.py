"""Every write to `members`, as functions (see ../shared/style.md)."""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.services import audit_record

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
    mechanism = _upsert(Mechanism, report, f"机制 {spec.code}", lookup={"code": spec.code}, values={
        "name": spec.name, "province": spec.province, "document": spec.document,
        "established_on": spec.established_on, "config_version": spec.version, "config_digest": spec.digest,
        "loaded_at": existing.loaded_at if existing and existing.config_digest == spec.digest else timezone.now(),
    })

    units = {}
    divisions = {}
    for u in spec.units:
        units[u.code] = _upsert(MemberUnit, report, f"成员单位 {u.name}", lookup={"mechanism": mechanism, "code": u.code},
                                values={"name": u.name, "full_name": u.full_name, "is_lead": u.is_lead,
                                        "duties": u.duties, "order": u.order})
        for order, name in enumerate(u.divisions):
            divisions[(u.code, name)] = _upsert(Division, report, f"处室 {u.name}{name}",
                                                lookup={"unit": units[u.code], "name": name},
                                                values={"order": order})
    report.kept += [f"成员单位 {u.name}" for u in mechanism.units.exclude(code__in=units)]

    for p in spec.people:
        unit = units[p.unit]
        division = divisions[(p.unit, p.division)] if p.division else None
        person = _upsert(Person, report, f"人员 {p.name}", lookup={"unit": unit, "name": p.name},
                         values={"division": division, "title": p.title})
        for role in p.roles:
            _upsert(RoleAssignment, report, f"{Role(role).label} {p.name}",
                    lookup={"person": person, "role": role, "unit": unit, "start_date": spec.established_on},
                    values={"mechanism": mechanism, "division": division, "basis": spec.document})

    for w in spec.work_lines:
        line = _upsert(WorkLine, report, f"工作事项 {w.code}", lookup={"mechanism": mechanism, "code": w.code},
                       values={"section": w.section, "title": w.title, "content": w.content, "order": w.order})
        wanted = {units[c].pk: (WorkLineUnit.LEAD, i) for i, c in enumerate(w.lead)}
        wanted |= {units[c].pk: (WorkLineUnit.PARTICIPATING, i) for i, c in enumerate(w.participating)}
        for unit_id, (role, order) in wanted.items():
            _upsert(WorkLineUnit, report, f"工作事项 {w.code} 分工", lookup={"work_line": line, "unit_id": unit_id},
                    values={"role": role, "order": order})
        stale = line.assignments.exclude(unit_id__in=wanted)
        if stale.exists():
            # The division of labour is the plan's text, not history: the file is the authority.
            report.updated.append(f"工作事项 {w.code} 移除分工单位 {stale.count()} 个")
            stale.delete()

    for ru in spec.reporting_units:
        _upsert(ReportingUnit, report, f"报送单位 {ru.name}", lookup={"mechanism": mechanism, "code": ru.code},
                values={"name": ru.name, "kind": ru.kind, "order": ru.order, "bureau": spec.reporting_unit_bureau})

    if report.changed:
        audit_record(actor=by, action="mechanism.load", obj=mechanism, reason=f"载入配置 {spec.code} 版本 {spec.version}",
                     changes={"created": report.created, "updated": report.updated})
        transaction.on_commit(access_sync_all)
    mechanism_loaded.send(sender=Mechanism, mechanism=mechanism, spec=spec, by=by)
    return report


# --- Access: roles → groups and guardian grants on units --------------------------------------------

GROUP_CONVENERS = "召集人"
GROUP_OFFICE = "联席会议办公室"
GROUP_PERMISSIONS = {
    GROUP_CONVENERS: ["members.oversee", "members.decide"],
    GROUP_OFFICE: ["members.oversee", "members.dispatch"],
}
UNIT_PERMISSIONS = {
    Role.LIAISON: ["members.handle_unit_work"],
    Role.MEMBER: ["members.handle_unit_work", "members.review_unit_work"],
}


def groups_ensure() -> dict[str, Group]:
    groups = {}
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1])
                  for p in perms]
        group.permissions.set(wanted)
        groups[name] = group
    return groups


def access_sync(*, user: User, on=None) -> None:
    """Make a user's groups and unit grants match their roles active on `on` (default: today).

    Role assignments are the source of truth; groups and guardian object permissions on units are
    derived from them here, on every role change and by a nightly beat task (for roles that start or
    end on a future date). See docs/permissions.md."""
    on = on or timezone.localdate()
    groups = groups_ensure()
    active = list(RoleAssignment.objects.active(on).filter(person_id=user.person_id)) if user.person_id else []
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

    for codename in ("handle_unit_work", "review_unit_work"):
        wanted_units = {a.unit_id for a in active if f"members.{codename}" in UNIT_PERMISSIONS.get(a.role, [])}
        held = set(get_objects_for_user(user, f"members.{codename}", klass=MemberUnit, with_superuser=False,
                                        accept_global_perms=False).values_list("pk", flat=True))
        for unit in MemberUnit.objects.filter(pk__in=held - wanted_units):
            remove_perm(codename, user, unit)
        for unit in MemberUnit.objects.filter(pk__in=wanted_units - held):
            assign_perm(codename, user, unit)

    held_ru = set(get_objects_for_user(user, "members.submit_for_reporting_unit", klass=ReportingUnit,
                                       with_superuser=False, accept_global_perms=False).values_list("pk", flat=True))
    wanted_ru = {user.reporting_unit_id} if user.reporting_unit_id else set()
    for ru in ReportingUnit.objects.filter(pk__in=held_ru - wanted_ru):
        remove_perm("submit_for_reporting_unit", user, ru)
    for ru in ReportingUnit.objects.filter(pk__in=wanted_ru - held_ru):
        assign_perm("submit_for_reporting_unit", user, ru)
    # Permission caches live on the instance; drop them so the next check sees the new grants.
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)


def access_sync_all(on=None) -> int:
    users = User.objects.filter(is_active=True).filter(person__isnull=False) | User.objects.filter(
        is_active=True, reporting_unit__isnull=False)
    count = 0
    for user in users.distinct():
        access_sync(user=user, on=on)
        count += 1
    return count


@transaction.atomic
def account_create(*, username: str, password: str, by=None, person: Person | None = None,
                   reporting_unit: ReportingUnit | None = None, display_name: str = "", is_demo=False,
                   is_staff=False, is_superuser=False, email: str = "") -> User:
    user = User(username=username, person=person, reporting_unit=reporting_unit, is_demo=is_demo,
                display_name=display_name, is_staff=is_staff, is_superuser=is_superuser, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(actor=by, action="account.create", obj=user,
                 changes={"person": person.name if person else None,
                          "reporting_unit": reporting_unit.name if reporting_unit else None, "is_demo": is_demo})
    access_sync(user=user)
    return user

