"""Writes of the evaluation and of good practice: keyword-only `<noun>_<verb>` functions that check
who acts, write, and audit in one transaction.

The evaluation moves draft → adjusted (the office has checked it) → confirmed (the convener) →
published (the units are told), through `Evaluation.TRANSITIONS` applied by `_apply`."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.services import audit_record
from deadlines.models import Submission
from members.models import MemberUnit, ReportingUnit
from members.selectors import mechanism_id_for
from workflow.transitions import transition_allowed, transition_apply

from . import scoring
from .models import Evaluation, EvaluationRules, GoodPractice, Score, ScoreAdjustment
from .rules import rules_parse
from .selectors import is_convener, may_run, subjects, year_figures

MAX_ADJUSTMENT = Decimal(20)


# --- rules: loaded with the mechanism file -------------------------------------------------------------


def rules_loaded_receiver(sender, *, mechanism, spec, by=None, **kwargs):
    """Inside `members.services.mechanism_load`'s transaction: a bad section fails the whole load."""
    rules = rules_parse(spec.extra.get("evaluation"), filename=f"{spec.code}.yaml")
    current = EvaluationRules.objects.filter(mechanism=mechanism).first()
    if rules is None:
        if current is not None:
            current.delete()
        return
    if current is not None and current.rules == rules and current.config_version == spec.version:
        return
    EvaluationRules.objects.update_or_create(
        mechanism=mechanism, defaults={"rules": rules, "config_version": spec.version}
    )
    audit_record(
        actor=by,
        action="evaluation_rules.load",
        obj=mechanism,
        reason=f"载入考评规则（配置版本 {spec.version}）",
        changes={"rules": rules},
    )


# --- the state machine -----------------------------------------------------------------------------------


def _apply(evaluation: Evaluation, action: str, version=None, *, bump: bool = True) -> str:
    """Move the evaluation by `action` through the kernel (workflow.transitions), refusing a stale form
    or a move its table does not allow with a Conflict in the evaluation's own words."""
    if version not in (None, "") and str(version) != str(evaluation.version):
        raise Conflict("考评结果已被他人修改，请刷新页面后再操作。")
    if not transition_allowed(evaluation, action):
        raise Conflict(
            f"该考评当前为“{evaluation.get_status_display()}”，不能{Evaluation.ACTION_LABELS[action]}。"
            "请刷新页面后再试。"
        )
    target = transition_apply(evaluation, action)
    if not bump:  # the caller counts the version itself
        evaluation.version -= 1
    return target


