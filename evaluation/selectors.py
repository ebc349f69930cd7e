"""Reads of the evaluation: the year's figures from the records (a fixed number of aggregate queries,
whatever the number of units), the rows behind each figure (the same filters), and who sees what.

A figure and its drill-down share one filter (`_obligation_q`, `_assignment_q`): they cannot disagree.
The year's window: things due from 1 January up to the day before `as_of`, where `as_of` is the day
after 31 December once the year is over (the result stays put) and the computing day before that.
Overdue days are calendar days: a late report's from its due day to the day it was (last) submitted,
a still-owed one's to `as_of`."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deadlines.models import Obligation, Submission
from members.access import access_for
from members.models import MemberUnit, ReportingUnit, Role
from members.selectors import is_overseer, mechanism_id_for
from tasks.models import Assignment, Item

from .models import Evaluation, GoodPractice, Score
from .rules import INDICATORS
from .scoring import empty_figures

DONE_OBLIGATION = (Obligation.SUBMITTED, Obligation.ACCEPTED)
DONE_SHARE = (Assignment.Status.SUBMITTED, Assignment.Status.DONE)


@dataclass(frozen=True)
class Window:
    start: date
    as_of: date  # due strictly before it counts; still-owed work is overdue up to it

    @classmethod
    def of(cls, year: int, today: date) -> "Window":
        return cls(date(year, 1, 1), min(today, date(year + 1, 1, 1)))


# --- the shared filters ----------------------------------------------------------------------------


def _obligation_q(mechanism_id, w: Window) -> Q:
    return Q(rule__mechanism_id=mechanism_id, due_on__gte=w.start, due_on__lt=w.as_of)


def _assignment_q(mechanism_id, w: Window) -> Q:
    return Q(unit__mechanism_id=mechanism_id, due_date__gte=w.start, due_date__lt=w.as_of) & ~Q(
        status=Assignment.Status.REROUTED
    )


OB_ONTIME = Q(status__in=DONE_OBLIGATION, is_late=False)
OB_LATE_DONE = Q(status__in=DONE_OBLIGATION, is_late=True)
OB_OWED = Q(status__in=Obligation.OWED)
AS_ONTIME = Q(status__in=DONE_SHARE, submitted_at__date__lte=F("due_date"))
AS_LATE_DONE = Q(status__in=DONE_SHARE, submitted_at__date__gt=F("due_date"))
AS_OPEN = Q(status__in=Assignment.OPEN)
AS_MATTER = Q(item__source=Item.Source.AGREED_MATTER)
AS_RETURNED = Q(role=Assignment.Role.LEAD, order=0, item__review_round__gt=0)


def _days(later, earlier) -> ExpressionWrapper:
    return ExpressionWrapper(later - F(earlier), output_field=DurationField())


def _ob_late_days():
    return _days(TruncDate("submitted_at"), "due_on")


def _ob_owed_days(w):
    return _days(Value(w.as_of), "due_on")


def _as_late_days():
    return _days(TruncDate("submitted_at"), "due_date")


def _as_open_days(w):
    return _days(Value(w.as_of), "due_date")


def _d(value) -> int:
    return value.days if value is not None else 0


def year_figures(mechanism_id: int, year: int, today: date) -> tuple[Window, dict[str, dict]]:
    """Every subject's figures for the year, keyed "mu:<id>" / "ru:<id>": five aggregate queries."""
    w = Window.of(year, today)
    out: dict[str, dict] = {}

    def fig(key):
        return out.setdefault(key, empty_figures())

    obligations = (
        Obligation.objects.filter(_obligation_q(mechanism_id, w))
        .values("obligor_key")
        .annotate(
            due=Count("id"),
            ontime=Count("id", filter=OB_ONTIME),
            late_days=Sum(_ob_late_days(), filter=OB_LATE_DONE),
            owed_days=Sum(_ob_owed_days(w), filter=OB_OWED),
        )
        .order_by()
    )
    for r in obligations:
        f = fig(r["obligor_key"])
        f["due"] += r["due"]
        f["ontime"] += r["ontime"]
        f["overdue_days"] += _d(r["late_days"]) + _d(r["owed_days"])

    decided = (
        Submission.objects.filter(obligation__in=Obligation.objects.filter(_obligation_q(mechanism_id, w)))
        .filter(Q(decision=Submission.RETURNED) | Q(decision=Submission.ACCEPTED) & ~Q(quality=""))
        .values("obligation__obligor_key", "decision", "quality")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in decided:
        f = fig(r["obligation__obligor_key"])
        if r["decision"] == Submission.RETURNED:
            f["returns"] += r["n"]
        else:
            f["marks"][r["quality"]] = f["marks"].get(r["quality"], 0) + r["n"]

    shares = (
        Assignment.objects.filter(_assignment_q(mechanism_id, w))
        .values("unit_id")
        .annotate(
            due=Count("id"),
            ontime=Count("id", filter=AS_ONTIME),
            late_days=Sum(_as_late_days(), filter=AS_LATE_DONE),
            open_days=Sum(_as_open_days(w), filter=AS_OPEN),
            returns=Sum("item__review_round", filter=AS_RETURNED),
            matters_due=Count("id", filter=AS_MATTER),
            matters_done=Count("id", filter=AS_MATTER & Q(status__in=DONE_SHARE)),
        )
        .order_by()
    )
    for r in shares:
        f = fig(f"mu:{r['unit_id']}")
        f["due"] += r["due"]
        f["ontime"] += r["ontime"]
        f["overdue_days"] += _d(r["late_days"]) + _d(r["open_days"])
        f["returns"] += r["returns"] or 0
        f["matters_due"] += r["matters_due"]
        f["matters_done"] += r["matters_done"]
    return w, out


def subjects(mechanism_id: int, year: int, kinds) -> list[tuple[str, object]]:
    """The units evaluated: those members during some of the year (two queries)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    alive = (Q(joined_on__isnull=True) | Q(joined_on__lte=end)) & (Q(left_on__isnull=True) | Q(left_on__gte=start))
    out = []
    if "member_units" in kinds:
        out += [("mu", u) for u in MemberUnit.objects.filter(alive, mechanism_id=mechanism_id).order_by("order", "id")]
    if "reporting_units" in kinds:
        out += [
            ("ru", u) for u in ReportingUnit.objects.filter(alive, mechanism_id=mechanism_id).order_by("order", "id")
        ]
    return out


# --- drill-down: the rows behind a figure ------------------------------------------------------------

DRILL_LABELS = {
    "ontime_rate": "应完成的报送任务和督办事项（含是否按时）",
    "overdue_days": "逾期完成或逾期未完成的事项（含逾期天数）",
    "returns": "被退回修改的报送和督办事项",
    "quality": "已评定质量的报送",
    "matters_done": "会议议定事项的本单位任务",
}


def drill(score: Score, indicator: str) -> dict:
    """Querysets of the rows behind one indicator of one score (the view pages them)."""
    if indicator not in INDICATORS or indicator not in score.evaluation.rules["indicators"]:
        raise Http404("没有这项指标。")
    ev = score.evaluation
    w = Window(date(ev.year, 1, 1), ev.as_of)
    ob_q = _obligation_q(ev.mechanism_id, w) & Q(obligor_key=score.obligor_key)
    obligations = assignments = submissions = None
    as_q = _assignment_q(ev.mechanism_id, w) & Q(unit_id=score.member_unit_id) if score.member_unit_id else None
    if indicator == "ontime_rate":
        obligations = Obligation.objects.filter(ob_q)
        assignments = Assignment.objects.filter(as_q) if as_q else None
    elif indicator == "overdue_days":
        obligations = Obligation.objects.filter(ob_q & (OB_LATE_DONE | OB_OWED))
        assignments = Assignment.objects.filter(as_q & (AS_LATE_DONE | AS_OPEN)) if as_q else None
    elif indicator == "returns":
        submissions = Submission.objects.filter(
            obligation__in=Obligation.objects.filter(ob_q), decision=Submission.RETURNED
        )
        assignments = Assignment.objects.filter(as_q & AS_RETURNED) if as_q else None
    elif indicator == "quality":
        submissions = Submission.objects.filter(
            obligation__in=Obligation.objects.filter(ob_q), decision=Submission.ACCEPTED
        ).exclude(quality="")
    elif indicator == "matters_done":
        assignments = Assignment.objects.filter(as_q & AS_MATTER) if as_q else None
    if obligations is not None:
        obligations = obligations.select_related("rule").order_by("due_on", "id")
    if assignments is not None:
        assignments = assignments.select_related("item").order_by("due_date", "id")
    if submissions is not None:
        submissions = submissions.select_related("obligation__rule").order_by("submitted_at", "id")
    return {
        "obligations": obligations,
        "assignments": assignments,
        "submissions": submissions,
        "window": w,
        "label": DRILL_LABELS[indicator],
        "indicator": indicator,
        "indicator_label": INDICATORS[indicator],
    }


# --- who sees what -------------------------------------------------------------------------------------


def is_convener(user) -> bool:
    """The convener today (召集人), who alone confirms an evaluation."""
    return user.is_authenticated and any(role == Role.CONVENER for role, _ in access_for(user).roles)


def may_run(user) -> bool:
    """The office computes, adjusts and publishes (members.dispatch)."""
    return user.is_authenticated and user.has_perm("members.dispatch")


def evaluations_for_user(user):
    if not is_overseer(user):
        return Evaluation.objects.none()
    return Evaluation.objects.filter(mechanism_id=mechanism_id_for(user))


def get_evaluation_for_user_or_404(user, pk) -> Evaluation:
    return get_object_or_404(evaluations_for_user(user).select_related("mechanism"), pk=pk)


def own_scores(user):
    """The published results of the units this user works for (liaison, member, prefecture user)."""
    if not user.is_authenticated:
        return Score.objects.none()
    access = access_for(user)
    mine = Q(member_unit_id__in=access.unit_ids) | Q(reporting_unit_id__in=access.reporting_unit_ids)
    return Score.objects.filter(
        mine, evaluation__status=Evaluation.Status.PUBLISHED, evaluation__mechanism_id=mechanism_id_for(user)
    )


def get_score_for_user_or_404(user, evaluation_pk, pk) -> Score:
    if is_overseer(user):
        qs = Score.objects.filter(evaluation__in=evaluations_for_user(user))
    else:
        qs = own_scores(user)
    return get_object_or_404(qs.select_related("evaluation__mechanism"), evaluation_id=evaluation_pk, pk=pk)


def practices_for_user(user):
    if not is_overseer(user):
        return GoodPractice.objects.none()
    return GoodPractice.objects.filter(mechanism_id=mechanism_id_for(user))


def get_practice_for_user_or_404(user, pk) -> GoodPractice:
    return get_object_or_404(practices_for_user(user).select_related("member_unit", "reporting_unit"), pk=pk)


def practices_between(mechanism_id, start: date, end: date) -> dict:
    """The good practice of a period for the 情况通报 and the annual document: entries collected in it,
    and those praised (通报表扬) in it. Two bounded queries."""
    base = GoodPractice.objects.filter(mechanism_id=mechanism_id).select_related("member_unit", "reporting_unit")
    after = end + timedelta(days=1)
    return {
        "praised": list(
            base.filter(praised=True, praised_at__date__gte=start, praised_at__date__lt=after).order_by(
                "praised_at", "id"
            )[:50]
        ),
        "collected": list(
            base.filter(praised=False, created_at__date__gte=start, created_at__date__lt=after).order_by(
                "created_at", "id"
            )[:50]
        ),
    }


def obligation_row(o: Obligation, w: Window) -> dict:
    """What a drill-down row shows of an obligation: on time or not, and its overdue days (as summed)."""
    done = o.status in DONE_OBLIGATION
    if done and o.is_late:
        days = (timezone.localtime(o.submitted_at).date() - o.due_on).days
    elif o.status in Obligation.OWED:
        days = (w.as_of - o.due_on).days
    else:
        days = 0
    return {"ontime": done and not o.is_late, "days": days}


def assignment_row(a: Assignment, w: Window) -> dict:
    done = a.status in DONE_SHARE
    submitted = timezone.localtime(a.submitted_at).date() if a.submitted_at else None
    if done and submitted > a.due_date:
        days = (submitted - a.due_date).days
    elif a.status in Assignment.OPEN:
        days = (w.as_of - a.due_date).days
    else:
        days = 0
    return {"ontime": done and submitted <= a.due_date, "days": days}
