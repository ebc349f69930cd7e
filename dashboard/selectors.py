"""督办总览: the figures of the convener's dashboard, and the list behind each of them.

Every figure is a `Count(filter=Q)` aggregated in SQL, grouped by unit, and every drill-down list
uses the *same* Q (`metric_filters`): a number and the list behind it cannot disagree. The number of
queries does not depend on the data size (tests/dashboard/test_query_counts.py; bench/dashboard.py).

Units are keyed "mu:<id>" (成员单位) and "ru:<id>" (市州报送单位). Obligations (报送任务) belong to
either; supervised items count through their per-unit assignments (单位任务), member units only.

The colour ladder uses the default thresholds (3 working days each way, deadlines.ladder.DEFAULT):
the date boundaries are found with `colour_for` itself, so the dashboard and every list agree with
the ladder by construction, and SQL compares plain dates."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from core.parsing import int_or_none
from deadlines.ladder import BLUE, DEFAULT, LABELS, NONE, RED, YELLOW, colour_for
from deadlines.models import Obligation
from members.models import MemberUnit, ReportingUnit
from members.selectors import is_overseer, mechanism_current
from tasks.models import Assignment, UnitRequest

QUARTERS_SHOWN = 4
LIST_LIMIT = 200


def may_view(user) -> bool:
    """The dashboard, its lists and exports: convener, deputy, office (members.oversee)."""
    return is_overseer(user)


# --- Quarters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """“2026Q3” → Quarter(2026, 3); anything else is a 404 (a URL nobody built)."""
        try:
            year, q = str(text).upper().split("Q")
            quarter = cls(int(year), int(q))
        except (ValueError, TypeError):
            raise Http404("季度格式不正确。") from None
        if not (1 <= quarter.q <= 4 and 2000 <= quarter.year <= 2100):
            raise Http404("季度格式不正确。")
        return quarter

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        nxt = date(self.year + (self.q == 4), 1 if self.q == 4 else 3 * self.q + 1, 1)
        return nxt - timedelta(days=1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{'一二三四'[self.q - 1]}季度"

    def __str__(self):
        return self.code


def recent_quarters(today: date, n: int = QUARTERS_SHOWN) -> list[Quarter]:
    out = [Quarter.of(today)]
    while len(out) < n:
        out.append(out[-1].previous())
    return list(reversed(out))


# --- Ladder boundaries ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    today: date
    blue_until: date  # due in (today, blue_until] → 临期 (blue)
    red_through: date  # due ≤ red_through → 严重逾期 (red); (red_through, today] → 到期/轻度逾期 (yellow)


def ladder_bounds(today: date) -> Bounds:
    blue_until = today
    for n in range(1, 40):
        day = today + timedelta(days=n)
        if colour_for(day, today, DEFAULT) == BLUE:
            blue_until = day
        elif day > today + timedelta(days=3):
            break
    red_through = today
    for n in range(1, 40):
        day = today - timedelta(days=n)
        if colour_for(day, today, DEFAULT) == RED:
            red_through = day
            break
    return Bounds(today=today, blue_until=blue_until, red_through=red_through)


# --- Metrics: one Q per source, shared by the figures and the lists ---------------------------

METRIC_LABELS = {
    "open": "在办",
    "soon": "临期",
    "overdue": "逾期",
    "blue": "临期（蓝）",
    "yellow": "到期/轻度逾期（黄）",
    "red": "严重逾期（红）",
    "due": "应办结",
    "ontime": "按时办结",
    "late": "逾期办结或未办结",
    "returned": "申请退回",
    "rerouted": "已改派",
    "extended": "获准延期",
}
UNIT_METRICS = ("open", "soon", "overdue", "blue", "yellow", "red")
QUARTER_METRICS = ("due", "ontime", "late")
CHANGE_METRICS = ("returned", "rerouted", "extended")


def metric_filters(metric: str, bounds: Bounds, quarter: Quarter | None = None) -> tuple[Q | None, Q | None]:
    """(Q on Obligation, Q on Assignment) for a metric; None where the metric does not apply."""
    t = bounds.today
    ob_open, as_open = Q(status__in=Obligation.OWED), Q(status__in=Assignment.OPEN)
    if metric == "open":
        return ob_open, as_open
    if metric in ("soon", "blue"):
        return (
            ob_open & Q(due_on__gt=t, due_on__lte=bounds.blue_until),
            as_open & Q(due_date__gt=t, due_date__lte=bounds.blue_until),
        )
    if metric == "overdue":
        return ob_open & Q(due_on__lt=t), as_open & Q(due_date__lt=t)
    if metric == "yellow":
        return (
            ob_open & Q(due_on__gt=bounds.red_through, due_on__lte=t),
            as_open & Q(due_date__gt=bounds.red_through, due_date__lte=t),
        )
    if metric == "red":
        return ob_open & Q(due_on__lte=bounds.red_through), as_open & Q(due_date__lte=bounds.red_through)
    if metric in QUARTER_METRICS:
        if quarter is None:
            raise Http404("请指定季度。")
        # Things that fell due in the quarter up to yesterday (today's are not late yet).
        last = min(quarter.end, t - timedelta(days=1))
        ob_due = Q(due_on__gte=quarter.start, due_on__lte=last)
        as_due = Q(due_date__gte=quarter.start, due_date__lte=last) & ~Q(status=Assignment.Status.REROUTED)
        ob_ontime = Q(status__in=(Obligation.SUBMITTED, Obligation.ACCEPTED), is_late=False)
        as_ontime = Q(
            status__in=(Assignment.Status.SUBMITTED, Assignment.Status.DONE), submitted_at__date__lte=F("due_date")
        )
        if metric == "due":
            return ob_due, as_due
        if metric == "ontime":
            return ob_due & ob_ontime, as_due & as_ontime
        return ob_due & ~ob_ontime, as_due & ~as_ontime
    if metric == "returned":
        return None, Q(requests__kind=UnitRequest.Kind.RETURN)
    if metric == "rerouted":
        return None, Q(status=Assignment.Status.REROUTED)
    if metric == "extended":
        return None, Q(requests__kind=UnitRequest.Kind.EXTENSION, requests__status=UnitRequest.Status.APPROVED)
    raise Http404("没有这项统计。")


# --- Units --------------------------------------------------------------------------------------


@dataclass
class UnitRow:
    key: str
    name: str
    kind: str  # "成员单位" or "市州"
    counts: dict = field(default_factory=dict)  # metric → number
    quarters: dict = field(default_factory=dict)  # quarter code → {"due", "ontime", "late", "rate"}

    @property
    def colour(self) -> str:
        for name in ("red", "yellow", "blue"):
            if self.counts.get(name):
                return name
        return "none"


def units_of(mechanism) -> tuple[list[MemberUnit], list[ReportingUnit]]:
    if mechanism is None:
        return [], []
    return (
        list(MemberUnit.objects.filter(mechanism=mechanism).order_by("order", "id")),
        list(ReportingUnit.objects.prefectures().filter(mechanism=mechanism).order_by("order", "id")),
    )


def parse_unit_key(key: str, mechanism) -> tuple[str, int] | None:
    """ "mu:3" → ("mu", 3) if the unit belongs to the mechanism; "" → None; anything else 404."""
    if not key:
        return None
    kind, _, pk = str(key).partition(":")
    model = {"mu": MemberUnit, "ru": ReportingUnit}.get(kind)
    pk = int_or_none(pk)
    if model is None or pk is None or not model.objects.filter(mechanism=mechanism, pk=pk).exists():
        raise Http404("没有这个单位。")
    return kind, pk


def _obligations(mechanism):
    return Obligation.objects.filter(rule__mechanism=mechanism)


def _assignments(mechanism):
    return Assignment.objects.filter(unit__mechanism=mechanism)


def _grouped(qs, group_field: str, metrics: dict, distinct: bool = False) -> dict:
    """{unit id: {metric: n}} in one query (distinct only where a join to requests multiplies rows)."""
    aggregates = {name: Count("id", filter=q, distinct=distinct) for name, q in metrics.items() if q is not None}
    if not aggregates:
        return {}
    rows = qs.values(group_field).annotate(**aggregates).order_by()
    return {r[group_field]: r for r in rows}


def dashboard(*, today: date | None = None, mechanism=None) -> dict:
    """Everything 督办总览 shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    mechanism = mechanism or mechanism_current()
    bounds = ladder_bounds(today)
    quarters = recent_quarters(today)
    member_units, reporting_units = units_of(mechanism)

    ob_metrics, as_metrics, change_metrics = {}, {}, {}
    for m in UNIT_METRICS:
        ob_q, as_q = metric_filters(m, bounds)
        ob_metrics[m], as_metrics[m] = ob_q, as_q
    for quarter in quarters:
        for m in QUARTER_METRICS:
            ob_q, as_q = metric_filters(m, bounds, quarter)
            ob_metrics[f"{m}_{quarter.code}"], as_metrics[f"{m}_{quarter.code}"] = ob_q, as_q
    for m in CHANGE_METRICS:
        change_metrics[m] = metric_filters(m, bounds)[1]

    # Two reads per source, each along an index (dashboard/migrations/0002): what is still open
    # (partial indexes on the owed / open rows per unit), and what fell due in the quarters shown
    # (unit, due day). History older than the quarters shown is never read.
    unit_metrics = {m: q for m, q in ob_metrics.items() if m in UNIT_METRICS}
    quarter_metrics = {m: q for m, q in ob_metrics.items() if m not in UNIT_METRICS}
    as_unit_metrics = {m: q for m, q in as_metrics.items() if m in UNIT_METRICS}
    as_quarter_metrics = {m: q for m, q in as_metrics.items() if m not in UNIT_METRICS}
    mu_ids, ru_ids = [u.pk for u in member_units], [u.pk for u in reporting_units]
    since = dict(due_on__gte=quarters[0].start, due_on__lt=today)
    ob_mu = _merge(
        _grouped(
            Obligation.objects.filter(member_unit_id__in=mu_ids, status__in=Obligation.OWED),
            "member_unit",
            unit_metrics,
        ),
        _grouped(Obligation.objects.filter(member_unit_id__in=mu_ids, **since), "member_unit", quarter_metrics),
    )
    ob_ru = _merge(
        _grouped(
            Obligation.objects.filter(reporting_unit_id__in=ru_ids, status__in=Obligation.OWED),
            "reporting_unit",
            unit_metrics,
        ),
        _grouped(Obligation.objects.filter(reporting_unit_id__in=ru_ids, **since), "reporting_unit", quarter_metrics),
    )
    as_mu = _merge(
        _grouped(Assignment.objects.filter(unit_id__in=mu_ids, status__in=Assignment.OPEN), "unit", as_unit_metrics),
        _grouped(
            Assignment.objects.filter(unit_id__in=mu_ids, due_date__gte=quarters[0].start, due_date__lt=today),
            "unit",
            as_quarter_metrics,
        ),
    )
    changes = {}
    for m, q in change_metrics.items():  # separate queries: the joins to requests multiply rows
        base = Assignment.objects.filter(unit_id__in=mu_ids)
        base = (
            base.filter(status=Assignment.Status.REROUTED)
            if m == "rerouted"
            else base.filter(Exists(UnitRequest.objects.filter(assignment=OuterRef("pk"))))
        )
        for unit_id, row in _grouped(base, "unit", {m: q}, distinct=True).items():
            changes.setdefault(unit_id, {})[m] = row[m]

    rows = []
    for unit in member_units:
        rows.append(
            _unit_row(
                f"mu:{unit.pk}",
                unit.name,
                "成员单位",
                [ob_mu.get(unit.pk, {}), as_mu.get(unit.pk, {}), changes.get(unit.pk, {})],
                quarters,
            )
        )
    for unit in reporting_units:
        rows.append(_unit_row(f"ru:{unit.pk}", unit.name, "市州", [ob_ru.get(unit.pk, {})], quarters))

    totals = {m: sum(r.counts.get(m, 0) for r in rows) for m in UNIT_METRICS + CHANGE_METRICS}
    trend = []
    for quarter in quarters:
        due = sum(r.quarters[quarter.code]["due"] for r in rows)
        ontime = sum(r.quarters[quarter.code]["ontime"] for r in rows)
        trend.append(
            {"quarter": quarter, "due": due, "ontime": ontime, "late": due - ontime, "rate": _rate(ontime, due)}
        )
    return {
        "today": today,
        "bounds": bounds,
        "quarters": quarters,
        "mechanism": mechanism,
        "member_rows": [r for r in rows if r.key.startswith("mu:")],
        "reporting_rows": [r for r in rows if r.key.startswith("ru:")],
        "totals": totals,
        "trend": trend,
        "current_quarter": quarters[-1],
    }


