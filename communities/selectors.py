"""Reads of the ledger that depend on who is asking, and the progress figures.

Who sees what: a prefecture bureau user sees the communities of its own reporting unit(s); the
convener, deputy and office (`members.oversee`) see all; everyone else sees none. An object outside
a user's scope does not exist for them (404)."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from members.models import ReportingUnit
from members.selectors import is_overseer, mechanism_for, mechanism_id_for, reporting_units_for_user

from .models import Assessment, Community, CreationStatus, PilotSelection, Renovation
from .scoring import engine_for, share_reached


def may_use_ledger(user) -> bool:
    return is_overseer(user) or reporting_units_for_user(user).exists()


def own_unit_ids(user) -> set[int]:
    return set(reporting_units_for_user(user).values_list("pk", flat=True))


def may_keep(user, community: Community) -> bool:
    """Only the community's own prefecture keeps (edits, self-assesses, reviews) it."""
    return community.reporting_unit_id in own_unit_ids(user)


def may_confirm(user) -> bool:
    """The office (and the deputy who directs it) confirms assessments and records pilot choices."""
    return user.is_authenticated and user.has_perm("members.dispatch")


def may_decide(user) -> bool:
    return user.is_authenticated and user.has_perm("members.decide")


def reporting_units_visible(user):
    if is_overseer(user):
        mechanism = mechanism_for(user)
        qs = ReportingUnit.objects.current().prefectures()
        return qs.filter(mechanism=mechanism) if mechanism else qs
    return reporting_units_for_user(user)


def communities_for_user(user):
    if not user.is_authenticated:
        return Community.objects.none()
    if is_overseer(user):
        return Community.objects.filter(reporting_unit__mechanism_id=mechanism_id_for(user))
    return Community.objects.filter(reporting_unit__in=reporting_units_for_user(user))


def community_for_user_or_404(user, pk) -> Community:
    community = communities_for_user(user).select_related("reporting_unit").filter(pk=pk).first()
    if community is None:
        raise Http404("没有找到该社区。")
    return community


def assessments_for_user(user):
    if not user.is_authenticated:
        return Assessment.objects.none()
    if is_overseer(user):
        return Assessment.objects.filter(community__reporting_unit__mechanism_id=mechanism_id_for(user))
    return Assessment.objects.filter(community__reporting_unit__in=reporting_units_for_user(user))


def assessment_for_user_or_404(user, pk) -> Assessment:
    assessment = (
        assessments_for_user(user).select_related("community", "community__reporting_unit").filter(pk=pk).first()
    )
    if assessment is None:
        raise Http404("没有找到该评估。")
    return assessment


def assessments_waiting_for(user):
    """What this user has to act on: reviews for a prefecture, confirmations for the office."""
    out = Assessment.objects.none()
    own = own_unit_ids(user)
    if own:
        out = Assessment.objects.filter(
            community__reporting_unit__in=own, status__in=[Assessment.Status.DRAFT, Assessment.Status.SUBMITTED]
        )
    if may_confirm(user):
        out = out | Assessment.objects.filter(
            status=Assessment.Status.REVIEWED, community__reporting_unit__mechanism_id=mechanism_id_for(user)
        )
    return out.select_related("community", "community__reporting_unit").order_by("updated_at")


def confirmed_pilot_ids() -> set[int]:
    return set(
        PilotSelection.objects.filter(status=PilotSelection.Status.CONFIRMED).values_list("communities", flat=True)
    )


# --- Progress against the targets ------------------------------------------------------------------


@dataclass
class ProgressRow:
    unit: ReportingUnit | None
    label: str
    total: int
    met: int
    renovated: int
    renovated_met: int
    target: int | None

    @property
    def ratio(self) -> float | None:
        return self.met / self.total if self.total else None

    @property
    def target_reached(self) -> bool | None:
        return None if self.target is None else share_reached(self.met, self.total, self.target)

    @property
    def renovated_ratio(self) -> float | None:
        return self.renovated_met / self.renovated if self.renovated else None

    @property
    def renovated_rule_kept(self) -> bool | None:
        """None when nobody has finished renovating: the 100% rule has nothing to judge yet."""
        return None if not self.renovated else self.renovated_met == self.renovated


