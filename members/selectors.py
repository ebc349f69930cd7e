"""Reads of `members` that depend on who is asking."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from .access import UNIT_PERM, access_for
from .models import Mechanism, MemberUnit, Person, ReportingUnit, Role, RoleAssignment, User, WorkLine, WorkLineUnit


def mechanism_current() -> Mechanism | None:
    return Mechanism.objects.filter(code=settings.MECHANISM).first()


def is_overseer(user) -> bool:
    """Convener, deputy convener and office (and administrators) see every unit's work."""
    return user.is_authenticated and user.has_perm("members.oversee")


def may_see_contacts(user) -> bool:
    return is_overseer(user)


def units_for_user(user, perm: str = UNIT_PERM):
    """Member units whose work this user handles (guardian grants on the unit, read through the
    access snapshot: members.access)."""
    if not user.is_authenticated:
        return MemberUnit.objects.none()
    if perm == UNIT_PERM:
        return MemberUnit.objects.filter(pk__in=access_for(user).unit_ids)
    return get_objects_for_user(user, perm, klass=MemberUnit, accept_global_perms=False, with_superuser=False)


def unit_ids_for_user(user) -> tuple[int, ...]:
    """The ids of `units_for_user`, with no query once the snapshot is cached."""
    return access_for(user).unit_ids


def reporting_units_for_user(user):
    if not user.is_authenticated:
        return ReportingUnit.objects.none()
    return ReportingUnit.objects.filter(pk__in=access_for(user).reporting_unit_ids)


def roles_for_user(user, on=None) -> list[RoleAssignment]:
    if not user.is_authenticated or not user.person_id:
        return []
    return list(RoleAssignment.objects.active(on).filter(person_id=user.person_id).select_related("unit", "division"))


def roster(mechanism: Mechanism, on=None):
    """Everything the 联席会议 page shows, in a fixed number of queries."""
    on = on or timezone.localdate()
    assignments = (RoleAssignment.objects.active(on).filter(mechanism=mechanism)
                   .select_related("person", "unit", "division").order_by("unit__order", "division__order", "id"))
    by_role = {role: [] for role in Role}
    for a in assignments:
        by_role[Role(a.role)].append(a)
    units = list(MemberUnit.objects.current(on).filter(mechanism=mechanism).prefetch_related("divisions"))
    for unit in units:
        unit.members = [a for a in by_role[Role.MEMBER] if a.unit_id == unit.pk]
        unit.liaisons = [a for a in by_role[Role.LIAISON] if a.unit_id == unit.pk]
    work_lines = WorkLine.objects.filter(mechanism=mechanism).prefetch_related(
        Prefetch("assignments", queryset=WorkLineUnit.objects.select_related("unit").order_by("role", "order"))
    )
    return {
        "mechanism": mechanism,
        "units": units,
        "by_role": by_role,
        "work_lines": list(work_lines),
        "reporting_units": list(ReportingUnit.objects.current(on).filter(mechanism=mechanism)),
    }


def unit_recipients(unit: MemberUnit, on=None) -> list[Person]:
    """Who receives a unit's work and reminders on a day: each active liaison, or their B角 while one
    acts for them (A/B 角). Falls back to the unit's members when the unit has no liaison."""
    return units_recipients([unit.pk], on).get(unit.pk, [])


def units_recipients(unit_ids, on=None) -> dict[int, list[Person]]:
    """`unit_recipients` for many units in one query (the reminder sweeps use it)."""
    on = on or timezone.localdate()
    active = list(RoleAssignment.objects.active(on)
                  .filter(unit_id__in=list(unit_ids), role__in=[Role.LIAISON, Role.BACKUP_LIAISON, Role.MEMBER])
                  .select_related("person").order_by("unit_id", "division__order", "id"))
    covered = {a.acting_for_id: a.person for a in active if a.role == Role.BACKUP_LIAISON}
    out: dict[int, list[Person]] = {}
    for unit_id in {a.unit_id for a in active}:
        mine = [a for a in active if a.unit_id == unit_id]
        people = [covered.get(a.pk, a.person) for a in mine if a.role == Role.LIAISON]
        if not people:
            people = [a.person for a in mine if a.role == Role.MEMBER]
        out[unit_id] = list(dict.fromkeys(people))
    return out


def units_recipient_users(unit_ids, on=None) -> dict[int, list]:
    """unit id → the active accounts of `units_recipients` (people without an account are skipped)."""
    people = units_recipients(unit_ids, on)
    users = {u.person_id: u for u in User.objects.filter(is_active=True, person__in=[p for ps in people.values()
                                                                                    for p in ps])}
    return {unit_id: [users[p.pk] for p in ps if p.pk in users] for unit_id, ps in people.items()}


def reporting_units_users(reporting_unit_ids) -> dict[int, list]:
    """reporting unit id → its active bureau accounts (who submits and is reminded for a 市州)."""
    out: dict[int, list] = {}
    for user in User.objects.filter(is_active=True, reporting_unit_id__in=list(reporting_unit_ids)):
        out.setdefault(user.reporting_unit_id, []).append(user)
    return out


def convener_users(mechanism_id, on=None) -> list:
    """Active accounts of the convener and deputy convener: escalation goes to them."""
    person_ids = RoleAssignment.objects.active(on).filter(
        mechanism_id=mechanism_id, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER]).values("person_id")
    return list(User.objects.filter(is_active=True, person_id__in=person_ids))


def acting_for(user, unit: MemberUnit, on=None) -> Person | None:
    """The liaison this user stands in for at `unit` today, if they act as B角 (for 'X 代 Y' records)."""
    if not user.is_authenticated or not user.person_id:
        return None
    backup = (RoleAssignment.objects.active(on).filter(person_id=user.person_id, unit=unit, role=Role.BACKUP_LIAISON)
              .select_related("acting_for__person").first())
    return backup.acting_for.person if backup else None


UNIT_CHOICES_SECONDS = 60


def unit_choices(on=None) -> list[dict]:
    """[{"pk", "name"}] of the member units current on a day, in order: the unit filter of list pages.
    Kept a minute per process (a unit changes once in years); a change in this process drops it at once
    (members.apps), other processes follow within the minute."""
    on = on or timezone.localdate()
    key = f"members:unit-choices:{on.isoformat()}"
    rows = cache.get(key)
    if rows is None:
        rows = list(MemberUnit.objects.current(on).order_by("order", "pk").values("pk", "name"))
        cache.set(key, rows, UNIT_CHOICES_SECONDS)
    return rows


def unit_names() -> dict[int, str]:
    """id → name of every member unit, past ones included (a record names the unit it was given to).
    Kept like `unit_choices`."""
    names = cache.get("members:unit-names")
    if names is None:
        names = dict(MemberUnit.objects.values_list("pk", "name"))
        cache.set("members:unit-names", names, UNIT_CHOICES_SECONDS)
    return names


def unit_choices_forget(**kwargs) -> None:
    cache.delete_many([f"members:unit-choices:{timezone.localdate().isoformat()}", "members:unit-names"])