# --- The page's figures, cached (docs/dashboard.md "Cache") ---------------------------------------------

FIGURES_VERSION_KEY = "dashboard:figures-version"


def dashboard_cached(*, mechanism=None) -> dict:
    """`dashboard()` for today, kept in the shared cache for DASHBOARD_CACHE_SECONDS (60 s) under a key
    of the mechanism, the day and a version that every save or delete of what the figures count
    renews (`figures_changed`). Writes that bypass signals (bulk inserts) show within the 60 s."""
    today = timezone.localdate()
    mechanism = mechanism or mechanism_current()
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds or mechanism is None:
        return dashboard(today=today, mechanism=mechanism)
    version = cache.get(FIGURES_VERSION_KEY) or "0"
    key = f"dashboard:figures:1:{mechanism.pk}:{today.isoformat()}:{version}"
    data = cache.get(key)
    if data is None:
        data = dashboard(today=today, mechanism=mechanism)
        cache.set(key, data, seconds)
    return data


def figures_changed(**kwargs) -> None:
    """Signal receiver: a write the figures count happened. The version is renewed at once (this
    process reads its own write) and again at commit (no other process keeps a figure it computed
    from the data just before the commit)."""

    def bump():
        cache.set(FIGURES_VERSION_KEY, uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def _merge(a: dict, b: dict) -> dict:
    for key, row in b.items():
        a.setdefault(key, {}).update(row)
    return a


def _rate(ontime: int, due: int) -> float | None:
    return round(100 * ontime / due, 1) if due else None


def _unit_row(key, name, kind, sources: list[dict], quarters) -> UnitRow:
    row = UnitRow(key=key, name=name, kind=kind)
    for m in UNIT_METRICS + CHANGE_METRICS:
        row.counts[m] = sum(s.get(m, 0) for s in sources)
    for quarter in quarters:
        due = sum(s.get(f"due_{quarter.code}", 0) for s in sources)
        ontime = sum(s.get(f"ontime_{quarter.code}", 0) for s in sources)
        row.quarters[quarter.code] = {"due": due, "ontime": ontime, "late": due - ontime, "rate": _rate(ontime, due)}
    return row


# --- Drill-down / ledger ------------------------------------------------------------------------


@dataclass
class Filters:
    metric: str = "open"
    unit: str = ""
    quarter: str = ""

    @classmethod
    def from_query(cls, params) -> "Filters":
        return cls(
            metric=params.get("metric") or "open", unit=params.get("unit") or "", quarter=params.get("quarter") or ""
        )


def drill(filters: Filters, *, today: date | None = None, mechanism=None, limit: int | None = LIST_LIMIT) -> dict:
    """The obligations and unit tasks behind one figure (same Q as the figure), soonest due first."""
    today = today or timezone.localdate()
    mechanism = mechanism or mechanism_current()
    if filters.metric not in METRIC_LABELS:
        raise Http404("没有这项统计。")
    quarter = Quarter.parse(filters.quarter) if filters.quarter else None
    if filters.metric in QUARTER_METRICS and quarter is None:
        quarter = Quarter.of(today)
    unit = parse_unit_key(filters.unit, mechanism)
    bounds = ladder_bounds(today)
    ob_q, as_q = metric_filters(filters.metric, bounds, quarter)

    obligations = _obligations(mechanism).none() if ob_q is None else _obligations(mechanism).filter(ob_q)
    assignments = _assignments(mechanism).none() if as_q is None else _assignments(mechanism).filter(as_q)
    if unit is not None:
        kind, pk = unit
        obligations = obligations.filter(**{"member_unit_id" if kind == "mu" else "reporting_unit_id": pk})
        assignments = assignments.filter(unit_id=pk) if kind == "mu" else assignments.none()
    obligations = (
        obligations.distinct().select_related("rule", "member_unit", "reporting_unit").order_by("due_on", "id")
    )
    assignments = assignments.distinct().select_related("item", "unit").order_by("due_date", "id")
    ob_total, as_total = obligations.count(), assignments.count()
    if limit is not None:
        obligations, assignments = obligations[:limit], assignments[:limit]
    rows = [_ob_row(o, bounds) for o in obligations] + [_as_row(a, bounds) for a in assignments]
    rows.sort(key=lambda r: (r["due"], r["kind"]))
    unit_name = ""
    if unit is not None:
        model = MemberUnit if unit[0] == "mu" else ReportingUnit
        unit_name = model.objects.get(pk=unit[1]).name
    return {
        "rows": rows,
        "total": ob_total + as_total,
        "obligation_total": ob_total,
        "assignment_total": as_total,
        "truncated": limit is not None and (ob_total > limit or as_total > limit),
        "limit": limit,
        "metric_label": METRIC_LABELS[filters.metric],
        "quarter": quarter,
        "unit_name": unit_name,
        "filters": filters,
        "today": today,
    }


def _ladder(due: date, bounds: Bounds, open_: bool) -> tuple[str, str]:
    """The row's colour from the same date bounds as the figures (no per-row calendar walk: a
    row years overdue would cost a loop over every day since)."""
    if not open_:
        return "none", "—"
    if due <= bounds.red_through:
        colour = RED
    elif due <= bounds.today:
        colour = YELLOW
    elif due <= bounds.blue_until:
        colour = BLUE
    else:
        colour = NONE
    return colour, LABELS[colour]


def _ob_row(o: Obligation, bounds: Bounds) -> dict:
    colour, colour_label = _ladder(o.due_on, bounds, o.status in Obligation.OWED)
    return {
        "kind": "报送任务",
        "title": f"{o.title}",
        "unit": o.obligor_name,
        "role": "报送单位",
        "due": o.due_on,
        "status": o.get_status_display(),
        "colour": colour,
        "colour_label": colour_label,
        "done_at": o.submitted_at,
        "late": o.is_late,
        "url": f"/deadlines/obligations/{o.pk}/",
    }


def _as_row(a: Assignment, bounds: Bounds) -> dict:
    colour, colour_label = _ladder(a.due_date, bounds, a.status in Assignment.OPEN)
    late = bool(a.submitted_at and timezone.localdate(a.submitted_at) > a.due_date)
    return {
        "kind": "督办事项",
        "title": a.item.title,
        "unit": a.unit.name,
        "role": a.role_label,
        "due": a.due_date,
        "status": a.get_status_display(),
        "colour": colour,
        "colour_label": colour_label,
        "done_at": a.submitted_at,
        "late": late,
        "url": f"/items/{a.item_id}/",
    }


def overdue_units(*, today: date | None = None, mechanism=None) -> list[tuple[str, int, str, list]]:
    """[(unit kind "mu"/"ru", unit id, unit name, [titles overdue])] for 一键催办, in one pass per source."""
    today = today or timezone.localdate()
    mechanism = mechanism or mechanism_current()
    bounds = ladder_bounds(today)
    ob_q, as_q = metric_filters("overdue", bounds)
    out: dict[tuple[str, int], tuple[str, list]] = {}
    for o in (
        _obligations(mechanism)
        .filter(ob_q)
        .select_related("rule", "member_unit", "reporting_unit")
        .order_by("due_on", "id")
    ):
        key = ("mu", o.member_unit_id) if o.member_unit_id else ("ru", o.reporting_unit_id)
        out.setdefault(key, (o.obligor_name, []))[1].append(f"{o.title}（{o.due_on:%Y-%m-%d}）")
    for a in _assignments(mechanism).filter(as_q).select_related("item", "unit").order_by("due_date", "id"):
        out.setdefault(("mu", a.unit_id), (a.unit.name, []))[1].append(f"{a.item.title}（{a.due_date:%Y-%m-%d}）")
    return [(kind, pk, name, titles) for (kind, pk), (name, titles) in sorted(out.items())]
