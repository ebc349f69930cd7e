"""Passing a prefecture's obligation down to its counties (分解下发), and back up (汇总报送).

A prefecture owes an obligation to the province (a rule of the mechanism file). Its user passes it down
to some or all of its counties with its own earlier due day: each county gets a *share*, an ordinary
`Obligation` of the same rule and period owed by the county, with `parent` pointing at the prefecture's
— so the county sees it in 报送任务, is reminded on the ladder, and submits through the usual service.
A county's submission is received (接收 / 退回修改) by its prefecture, not the office; the prefecture reads
its counties' returns side by side and submits its own, consolidated answer (an ordinary submission
of its own obligation), which the office receives. The office sees everything and can open each
county's return. See docs/counties.md for the decisions."""

from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.services import audit_record
from members.access import access_for
from members.counties import counties_of, is_prefecture_of
from members.models import ReportingUnit

from . import calendar
from .models import Obligation, Submission

DEFAULT_LEAD_WORKING_DAYS = 3  # the county's day, by default: three working days before the prefecture's


def is_county_obligation(obligation: Obligation) -> bool:
    """Owed by a county (a share passed down, or a county's own rule): received by its prefecture."""
    ru = obligation.reporting_unit if obligation.reporting_unit_id else None
    return ru is not None and ru.parent_id is not None


def may_pass_down(user, obligation: Obligation) -> bool:
    """The prefecture's own user, for its own obligation (the office does not pass a prefecture's work)."""
    return (
        obligation.reporting_unit_id is not None
        and obligation.parent_id is None
        and obligation.reporting_unit_id in access_for(user).reporting_unit_ids
    )


def may_receive_county(user, obligation: Obligation) -> bool:
    """Who receives a county's submission: its prefecture's users."""
    return is_county_obligation(obligation) and is_prefecture_of(user, obligation.reporting_unit)


def default_share_due(parent: Obligation, today: date | None = None) -> date:
    """Three working days before the prefecture's day, but not before today (nor after the prefecture's)."""
    today = today or timezone.localdate()
    due = calendar.add_working_days(parent.due_on, -DEFAULT_LEAD_WORKING_DAYS)
    if due < today:
        due = min(calendar.next_working_day(today), parent.due_on)
    return due


def share_due_check(*, parent: Obligation, due_on: date, today: date | None = None) -> None:
    """The county's day: a working day, from today on, and not later than the prefecture's own day."""
    today = today or timezone.localdate()
    if due_on > parent.due_on:
        raise DomainError(
            f"县（市、区）的截止日期不能晚于本市州的截止日期（{parent.due_on:%Y年%-m月%-d日}）。", field="due_on"
        )
    if due_on < today:
        raise DomainError("截止日期不能早于今天。", field="due_on")
    if not calendar.is_working_day(due_on):
        before = calendar.previous_working_day(due_on)
        hint = f"可改为前一个工作日 {before:%Y年%-m月%-d日}。" if before >= today else ""
        raise DomainError(f"{due_on:%Y年%-m月%-d日} 不是工作日（按节假日日历）。{hint}", field="due_on")