def _lock(evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().select_related("mechanism").get(pk=evaluation.pk)


def _require_office(by, mechanism_id):
    if not may_run(by) or mechanism_id_for(by) != mechanism_id:
        raise NotAllowed("只有联席会议办公室可以核算、调整和发布考评。")


# --- computing -----------------------------------------------------------------------------------------


def _write_scores(evaluation: Evaluation, today: date) -> int:
    """(Re)compute every subject's score in place (a link to a unit's result stays valid); the
    office's adjustments are kept (they are deltas on the computed score)."""
    rules = evaluation.rules
    window, figures = year_figures(evaluation.mechanism_id, evaluation.year, today)
    evaluation.as_of = window.as_of
    existing = {s.obligor_key: s for s in evaluation.scores.all()} if evaluation.pk else {}
    rows, new = [], []
    for order, (kind, unit) in enumerate(subjects(evaluation.mechanism_id, evaluation.year, rules["subjects"])):
        key = f"{kind}:{unit.pk}"
        f = figures.get(key) or scoring.empty_figures()
        parts, total = scoring.score(f, rules, kind)
        row = existing.pop(key, None)
        if row is None:
            row = Score(
                evaluation=evaluation,
                kind=kind,
                member_unit=unit if kind == Score.MEMBER else None,
                reporting_unit=unit if kind == Score.REPORTING else None,
            )
            new.append(row)
        row.name, row.order, row.figures, row.computed = unit.name, order, f, total
        row.parts = {k: str(v) for k, v in parts.items()}
        row.final = scoring.q2(total + row.adjustment)
        rows.append(row)
    _rank(rows, rules)
    if existing:  # a unit no longer evaluated (rules' subjects changed)
        Score.objects.filter(pk__in=[s.pk for s in existing.values()]).delete()
    Score.objects.bulk_create(new)
    created = {id(r) for r in new}
    Score.objects.bulk_update(
        [r for r in rows if id(r) not in created],
        ["name", "order", "figures", "parts", "computed", "final", "rank", "grade"],
    )
    return len(rows)


def _rank(rows: list[Score], rules: dict):
    for kind in (Score.MEMBER, Score.REPORTING):
        group = [r for r in rows if r.kind == kind]
        for r, rank in zip(group, scoring.ranks([r.final for r in group])):
            r.rank = rank
            r.grade = scoring.grade_for(r.final, rules)


def evaluation_compute(*, mechanism, year: int, by, today: date | None = None) -> Evaluation:
    """Compute the year's evaluation from the records (create it, or recompute a draft) under the
    mechanism's present rules."""
    _require_office(by, mechanism.pk)
    today = today or timezone.localdate()
    if not isinstance(year, int) or not (mechanism.established_on.year <= year <= today.year):
        raise DomainError(f"考评年度应在 {mechanism.established_on.year} 年至 {today.year} 年之间。", field="year")
    loaded = EvaluationRules.objects.filter(mechanism=mechanism).first()
    if loaded is None:
        raise DomainError("本联席会议的配置文件没有考评规则（evaluation 部分），请先在配置中设置。")
    now = timezone.now()
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().filter(mechanism=mechanism, year=year).first()
        created = evaluation is None
        if created:
            evaluation = Evaluation.objects.create(
                mechanism=mechanism,
                year=year,
                rules=loaded.rules,
                config_version=loaded.config_version,
                as_of=today,
                computed_at=now,
                created_by=by,
            )
        else:
            _apply(evaluation, "recompute", bump=False)
            evaluation.rules, evaluation.config_version = loaded.rules, loaded.config_version
        count = _write_scores(evaluation, today)
        evaluation.computed_at = now
        evaluation.version += 0 if created else 1
        evaluation.save()
        audit_record(
            actor=by,
            action="evaluation.compute" if created else "evaluation.recompute",
            obj=evaluation,
            changes={
                "year": year,
                "subjects": count,
                "as_of": evaluation.as_of.isoformat(),
                "rules_version": evaluation.config_version,
            },
        )
    return evaluation


def _parse_adjustment(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError):
        raise DomainError("调整分应为数字，例如 -2 或 1.5。", field="adjustment") from None
    if not number.is_finite() or abs(number) > MAX_ADJUSTMENT or number != scoring.q2(number):
        raise DomainError(f"调整分应在 -{MAX_ADJUSTMENT} 到 {MAX_ADJUSTMENT} 之间，最多两位小数。", field="adjustment")
    return number


def score_adjust(*, score: Score, adjustment, reason: str, by, version=None) -> Score:
    """The office sets a unit's adjustment (加减分) with a reason; the final score, grades and ranks follow."""
    _require_office(by, score.evaluation.mechanism_id)
    value = _parse_adjustment(adjustment)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("调整得分须填写理由。", field="reason")
    if len(reason) > 1000:
        raise DomainError("理由不能超过 1000 字。", field="reason")
    with transaction.atomic():
        evaluation = _lock(score.evaluation)
        _apply(evaluation, "adjust", version, bump=False)
        scores = list(evaluation.scores.select_for_update().order_by("kind", "order", "id"))
        target = next(s for s in scores if s.pk == score.pk)
        before, final_before = target.adjustment, target.final
        if before == value:
            raise DomainError("调整分没有变化。", field="adjustment")
        target.adjustment, target.final = value, scoring.q2(target.computed + value)
        _rank(scores, evaluation.rules)
        Score.objects.bulk_update(scores, ["adjustment", "final", "rank", "grade"])
        ScoreAdjustment.objects.create(score=target, before=before, after=value, reason=reason, by=by)
        evaluation.version += 1
        evaluation.save(update_fields=["version"])
        audit_record(
            actor=by,
            action="evaluation.adjust",
            obj=evaluation,
            reason=reason,
            changes={
                "unit": target.name,
                "adjustment": [str(before), str(value)],
                "final": [str(final_before), str(target.final)],
            },
        )
    score.refresh_from_db()
    return score


def evaluation_submit(*, evaluation: Evaluation, by, version=None) -> Evaluation:
    """The office has checked the figures and its adjustments: the convener is asked to confirm."""
    _require_office(by, evaluation.mechanism_id)
    with transaction.atomic():
        locked = _lock(evaluation)
        _apply(locked, "submit", version)
        locked.save(update_fields=["status", "version"])
        audit_record(actor=by, action="evaluation.submit", obj=locked)
    evaluation.refresh_from_db()
    return evaluation


def _require_convener(by, mechanism_id):
    if not is_convener(by) or mechanism_id_for(by) != mechanism_id:
        raise NotAllowed("只有召集人可以确认或退回年度考评结果。")


def evaluation_send_back(*, evaluation: Evaluation, reason: str, by, version=None) -> Evaluation:
    """The convener returns the result to the office with a reason."""
    _require_convener(by, evaluation.mechanism_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("退回时请填写理由。", field="reason")
    with transaction.atomic():
        locked = _lock(evaluation)
        _apply(locked, "send_back", version)
        locked.note = reason[:2000]
        locked.save(update_fields=["status", "version", "note"])
        audit_record(actor=by, action="evaluation.send_back", obj=locked, reason=reason)
    evaluation.refresh_from_db()
    return evaluation


def evaluation_confirm(*, evaluation: Evaluation, by, version=None) -> Evaluation:
    _require_convener(by, evaluation.mechanism_id)
    with transaction.atomic():
        locked = _lock(evaluation)
        _apply(locked, "confirm", version)
        locked.confirmed_by, locked.confirmed_at = by, timezone.now()
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "version"])
        audit_record(actor=by, action="evaluation.confirm", obj=locked)
    evaluation.refresh_from_db()
    return evaluation