def progress(*, user, year: int, code: str | None = None) -> dict:
    """Share of urban communities meeting the standard by 31 December of `year`, per reporting unit
    the user may see and for the province (always the whole province: an aggregate, not a ledger).
    One grouped aggregate query whatever the ledger's size."""
    # The standard and targets are the deployment's (settings.MECHANISM), as the assessment's are.
    engine = engine_for(code or settings.MECHANISM)
    mechanism = mechanism_for(user)
    target = engine.target_for(year)
    share = target["share"] if target else None
    year_end = date(year, 12, 31)
    met_q = Q(standard_met_on__lte=year_end)
    fin_q = Q(renovation=Renovation.FINISHED)
    aggregates = dict(
        total=Count("id"),
        met=Count("id", filter=met_q),
        renovated=Count("id", filter=fin_q),
        renovated_met=Count("id", filter=fin_q & met_q),
    )
    units = list(reporting_units_visible(user))
    # One grouped scan of the province's ledger gives every unit's row and the province total.
    ledger = Community.objects.all()
    if mechanism:
        # ids, not a join: the planner then estimates the whole ledger and scans it once.
        unit_ids = list(ReportingUnit.objects.prefectures().filter(mechanism=mechanism).values_list("pk", flat=True))
        ledger = ledger.filter(reporting_unit_id__in=unit_ids)
    by_unit = {r["reporting_unit"]: r for r in ledger.values("reporting_unit").annotate(**aggregates).order_by()}
    empty = {"total": 0, "met": 0, "renovated": 0, "renovated_met": 0}
    rows = []
    for unit in units:
        r = by_unit.get(unit.pk, empty)
        rows.append(
            ProgressRow(
                unit=unit,
                label=unit.name,
                total=r["total"],
                met=r["met"],
                renovated=r["renovated"],
                renovated_met=r["renovated_met"],
                target=share,
            )
        )
    p = {key: sum(r[key] for r in by_unit.values()) for key in empty}
    province = ProgressRow(
        unit=None,
        label="全省",
        total=p["total"],
        met=p["met"],
        renovated=p["renovated"],
        renovated_met=p["renovated_met"],
        target=share,
    )
    return {
        "year": year,
        "engine": engine,
        "target": target,
        "rows": rows,
        "province": province,
        "renovated_share": engine.renovated_share,
        "today": timezone.localdate(),
    }


def annex2(*, unit: ReportingUnit, years: list[int]) -> dict:
    """Zhejiang's 附件2 for one prefecture: per county, the list, count and ratio of communities that
    met the standard in each year (the first year includes any earlier), and the overall ratio.
    Ratios are of all urban communities of the county in the ledger."""
    ledger = Community.objects.filter(reporting_unit=unit)
    counties: dict[str, dict] = {}
    # Totals per county in SQL; only the communities that met the standard come back by name.
    for r in ledger.values("county").annotate(total=Count("id")).order_by("county"):
        counties[r["county"] or "（未填县区）"] = {"total": r["total"], "years": {y: [] for y in years}}
    met = (
        ledger.filter(standard_met_on__lte=date(years[-1], 12, 31))
        .values_list("county", "name", "standard_met_on")
        .order_by("county", "name")
    )
    for county, name, met_on in met:
        row = counties[county or "（未填县区）"]
        row["years"][years[0] if met_on.year <= years[0] else met_on.year].append(name)
    table = []
    for county, row in counties.items():
        cells = []
        done = 0
        for y in years:
            names = row["years"][y]
            done += len(names)
            cells.append({"year": y, "names": names, "count": len(names), "ratio": len(names) / row["total"]})
        table.append({"county": county, "total": row["total"], "cells": cells, "overall": done / row["total"]})
    grand_total = sum(r["total"] for r in table)
    totals = []
    for i, y in enumerate(years):
        n = sum(r["cells"][i]["count"] for r in table)
        totals.append({"year": y, "count": n, "ratio": n / grand_total if grand_total else None})
    overall_done = sum(t["count"] for t in totals)
    return {
        "unit": unit,
        "years": years,
        "rows": table,
        "totals": totals,
        "total": grand_total,
        "overall": overall_done / grand_total if grand_total else None,
    }