@transaction.atomic
def obligation_pass_down(
    *, obligation: Obligation, counties, due_on: date, instructions: str = "", by
) -> list[Obligation]:
    """分解下发: give each chosen county a share of the prefecture's `obligation`, due on `due_on`.
    A county that already holds a share is skipped (passing down twice adds only the new counties).
    Audited on the prefecture's obligation; each county's users are told (event `passed_down`)."""
    from .events import event_notify

    if not may_pass_down(by, obligation):
        raise NotAllowed("只有本市州的报送用户可以分解下发本市州的报送任务。")
    parent = Obligation.objects.select_for_update().select_related("rule").get(pk=obligation.pk)
    if parent.status not in Obligation.OWED:
        raise Conflict("本市州已报送该任务，不能再分解下发。")
    instructions = (instructions or "").strip()
    if len(instructions) > 2000:
        raise DomainError("要求不能超过 2000 字。", field="instructions")
    share_due_check(parent=parent, due_on=due_on)
    ids = {getattr(c, "pk", c) for c in counties}
    if not ids:
        raise DomainError("请至少选择一个县（市、区）。", field="counties")
    chosen = list(counties_of(parent.reporting_unit_id).filter(pk__in=ids))
    if len(chosen) != len(ids):
        raise DomainError("所选县（市、区）不属于本市州。", field="counties")
    held = set(parent.shares.values_list("reporting_unit_id", flat=True))
    opens = min(parent.opens_on, due_on)
    new = [
        Obligation(
            rule=parent.rule,
            reporting_unit=c,
            obligor_key=f"ru:{c.pk}",
            period=parent.period,
            period_label=parent.period_label,
            period_start=parent.period_start,
            period_end=parent.period_end,
            opens_on=opens,
            due_on=due_on,
            parent=parent,
            instructions=instructions,
        )
        for c in chosen
        if c.pk not in held
    ]
    if not new:
        raise Conflict("所选县（市、区）都已下发，无需重复下发。")
    # A county's own rule of the same rule and period would collide on the unique key: say so in words.
    clash = set(
        Obligation.objects.filter(
            rule=parent.rule, period=parent.period, obligor_key__in=[o.obligor_key for o in new]
        ).values_list("reporting_unit__name", flat=True)
    )
    if clash:
        raise Conflict(f"{'、'.join(sorted(clash))}已有同一期次的该项报送任务。")
    created = Obligation.objects.bulk_create(new)
    audit_record(
        actor=by,
        action="obligation.pass_down",
        obj=parent,
        reason=instructions,
        changes={
            "counties": [o.reporting_unit.name for o in created],
            "due_on": due_on.isoformat(),
            "shares": [o.pk for o in created],
        },
    )
    for share in created:
        event_notify(
            event="passed_down",
            obj=share,
            by=by,
            reporting_units=[share.reporting_unit_id],
            prefecture=parent.reporting_unit.name,
            instructions_line=f"要求：{instructions}" if instructions else "",
        )
    return created


def county_submitted_notify(*, obligation: Obligation, by) -> None:
    """Called by `obligation_submit` in its transaction: a county's submission tells its prefecture."""
    from .events import event_notify

    ru = obligation.reporting_unit if obligation.reporting_unit_id else None
    if ru is None or ru.parent_id is None:
        return
    event_notify(
        event="county_submitted",
        obj=obligation,
        by=by,
        reporting_units=[ru.parent_id],
        county=ru.name,
        url=_returns_url(obligation),
    )


def _returns_url(obligation: Obligation) -> str:
    if obligation.parent_id:
        return reverse("deadlines:county_returns", args=[obligation.parent_id])
    return reverse("deadlines:obligation", args=[obligation.pk])


def county_return_decide(*, obligation: Obligation, accept: bool, reason: str = "", by) -> Obligation:
    """The prefecture receives a county's submission: accept it, or return it for revision with a reason."""
    from workflow.steps import process_for, step_run
    from workflow.transitions import transition_apply

    from .events import event_notify
    from .flows import SubmissionFlow

    if not may_receive_county(by, obligation):
        raise NotAllowed("只有所属市州的报送用户可以接收或退回县（市、区）的报送。")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("退回修改时请填写理由。", field="reason")
    if len(reason) > 2000:
        raise DomainError("理由不能超过 2000 字。", field="reason")
    action = "accept" if accept else "return"
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Obligation.objects.select_for_update(of=("self",))
            .select_related("rule", "reporting_unit__parent")
            .get(pk=obligation.pk)
        )
        transition_apply(locked, action, label="该报送任务")
        submission = locked.submissions.filter(decision=Submission.PENDING).order_by("-submitted_at").first()
        if submission is None:
            raise Conflict("没有待接收的报送。")
        submission.decision = Submission.ACCEPTED if accept else Submission.RETURNED
        submission.reason, submission.decided_by, submission.decided_at = reason, by, now
        submission.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
        if accept:
            locked.accepted_at = now
        locked.save(update_fields=["status", "accepted_at"])
        step_run(SubmissionFlow.receive, process=process_for(SubmissionFlow, obligation=locked), accepted=accept, by=by)
        audit_record(
            actor=by,
            action=f"obligation.county_{action}",
            obj=locked,
            reason=reason,
            changes={
                "submission": submission.pk,
                "late": submission.is_late,
                "prefecture": locked.reporting_unit.parent.name,
            },
        )
        event_notify(
            event="county_accepted" if accept else "county_returned",
            obj=locked,
            by=by,
            reason=reason,
            reporting_units=[locked.reporting_unit_id],
            prefecture=locked.reporting_unit.parent.name,
        )
    obligation.refresh_from_db()
    return obligation


