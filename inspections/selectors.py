"""Every read of `inspections` that depends on who asks. Who sees an inspection: the convener,
deputy and office of its joint meeting; its team; the users of the prefecture it visited. Anyone
else is answered 404."""

from django.db.models import Q
from django.http import Http404

from members.selectors import is_overseer, mechanism_id_for

from .models import Finding, Inspection


def inspections_for_user(user):
    if not user.is_authenticated:
        return Inspection.objects.none()
    mechanism_id = mechanism_id_for(user)
    qs = Inspection.objects.filter(mechanism_id=mechanism_id)
    if is_overseer(user):
        return qs
    visible = Q(team=user)
    if user.reporting_unit_id:
        visible |= Q(reporting_unit_id=user.reporting_unit_id)
    # A subquery of ids, not a join: the team join would repeat rows.
    return qs.filter(pk__in=Inspection.objects.filter(visible).values("pk"))


def may_use(user) -> bool:
    """Who has the 督导检查 page at all: overseers, prefecture users, anyone on a team."""
    return user.is_authenticated and (is_overseer(user) or bool(user.reporting_unit_id) or user.inspections.exists())


def get_inspection_for_user_or_404(user, pk) -> Inspection:
    inspection = (
        inspections_for_user(user)
        .select_related("reporting_unit", "community", "leader", "planned_by")
        .filter(pk=pk)
        .first()
    )
    if inspection is None:
        raise Http404("没有找到该督导检查。")
    return inspection


def get_finding_for_user_or_404(user, pk) -> Finding:
    finding = (
        Finding.objects.select_related("inspection")
        .filter(pk=pk, inspection__in=inspections_for_user(user).values("pk"))
        .first()
    )
    if finding is None:
        raise Http404("没有找到该问题。")
    return finding


def findings_of(inspection):
    """The findings with everything their rows show, in three queries whatever their number."""
    return list(
        inspection.findings.select_related("lead_unit", "reporting_unit", "item")
        .prefetch_related("photos")
        .order_by("number")
    )