PUBLIC_STATUS = {
    CreationStatus.NOT_STARTED: "未启动",
    CreationStatus.MEETS_STANDARD: "达到绿色社区创建标准",
}


PUBLIC_PAGE_SIZE = 50
PUBLIC_QUERY_MAX = 30


def public_renovation_list(*, mechanism, unit_code: str = "", q: str = ""):
    """The published list of old estates under renovation in the mechanism's province, as a queryset of
    plain values in the page's order (prefecture, county, community): only what the public page shows.
    No people, no contacts, no assessment drafts. Filtered by prefecture (`unit_code`) and a search in
    the community's, county's and estates' names (`q`, at most PUBLIC_QUERY_MAX characters). The page
    takes PUBLIC_PAGE_SIZE rows at a time (`public_rows` labels them)."""
    qs = Community.objects.exclude(renovation=Renovation.NONE).filter(reporting_unit__mechanism=mechanism)
    if mechanism is None:
        qs = qs.none()
    if unit_code:
        qs = qs.filter(reporting_unit__code=unit_code)
    q = q.strip()[:PUBLIC_QUERY_MAX]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(county__contains=q) | Q(old_estates__contains=q))
    return qs.order_by("reporting_unit__order", "county", "name", "pk").values(
        "reporting_unit__name", "county", "name", "old_estates", "renovation", "status", "standard_met_on", "updated_at"
    )


def public_rows(rows) -> list[dict]:
    """One page of `public_renovation_list` as the page shows it: the green-community status is reduced
    to 未启动 / 创建中 / 达到绿色社区创建标准."""
    labels = dict(Renovation.choices)
    out = []
    for r in rows:
        if r["standard_met_on"]:
            green = PUBLIC_STATUS[CreationStatus.MEETS_STANDARD]
        elif r["status"] == CreationStatus.NOT_STARTED:
            green = PUBLIC_STATUS[CreationStatus.NOT_STARTED]
        else:
            green = "创建中"
        out.append(
            {
                "prefecture": r["reporting_unit__name"],
                "county": r["county"],
                "community": r["name"],
                "old_estates": r["old_estates"],
                "renovation": labels[r["renovation"]],
                "green": green,
                "updated": timezone.localdate(r["updated_at"]),
            }
        )
    return out


def pilots_supervision(user) -> list[dict]:
    """For the progress report: each confirmed pilot the user may see, its supervision visits (from
    the apps that register a panel) and the support given (policy count, funds total in 万元). A
    constant number of queries: pilots, one grouped aggregate, one query per registered panel."""
    from django.db.models import Count, Sum

    from .hooks import panels_for
    from .models import PilotSupport

    pilots = list(
        communities_for_user(user)
        .filter(pk__in=list(confirmed_pilot_ids()))
        .select_related("reporting_unit")
        .order_by("reporting_unit__order", "name")
    )
    ids = [c.pk for c in pilots]
    support = {
        r["community_id"]: r
        for r in PilotSupport.objects.filter(community_id__in=ids)
        .values("community_id")
        .annotate(policies=Count("id", filter=Q(kind="policy")), funds=Sum("amount", filter=Q(kind="funds")))
        .order_by()
    }
    panels = panels_for(ids, user)
    return [
        {
            "community": c,
            "visits": sum(len(p.rows) for p in panels.get(c.pk, [])),
            "last_visit": max((r.when for p in panels.get(c.pk, []) for r in p.rows if r.when), default=None),
            "policies": support.get(c.pk, {}).get("policies", 0),
            "funds": support.get(c.pk, {}).get("funds"),
        }
        for c in pilots
    ]