# --- reads ---------------------------------------------------------------------------------------------


def shares_of(parent: Obligation) -> list[Obligation]:
    """The counties' shares of `parent`, each with its submissions (newest last), in the counties' order:
    three queries whatever the number of counties."""
    subs = (
        Submission.objects.select_related("submitted_by").prefetch_related("attachments").order_by("submitted_at", "pk")
    )
    shares = list(
        parent.shares.select_related("reporting_unit", "rule")
        .prefetch_related(Prefetch("submissions", queryset=subs))
        .order_by("reporting_unit__order", "reporting_unit_id")
    )
    for s in shares:
        all_subs = list(s.submissions.all())
        s.latest = all_subs[-1] if all_subs else None
    return shares


def consolidation_text(shares) -> str:
    """The prefecture's starting text: each county's latest return under its name, in order."""
    parts = [f"【{s.reporting_unit.name}】\n{s.latest.text}" for s in shares if s.latest is not None]
    return "\n\n".join(parts)


def counties_not_passed(parent: Obligation, shares) -> list[ReportingUnit]:
    held = {s.reporting_unit_id for s in shares}
    return [c for c in counties_of(parent.reporting_unit_id) if c.pk not in held]


PENDING_KINDS = {"county_return": "县区报送待接收", "consolidate": "县区已报齐待汇总"}


def pending_for(user, *, limit: int = 50) -> list[dict]:
    """What the prefecture user must act on in the tree, for the unified 我的待办 (one query):
    a county's submission waiting for the prefecture's receipt, and a passed-down obligation whose
    counties have all submitted while the prefecture's own answer is still owed. A county's own owed
    obligations are ordinary obligations and appear wherever those do."""
    own = access_for(user).reporting_unit_ids if user.is_authenticated else ()
    if not own:
        return []
    owed_share = Obligation.objects.filter(parent=OuterRef("pk"), status__in=Obligation.OWED)
    any_share = Obligation.objects.filter(parent=OuterRef("pk"))
    # The tree's units first (an index scan on reporting_unit_id for a handful of units), then which of
    # their rows wait: an OR with subplans alone makes the planner read every obligation (bench/counties.py).
    tree = ReportingUnit.objects.filter(Q(pk__in=own) | Q(parent_id__in=own)).values("pk")
    rows = (
        Obligation.objects.filter(reporting_unit_id__in=tree)
        .filter(
            Q(status=Obligation.SUBMITTED) & ~Q(reporting_unit_id__in=own)
            | Q(Exists(any_share), ~Exists(owed_share), reporting_unit_id__in=own, status__in=Obligation.OWED)
        )
        .select_related("rule", "reporting_unit")
        .order_by("due_on", "id")[:limit]
    )
    out = []
    for o in rows:
        county = o.reporting_unit.parent_id is not None
        out.append(
            {
                "kind": "county_return" if county else "consolidate",
                "key": f"obligation:{o.pk}",
                "title": f"{o.reporting_unit.name}：{o.title}" if county else f"汇总报送：{o.title}",
                "unit": o.reporting_unit.name,
                "due_on": o.due_on,
                "url": (
                    reverse("deadlines:obligation", args=[o.pk])
                    if county and not o.parent_id
                    else reverse("deadlines:county_returns", args=[o.parent_id if county else o.pk])
                ),
                "action": "接收或退回" if county else "汇总报送",
            }
        )
    return out