def evaluation_publish(*, evaluation: Evaluation, by, version=None) -> Evaluation:
    """The office publishes the confirmed result: every unit evaluated is told, once."""
    from deadlines.events import event_notify

    _require_office(by, evaluation.mechanism_id)
    with transaction.atomic():
        locked = _lock(evaluation)
        _apply(locked, "publish", version)
        locked.published_by, locked.published_at = by, timezone.now()
        locked.save(update_fields=["status", "published_by", "published_at", "version"])
        scores = list(locked.scores.values_list("member_unit_id", "reporting_unit_id"))
        audit_record(actor=by, action="evaluation.publish", obj=locked, changes={"subjects": len(scores)})
        event_notify(
            event="evaluation_published",
            obj=locked,
            by=by,
            period=str(locked.year),
            units=[mu for mu, _ in scores if mu],
            reporting_units=[ru for _, ru in scores if ru],
        )
    evaluation.refresh_from_db()
    return evaluation


# --- good practice (经验做法) ------------------------------------------------------------------------------


def _practice_values(*, mechanism_id, title, text, member_unit, reporting_unit, source_url) -> dict:
    title, text, source_url = (title or "").strip(), (text or "").strip(), (source_url or "").strip()
    if not title:
        raise DomainError("请填写标题。", field="title")
    if not text:
        raise DomainError("请填写主要做法。", field="text")
    if len(title) > 100 or len(text) > 5000 or len(source_url) > 300:
        raise DomainError("标题不超过 100 字，主要做法不超过 5000 字，来源链接不超过 300 字。", field="text")
    if source_url and not (source_url.startswith(("http://", "https://", "/"))):
        raise DomainError("来源链接应以 http://、https:// 或 / 开头。", field="source_url")
    if member_unit and reporting_unit:
        raise DomainError("单位和市州只能选择一个。", field="member_unit")
    for unit in (member_unit, reporting_unit):
        if unit is not None and unit.mechanism_id != mechanism_id:
            raise DomainError("所选单位不属于本联席会议。", field="member_unit")
    return {
        "title": title,
        "text": text,
        "source_url": source_url,
        "member_unit": member_unit,
        "reporting_unit": reporting_unit,
    }


