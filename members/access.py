"""What a signed-in account is to the joint meeting, read once and kept: the member units whose work
it handles, the reporting units it submits for, its roles today and its global permissions.

Every page asks these questions (the sidebar, 我的待办, every selector); answered from the database they
cost six queries and a guardian query compile per request. The answer (an `Access`) is derived from
role assignments and the grants made from them (`members.services.access_sync`) and is cached per
process under a key that changes whenever one of its inputs may have changed:

- `User.access_stamp`, a random value renewed by every save of the account and, through the signals
  below, by every change of its groups, its permissions, its groups' permissions, its guardian grants
  and its person's role assignments — in the same transaction as the change, so a rolled-back change
  leaves the old stamp (and a stamp is never reused);
- the day, because roles begin and end on dates;
- the account's own flags (active, staff, superuser) and links (person, reporting unit).

It also says whether the account has a confirmed second-factor device (a save or delete of one renews
the stamp), so the second-factor gate costs no query for an account that needs none.

The key is read off the user row that authentication loads at the start of each request, so a hit
costs no query and a stale entry is unreachable, never wrong. Only such freshly loaded accounts use
the shared cache: any other instance (a fixture, a row loaded long ago in a worker) may carry an old
stamp, so it reads its access from the database once and keeps it on itself, exactly as Django keeps
`_perm_cache`. See docs/permissions.md."""

from dataclasses import dataclass
from uuid import uuid4

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone

CACHE_ALIAS = "access"
UNIT_PERM = "members.handle_unit_work"
REPORTING_PERM = "members.submit_for_reporting_unit"


@dataclass(frozen=True)
class Access:
    unit_ids: tuple[int, ...]  # member units whose work the user handles, in the units' order
    reporting_unit_ids: tuple[int, ...]
    reporting_unit_names: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # (role, label) held today
    perms: frozenset[str]  # global permissions, exactly as ModelBackend computes them
    second_factor: bool = False  # has a confirmed authenticator (members.security)
    # The joint meeting the account works in: its person's unit's, else its prefecture's; None for an
    # account with neither (an administrator), who works in the deployment's (members.selectors).
    mechanism_id: int | None = None
    # Divisions (处室) the account works in through a liaison/B角/member role, and those where it is the
    # member (division head, who reviews): the parts of 二次交办 it reaches (docs/divisions.md).
    division_ids: tuple[int, ...] = ()
    review_division_ids: tuple[int, ...] = ()

    @property
    def has_unit(self) -> bool:
        return bool(self.unit_ids)


NO_ACCESS = Access((), (), (), (), frozenset())


def access_key(user) -> str:
    return ":".join(
        str(x)
        for x in (
            "access",
            5,
            user.pk,
            user.access_stamp,
            timezone.localdate().isoformat(),
            int(user.is_active),
            int(user.is_staff),
            int(user.is_superuser),
            user.person_id or "",
            user.reporting_unit_id or "",
        )
    )


def access_for(user) -> Access:
    """The user's `Access` today: from the instance, then the process cache, then the database."""
    if user is None or not user.is_authenticated:
        return NO_ACCESS
    key = access_key(user)
    # getattr/setattr, not __dict__: request.user is a SimpleLazyObject that proxies attributes.
    memo = getattr(user, "_access", None)
    if memo is not None and memo[0] == key:
        return memo[1]
    shared = shares_cache(user)
    access = caches[CACHE_ALIAS].get(key) if shared else None
    if access is None:
        access = _compute(user)
        if shared:
            caches[CACHE_ALIAS].set(key, access)
    user._access = (key, access)
    return access


def shares_cache(user) -> bool:
    """True for the account authentication loaded for this request (its stamp is current)."""
    return getattr(user, "_access_loaded", False)


