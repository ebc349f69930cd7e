"""Reads of `members` that depend on who is asking."""

from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from .access import UNIT_PERM, access_for
from .models import (
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

# --- which joint meeting a read answers within (docs/decisions.md, "mechanism scope") -------------

# The request being served (set by members.middleware.MechanismMiddleware), so a read that is not
# handed a user (the dashboard's figures, a form's unit choices) answers within the signed-in
# person's mechanism too. Outside a request (Celery, commands, the shell) it is unset.
_request: ContextVar = ContextVar("members_request", default=None)


def _request_user():
    request = _request.get()
    return getattr(request, "user", None) if request is not None else None


def mechanism_deployed() -> Mechanism | None:
    """The deployment's mechanism (settings.MECHANISM): what the public pages show, what the sweeps
    remind about, and what an account with no person or prefecture (an administrator) works in."""
    return Mechanism.objects.filter(code=settings.MECHANISM).first()


def mechanism_id_for(user) -> int | None:
    """The id of the mechanism `user` works in, with no query once the access snapshot is cached."""
    mechanism_id = access_for(user).mechanism_id if user is not None and user.is_authenticated else None
    if mechanism_id is None:
        memo = getattr(user, "_deployed_mechanism", None) if user is not None else None
        if memo is None or memo[0] != settings.MECHANISM:
            deployed = mechanism_deployed()
            memo = (settings.MECHANISM, deployed)
            if user is not None and deployed is not None:
                user._deployed_mechanism = memo
        return memo[1].pk if memo[1] else None
    return mechanism_id


def mechanism_for(user) -> Mechanism | None:
    """The mechanism `user` works in: their person's unit's, or their prefecture's; the deployment's
    for anyone else (administrators, visitors). Every list, count, export and feed answers within it."""
    mechanism_id = mechanism_id_for(user)
    if mechanism_id is None:
        return None
    memo = getattr(user, "_mechanism", None) if user is not None else None
    if memo is None or memo.pk != mechanism_id:
        memo = Mechanism.objects.filter(pk=mechanism_id).first()
        if user is not None and memo is not None:
            user._mechanism = memo
    return memo


def mechanism_current() -> Mechanism | None:
    """The mechanism of the signed-in person of the request being served, else the deployment's."""
    return mechanism_for(_request_user())


def mechanism_id_current() -> int | None:
    return mechanism_id_for(_request_user())


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
    assignments = (
        RoleAssignment.objects.active(on)
        .filter(mechanism=mechanism)
        .select_related("person", "unit", "division")
        .order_by("unit__order", "division__order", "id")
    )
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
        "reporting_units": list(ReportingUnit.objects.current(on).prefectures().filter(mechanism=mechanism)),
    }


def unit_recipients(unit: MemberUnit, on=None) -> list[Person]:
    """Who receives a unit's work and reminders on a day: each active liaison, or their B角 while one
    acts for them (A/B 角). Falls back to the unit's members when the unit has no liaison."""
    return units_recipients([unit.pk], on).get(unit.pk, [])


def units_recipients(unit_ids, on=None) -> dict[int, list[Person]]:
    """`unit_recipients` for many units in one query (the reminder sweeps use it)."""
    on = on or timezone.localdate()
    active = list(
        RoleAssignment.objects.active(on)
        .filter(unit_id__in=list(unit_ids), role__in=[Role.LIAISON, Role.BACKUP_LIAISON, Role.MEMBER])
        .select_related("person")
        .order_by("unit_id", "division__order", "id")
        .annotate(coordinating_id=F("unit__coordinating_division_id"), acting_division_id=F("acting_for__division_id"))
    )
    # The liaisons of a unit's other divisions hear of their own division's parts only (docs/divisions.md).
    active = [
        a for a in active if not division_scoped(a.role, a.division_id or a.acting_division_id, a.coordinating_id)
    ]
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
    users = {
        u.person_id: u
        for u in User.objects.filter(is_active=True, person__in=[p for ps in people.values() for p in ps])
    }
    return {unit_id: [users[p.pk] for p in ps if p.pk in users] for unit_id, ps in people.items()}


def reporting_units_users(reporting_unit_ids) -> dict[int, list]:
    """reporting unit id → its active bureau accounts (who submits and is reminded for a 市州)."""
    out: dict[int, list] = {}
    for user in User.objects.filter(is_active=True, reporting_unit_id__in=list(reporting_unit_ids)):
        out.setdefault(user.reporting_unit_id, []).append(user)
    return out


