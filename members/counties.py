"""Counties under prefectures (县市区 below 市州): reads of the reporting-unit tree. See docs/counties.md.

A county is a `ReportingUnit` whose `parent` is its prefecture; its accounts are ordinary reporting-unit
accounts (`User.reporting_unit` = the county), so everything a reporting unit owes, submits and is
reminded of works for a county unchanged. What the tree adds is who *sees* what: a county its own, a
prefecture its own and its counties', the province everything (the overseers' rules, unchanged)."""

from django.db.models import Q

from .access import access_for
from .models import ReportingUnit, User


def reporting_units_in_tree(user):
    """The reporting units whose work `user` may see as a reporting-unit account: their own and, for a
    prefecture, its counties (a queryset usable as a subquery). Overseers are answered elsewhere."""
    if not user.is_authenticated:
        return ReportingUnit.objects.none()
    own = access_for(user).reporting_unit_ids
    if not own:
        return ReportingUnit.objects.none()
    return ReportingUnit.objects.filter(Q(pk__in=own) | Q(parent_id__in=own))


def counties_of(prefecture_id, on=None):
    """A prefecture's current counties, in their order."""
    return ReportingUnit.objects.current(on).filter(parent_id=prefecture_id).order_by("order", "pk")


def is_prefecture_of(user, county: ReportingUnit) -> bool:
    """True if `user` submits for the prefecture `county` belongs to (no query once access is cached)."""
    return county.parent_id is not None and county.parent_id in access_for(user).reporting_unit_ids


def prefecture_ids_for_user(user) -> tuple[int, ...]:
    """The user's own reporting units that have counties (a prefecture account that can pass work down)."""
    own = access_for(user).reporting_unit_ids
    if not own:
        return ()
    return tuple(
        sorted(
            set(
                ReportingUnit.objects.filter(parent_id__in=own)
                .order_by()
                .values_list("parent_id", flat=True)
                .distinct()
            )
        )
    )


def county_accounts(prefecture_id) -> dict[int, list]:
    """county id → its active accounts (what a prefecture's county page lists; the office keeps them)."""
    out: dict[int, list] = {}
    for user in User.objects.filter(is_active=True, reporting_unit__parent_id=prefecture_id).order_by(
        "reporting_unit__order", "username"
    ):
        out.setdefault(user.reporting_unit_id, []).append(user)
    return out