def forget(user) -> None:
    """Drop what this instance remembers (after changing its grants in this process)."""
    for attr in ("_access", "_access_loaded", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def _compute(user) -> Access:
    from guardian.shortcuts import get_objects_for_user

    from .models import MemberUnit, Person, ReportingUnit, RoleAssignment

    units = list(
        get_objects_for_user(user, UNIT_PERM, klass=MemberUnit, accept_global_perms=False, with_superuser=False)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    reporting = list(
        get_objects_for_user(user, REPORTING_PERM, klass=ReportingUnit, accept_global_perms=False, with_superuser=False)
        .order_by("order", "pk")
        .values_list("pk", "name")
    )
    roles, divisions, reviews = [], [], []
    if user.person_id:
        for a in (
            RoleAssignment.objects.active().filter(person_id=user.person_id).select_related("acting_for").order_by("pk")
        ):
            roles.append((a.role, str(a.get_role_display())))
            division_id = a.division_id or (a.acting_for.division_id if a.acting_for_id else None)
            if division_id and a.role in ("liaison", "backup_liaison", "member"):
                divisions.append(division_id)
                if a.role == "member":
                    reviews.append(division_id)
    # ModelBackend's own computation (not user.get_all_permissions, which would come back here).
    perms = frozenset(ModelBackend().get_all_permissions(user)) if user.is_active else frozenset()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    second_factor = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
    mechanism_id = None
    if user.person_id:
        mechanism_id = Person.objects.filter(pk=user.person_id).values_list("unit__mechanism_id", flat=True).first()
    elif user.reporting_unit_id:
        mechanism_id = (
            ReportingUnit.objects.filter(pk=user.reporting_unit_id).values_list("mechanism_id", flat=True).first()
        )
    return Access(
        tuple(units),
        tuple(r[0] for r in reporting),
        tuple(r[1] for r in reporting),
        tuple(roles),
        perms,
        second_factor,
        mechanism_id,
        tuple(dict.fromkeys(divisions)),
        tuple(dict.fromkeys(reviews)),
    )


class AccountBackend(ModelBackend):
    """ModelBackend that reads global permissions from the access snapshot (no query on a hit) and
    loads the signed-in account with its person (the page header shows the person's name)."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return access_for(user_obj).perms  # a frozenset: `in` and `update()` are all callers do

    def get_user(self, user_id):
        from .models import User

        try:
            user = User._default_manager.select_related("person").get(pk=user_id)
        except User.DoesNotExist:
            return None
        user._access_loaded = True  # its stamp was read just now: see access_for
        return user if self.user_can_authenticate(user) else None


# --- what renews a stamp ---------------------------------------------------------------------------------


def access_changed(user_ids) -> None:
    """Renew the stamp of these accounts: their next request reads their access afresh."""
    from .models import User

    ids = [pk for pk in set(user_ids) if pk is not None]
    if ids:
        User.objects.filter(pk__in=ids).update(access_stamp=uuid4())


def _group_users(group_ids):
    from .models import User

    return User.objects.filter(groups__in=list(group_ids)).values_list("pk", flat=True)


def _on_user_m2m(sender, instance, action, reverse, pk_set, **kwargs):
    # user.groups / user.user_permissions, from either side.
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if action in ("post_add", "post_remove") and not pk_set:  # nothing actually added or removed
        return
    if not reverse:
        access_changed([instance.pk])
    elif action == "pre_clear":
        access_changed(instance.user_set.values_list("pk", flat=True))
    elif pk_set:
        access_changed(pk_set)


def _on_group_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action in ("post_add", "post_remove") and not pk_set:
        return
    if not reverse:
        access_changed(_group_users([instance.pk]))
    elif action == "pre_clear":
        access_changed(_group_users(instance.group_set.values_list("pk", flat=True)))
    elif pk_set:
        access_changed(_group_users(pk_set))


def _on_user_object_permission(sender, instance, **kwargs):
    access_changed([instance.user_id])


def _on_group_object_permission(sender, instance, **kwargs):
    access_changed(_group_users([instance.group_id]))


def _on_group_delete(sender, instance, **kwargs):
    access_changed(_group_users([instance.pk]))


def _on_role_assignment(sender, instance, **kwargs):
    from .models import User

    access_changed(User.objects.filter(person_id=instance.person_id).values_list("pk", flat=True))


def _on_second_factor_device(sender, instance, **kwargs):
    access_changed([instance.user_id])


def connect_signals() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from .models import RoleAssignment, User

    uid = "members.access"
    m2m_changed.connect(_on_user_m2m, sender=User.groups.through, dispatch_uid=f"{uid}.groups")
    m2m_changed.connect(_on_user_m2m, sender=User.user_permissions.through, dispatch_uid=f"{uid}.user_perms")
    m2m_changed.connect(_on_group_permissions, sender=Group.permissions.through, dispatch_uid=f"{uid}.group_perms")
    pre_delete.connect(_on_group_delete, sender=Group, dispatch_uid=f"{uid}.group_delete")
    for signal in (post_save, post_delete):
        signal.connect(_on_user_object_permission, sender=UserObjectPermission, dispatch_uid=f"{uid}.uop.{signal}")
        signal.connect(_on_group_object_permission, sender=GroupObjectPermission, dispatch_uid=f"{uid}.gop.{signal}")
        signal.connect(_on_role_assignment, sender=RoleAssignment, dispatch_uid=f"{uid}.role.{signal}")
        # Whether the account has a second factor is part of the snapshot (the sign-in gate reads it).
        signal.connect(_on_second_factor_device, sender=TOTPDevice, dispatch_uid=f"{uid}.totp.{signal}")
    # A permission deleted (its model removed) cascades through the link tables without m2m signals.
    pre_delete.connect(_on_permission_delete, sender=Permission, dispatch_uid=f"{uid}.perm_delete")


def _on_permission_delete(sender, instance, **kwargs):
    from .models import User

    access_changed(
        [
            *instance.user_set.values_list("pk", flat=True),
            *_group_users(instance.group_set.values_list("pk", flat=True)),
            *User.objects.filter(userobjectpermission__permission=instance).values_list("pk", flat=True),
        ]
    )