def convener_users(mechanism_id, on=None) -> list:
    """Active accounts of the convener and deputy convener: escalation goes to them."""
    person_ids = (
        RoleAssignment.objects.active(on)
        .filter(mechanism_id=mechanism_id, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER])
        .values("person_id")
    )
    return list(User.objects.filter(is_active=True, person_id__in=person_ids))


def acting_for(user, unit: MemberUnit, on=None) -> Person | None:
    """The liaison this user stands in for at `unit` today, if they act as B角 (for 'X 代 Y' records)."""
    if not user.is_authenticated or not user.person_id:
        return None
    backup = (
        RoleAssignment.objects.active(on)
        .filter(person_id=user.person_id, unit=unit, role=Role.BACKUP_LIAISON)
        .select_related("acting_for__person")
        .first()
    )
    return backup.acting_for.person if backup else None


UNIT_CHOICES_SECONDS = 60


def unit_choices(on=None) -> list[dict]:
    """[{"pk", "name"}] of the member units of the current mechanism on a day, in order: the unit filter of list pages.
    Kept a minute per process (a unit changes once in years); a change in this process drops it at once
    (members.apps), other processes follow within the minute."""
    on = on or timezone.localdate()
    mechanism_id = mechanism_id_current()
    key = f"members:unit-choices:{mechanism_id}:{on.isoformat()}"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            MemberUnit.objects.current(on)
            .filter(mechanism_id=mechanism_id)
            .order_by("order", "pk")
            .values("pk", "name")
        )
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
    day = timezone.localdate().isoformat()
    cache.delete_many(
        [
            *(f"members:unit-choices:{pk}:{day}" for pk in Mechanism.objects.values_list("pk", flat=True)),
            "members:unit-names",
        ]
    )


# --- divisions (二次交办, docs/divisions.md) -------------------------------------------------------------


def divisions_recipient_users(division_ids, on=None) -> dict[int, list]:
    """division id → the active accounts who receive a division's parts: its liaisons (their B角 while
    one acts for them), else its members. One query for the roles, one for the accounts."""
    on = on or timezone.localdate()
    active = list(
        RoleAssignment.objects.active(on)
        .filter(role__in=[Role.LIAISON, Role.BACKUP_LIAISON, Role.MEMBER])
        .filter(
            Q(division_id__in=list(division_ids))
            | Q(role=Role.BACKUP_LIAISON, acting_for__division_id__in=list(division_ids))
        )
        .annotate(acting_division_id=F("acting_for__division_id"))
        .order_by("id")
    )
    covered = {a.acting_for_id: a.person_id for a in active if a.role == Role.BACKUP_LIAISON}
    people: dict[int, list[int]] = {}
    for division_id in division_ids:
        mine = [a for a in active if (a.division_id or a.acting_division_id) == division_id]
        ids = [covered.get(a.pk, a.person_id) for a in mine if a.role == Role.LIAISON]
        people[division_id] = list(dict.fromkeys(ids or [a.person_id for a in mine if a.role == Role.MEMBER]))
    users = {
        u.person_id: u
        for u in User.objects.filter(is_active=True, person_id__in={p for ps in people.values() for p in ps})
    }
    return {d: [users[p] for p in ps if p in users] for d, ps in people.items()}


def division_reviewer_users(division_ids, on=None) -> dict[int, list]:
    """division id → the active accounts of its members (division heads): who reviews its parts."""
    on = on or timezone.localdate()
    rows = list(
        RoleAssignment.objects.active(on)
        .filter(role=Role.MEMBER, division_id__in=list(division_ids))
        .values_list("division_id", "person_id")
    )
    users = {u.person_id: u for u in User.objects.filter(is_active=True, person_id__in={p for _, p in rows})}
    out: dict[int, list] = {d: [] for d in division_ids}
    for division_id, person_id in rows:
        if person_id in users and users[person_id] not in out[division_id]:
            out[division_id].append(users[person_id])
    return out


def unit_reviewer_users(unit: MemberUnit, on=None) -> list:
    """The active accounts of the unit's members who are not confined to another division: who reviews
    the unit's own feedback when 成员审核 is on (docs/divisions.md)."""
    on = on or timezone.localdate()
    rows = list(
        RoleAssignment.objects.active(on).filter(unit=unit, role=Role.MEMBER).values_list("division_id", "person_id")
    )
    people = [p for d, p in rows if not division_scoped(Role.MEMBER, d, unit.coordinating_division_id)]
    return list(User.objects.filter(is_active=True, person_id__in=people).order_by("pk"))


def divisions_of_unit(unit_id) -> list[Division]:
    return list(Division.objects.filter(unit_id=unit_id).order_by("order", "pk"))