def practice_create(
    *,
    by,
    title: str,
    text: str,
    member_unit: MemberUnit | None = None,
    reporting_unit: ReportingUnit | None = None,
    source_url: str = "",
    submission: Submission | None = None,
) -> GoodPractice:
    """The office records a good practice, written directly or drawn from a report."""
    mechanism_id = mechanism_id_for(by)
    _require_office(by, mechanism_id)
    values = _practice_values(
        mechanism_id=mechanism_id,
        title=title,
        text=text,
        member_unit=member_unit,
        reporting_unit=reporting_unit,
        source_url=source_url,
    )
    with transaction.atomic():
        practice = GoodPractice(mechanism_id=mechanism_id, submission=submission, created_by=by, **values)
        practice.full_clean(exclude=["mechanism", "created_by", "submission", "member_unit", "reporting_unit"])
        practice.save()
        audit_record(
            actor=by,
            action="good_practice.create",
            obj=practice,
            changes={"title": practice.title, "submission": submission.pk if submission else None},
        )
    return practice


def practice_from_submission(*, submission: Submission, by) -> GoodPractice:
    """收入经验做法 from an accepted report: the report's unit, its text and a link to it."""
    from django.urls import reverse

    obligation = submission.obligation
    if submission.decision != Submission.ACCEPTED:
        raise DomainError("只有已接收的报送可以收入经验做法。")
    if obligation.rule.mechanism_id != mechanism_id_for(by):
        raise NotAllowed("只能收集本联席会议的报送。")
    existing = GoodPractice.objects.filter(submission=submission).first()
    if existing is not None:
        return existing
    return practice_create(
        by=by,
        title=f"{obligation.obligor_name}：{obligation.title}"[:100],
        text=submission.text[:5000],
        member_unit=obligation.member_unit,
        reporting_unit=obligation.reporting_unit,
        source_url=reverse("deadlines:obligation", args=[obligation.pk]),
        submission=submission,
    )


def practice_update(
    *, practice: GoodPractice, by, title: str, text: str, member_unit=None, reporting_unit=None, source_url: str = ""
) -> GoodPractice:
    _require_office(by, practice.mechanism_id)
    values = _practice_values(
        mechanism_id=practice.mechanism_id,
        title=title,
        text=text,
        member_unit=member_unit,
        reporting_unit=reporting_unit,
        source_url=source_url,
    )
    with transaction.atomic():
        changed = {k: v for k, v in values.items() if getattr(practice, k) != v}
        for k, v in changed.items():
            setattr(practice, k, v)
        if changed:
            practice.save(update_fields=list(changed))
            audit_record(
                actor=by,
                action="good_practice.update",
                obj=practice,
                changes={k: str(v) if v is not None else "" for k, v in changed.items()},
            )
    return practice


def practice_praise(*, practice: GoodPractice, praised: bool, by, reason: str = "") -> GoodPractice:
    """Mark (or unmark) a good practice for 通报表扬: the next 情况通报 names it."""
    _require_office(by, practice.mechanism_id)
    with transaction.atomic():
        locked = GoodPractice.objects.select_for_update().get(pk=practice.pk)
        if locked.praised == praised:
            raise Conflict("已是该状态，请刷新页面。")
        locked.praised = praised
        locked.praised_by, locked.praised_at = (by, timezone.now()) if praised else (None, None)
        locked.save(update_fields=["praised", "praised_by", "praised_at"])
        audit_record(
            actor=by, action="good_practice.praise" if praised else "good_practice.unpraise", obj=locked, reason=reason
        )
    practice.refresh_from_db()
    return practice
