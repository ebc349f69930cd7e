"""Every write of the deadlines app, as keyword-only functions."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.services import audit_record
from core.uploads import storage_name, upload_check
from members.models import MemberUnit, ReportingUnit

from . import calendar, schedules
from .cascade import county_submitted_notify, is_county_obligation
from .flows import flow_decide, flow_submit
from .models import Attachment, CalendarDay, CalendarYear, DeadlineRule, Obligation, Submission

# --- Calendar ----------------------------------------------------------------------------------------


def _parse_days(text: str, field_name: str, year: int) -> list[tuple[date, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        day_text, _sep, name = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise DomainError(f"第 {n} 行 “{line}”：日期应写作 YYYY-MM-DD，后面可跟名称。", field=field_name) from None
        if day.year != year:
            raise DomainError(f"第 {n} 行 {day_text} 不在 {year} 年内。", field=field_name)
        out.append((day, name.strip()[:30]))
    return out


@transaction.atomic
def calendar_year_save(*, year: int, holidays: str, workdays: str, note: str = "", by) -> CalendarYear:
    """Enter (or replace) a whole year's statutory holidays and make-up workdays, as the State
    Council published them. One date per line, optionally followed by a name."""
    if not 2000 <= year <= 2100:
        raise DomainError("年份应在 2000 到 2100 之间。", field="year")
    off = _parse_days(holidays, "holidays", year)
    on = _parse_days(workdays, "workdays", year)
    both = {d for d, _ in off} & {d for d, _ in on}
    if both:
        raise DomainError(f"{'、'.join(sorted(d.isoformat() for d in both))} 不能既放假又调休上班。", field="workdays")
    bad_on = [d for d, _ in on if d.weekday() < 5]
    if bad_on:
        raise DomainError(f"{bad_on[0]} 是周一至周五，本来就上班，不是调休上班日。", field="workdays")
    before = sorted(f"{d} {'上班' if w else '放假'}" for d, w in
                    CalendarDay.objects.filter(day__year=year).values_list("day", "is_working"))
    snapshot = owed_due_snapshot()
    CalendarDay.objects.filter(day__year=year).delete()
    CalendarDay.objects.bulk_create([CalendarDay(day=d, is_working=False, name=n) for d, n in off] +
                                    [CalendarDay(day=d, is_working=True, name=n) for d, n in on])
    entry, _ = CalendarYear.objects.update_or_create(year=year, defaults={"note": note[:200], "entered_by": by})
    transaction.on_commit(calendar.cache_clear)
    calendar.cache_clear()
    moved = obligations_follow_calendar(snapshot=snapshot, by=by, why=f"录入 {year} 年节假日安排")
    audit_record(actor=by, action="calendar.year_save", obj=entry, reason=note,
                 changes={"before": before, "holidays": len(off), "workdays": len(on), "moved": moved})
    return entry


@transaction.atomic
def calendar_year_delete(*, year: int, by) -> None:
    entry = CalendarYear.objects.filter(year=year).first()
    if entry is None:
        raise DomainError(f"{year} 年没有录入的节假日。")
    snapshot = owed_due_snapshot()
    CalendarDay.objects.filter(day__year=year).delete()
    entry_pk = entry.pk
    entry.delete()
    entry.pk = entry_pk
    transaction.on_commit(calendar.cache_clear)
    calendar.cache_clear()
    moved = obligations_follow_calendar(snapshot=snapshot, by=by, why=f"删除 {year} 年录入的节假日安排")
    audit_record(actor=by, action="calendar.year_delete", obj=entry, reason=f"删除 {year} 年录入的节假日",
                 changes={"moved": moved})


# --- Stored due dates follow the calendar ---------------------------------------------------------------
#
# An obligation is created up to 120 days ahead with the calendar known then; a year the State Council
# publishes later (or the office corrects) changes its due day. Whenever the office saves or deletes a
# year, every owed obligation whose stored due day is exactly what its rule gave under the previous
# calendar is recomputed; one whose stored day differs was not set by the rule (a person fixed it) and
# is left alone. Submitted and accepted obligations keep their day: lateness was decided on it.

REMINDER_KINDS = ("before", "due", "overdue", "escalation")


def owed_due_snapshot() -> dict:
    """(rule id, period key) → (due, opens) for every owed obligation, under the calendar in force now
    (read from the database: this process's cache is cleared first)."""
    calendar.cache_clear()
    out = {}
    rules = {}
    for rule_id, period in Obligation.objects.owed().values_list("rule_id", "period").distinct():
        if rule_id not in rules:
            rules[rule_id] = DeadlineRule.objects.get(pk=rule_id).spec()
        p = rules[rule_id].period(period)
        if p is not None:
            out[(rule_id, period)] = (p.due, p.opens)
    return out


def obligations_follow_calendar(*, snapshot: dict, by, why: str) -> int:
    """Move the owed obligations' due days to what their rules give under the calendar in force now.
    `snapshot` is `owed_due_snapshot()` taken before the calendar changed. Each move is audited (old and
    new day, why), the planned but unsent reminders for the old day are withdrawn (the reminder key's
    period is the due day, so the ladder restarts on the new day by itself) and the obligor's people are
    told. Runs inside the caller's transaction; returns how many obligations moved."""
    from .events import event_notify
    from .models import Message

    rules, new = {}, {}
    for (rule_id, period), old in snapshot.items():
        if rule_id not in rules:
            rules[rule_id] = DeadlineRule.objects.get(pk=rule_id).spec()
        p = rules[rule_id].period(period)
        if p is not None and (p.due, p.opens) != old:
            new[(rule_id, period)] = (p.due, p.opens)
    if not new:
        return 0
    candidates = Q()
    for rule_id, period in new:
        candidates |= Q(rule_id=rule_id, period=period)
    moved = []
    for o in (Obligation.objects.owed().filter(candidates).select_for_update(of=("self",))
              .select_related("rule", "member_unit", "reporting_unit").order_by("due_on", "id")):
        old_due, old_opens = snapshot[(o.rule_id, o.period)]
        if o.due_on != old_due:
            continue  # not the rule's day: someone set it, and a calendar change must not undo that
        new_due, new_opens = new[(o.rule_id, o.period)]
        o.due_on, o.opens_on = new_due, new_opens
        o.save(update_fields=["due_on", "opens_on"])
        audit_record(actor=by, action="obligation.due_move", obj=o, reason=why,
                     changes={"due_on": [old_due.isoformat(), new_due.isoformat()],
                              "opens_on": [old_opens.isoformat(), new_opens.isoformat()]})
        moved.append((o, old_due))
    if not moved:
        return 0
    # Reminders planned for the old day and not sent yet would announce the wrong date: withdraw them.
    withdraw = Q()
    for kind in REMINDER_KINDS:
        withdraw |= Q(kind=kind) | Q(kind__startswith=f"{kind}:")
    for o, old_due in moved:
        Message.objects.filter(withdraw, subject=f"obligation:{o.pk}", period=old_due.isoformat(),
                               status=Message.PENDING).delete()
    for o, old_due in moved:
        event_notify(event="date_moved", obj=o, by=by, old=old_due, why=why,
                     units=[o.member_unit_id] if o.member_unit_id else [],
                     reporting_units=[o.reporting_unit_id] if o.reporting_unit_id else [],
                     period=f"{old_due.isoformat()}>{o.due_on.isoformat()}")
    return len(moved)


HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}


def calendar_year_from_package(year: int) -> tuple[str, str]:
    """The package's holidays and make-up workdays of a year as the office's form text ("", "" if unknown)."""
    import chinese_calendar

    holidays, workdays = [], []
    day = date(year, 1, 1)
    while day.year == year:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return "", ""
        label = HOLIDAY_NAMES.get(name, name or "")
        if day.weekday() < 5 and is_holiday:
            holidays.append(f"{day} {label}".strip())
        elif day.weekday() >= 5 and not is_holiday:
            workdays.append(f"{day} {label}调休上班".strip())
        day += timedelta(days=1)
    return "\n".join(holidays), "\n".join(workdays)


# --- Rules: loaded from the mechanism file ------------------------------------------------------------


def _line_finder(spec):
    """A function mapping a field path ("deadline_rules[2].schedule.days") to "第 N 行，" by walking the
    composed YAML of the file the spec came from (only if the file on disk is that exact file)."""
    from members.mechanism_config import mechanism_path

    path = mechanism_path(spec.code)
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return lambda p: ""
    if hashlib.sha256(raw).hexdigest() != spec.digest:
        return lambda p: ""
    root = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)

    def where(p: str) -> str:
        node = root
        for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", p):
            try:
                if name:
                    node = next(v for k, v in node.value if k.value == name)
                else:
                    node = node.value[int(index)]
            except (StopIteration, AttributeError, IndexError, TypeError):
                break
        return f"{path.name} 第 {node.start_mark.line + 1} 行，"

    return where


@dataclass
class RulesReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def rules_load(*, mechanism, spec, by=None) -> RulesReport:
    """Bring the mechanism's deadline rules in line with its file. Idempotent: an unchanged file
    writes nothing. A rule no longer in the file is retired (kept with its obligations), not deleted.
    Runs inside `members.services.mechanism_load`'s transaction (via members.signals.mechanism_loaded),
    so a bad rule makes the whole load fail with nothing half-written."""
    parsed = schedules.rules_parse(spec.extra.get("deadline_rules"), established_on=spec.established_on,
                                   where=_line_finder(spec))
    report = RulesReport()
    existing = {r.code: r for r in DeadlineRule.objects.select_for_update().filter(mechanism=mechanism)}
    for rs in parsed:
        values = {"title": rs.title, "obligors": rs.obligors, "schedule": DeadlineRule.schedule_json(rs.schedule),
                  "starts": rs.starts, "ends": rs.ends, "blue_from": rs.blue_from, "red_after": rs.red_after,
                  "reminders": rs.reminders, "order": rs.order, "active": True}
        rule = existing.get(rs.code)
        if rule is None:
            rule = DeadlineRule(mechanism=mechanism, code=rs.code, **values)
            rule.full_clean()
            rule.save()
            report.created.append(rs.code)
            continue
        changed = [k for k, v in values.items() if getattr(rule, k) != v]
        if changed:
            for k in changed:
                setattr(rule, k, values[k])
            rule.full_clean()
            rule.save(update_fields=changed)
            report.updated.append(f"{rs.code}（{'、'.join(changed)}）")
    wanted = {rs.code for rs in parsed}
    for code, rule in existing.items():
        if code not in wanted and rule.active:
            rule.active = False
            rule.save(update_fields=["active"])
            report.retired.append(code)
    if report.created or report.updated or report.retired:
        audit_record(actor=by, action="deadline_rules.load", obj=mechanism,
                     reason=f"载入时限规则（配置版本 {spec.version}）",
                     changes={"created": report.created, "updated": report.updated, "retired": report.retired})
    return report


# --- Obligations -------------------------------------------------------------------------------------

LOOKBACK_DAYS = 31     # a period due up to a month ago is still created (the task may have been down)
HORIZON_DAYS = 120     # created about four months ahead: the liaison sees what is coming


@dataclass
class GenerateReport:
    created: int = 0
    existing: int = 0


def obligors_for(rule: DeadlineRule, on: date):
    if rule.obligors == schedules.MEMBER_UNITS:
        return [("mu", u) for u in MemberUnit.objects.current(on).filter(mechanism_id=rule.mechanism_id)]
    units = ReportingUnit.objects.current(on).filter(mechanism_id=rule.mechanism_id)
    # A prefecture's rule binds the prefectures; a county's rule its counties (docs/counties.md).
    units = units.filter(parent__isnull=rule.obligors != schedules.COUNTIES)
    return [("ru", u) for u in units]


def obligations_generate(*, today: date | None = None, horizon_days: int = HORIZON_DAYS,
                         mechanism_ids=None) -> GenerateReport:
    """Create every obligation (rule × obligor × period) due from a month ago to `horizon_days` ahead,
    for the deployment's mechanism (or `mechanism_ids`). Idempotent and safe to race: the unique key
    (rule, obligor, period) drops duplicates."""
    from .reminders import mechanisms_swept

    today = today or timezone.localdate()
    mechanism_ids = mechanisms_swept() if mechanism_ids is None else list(mechanism_ids)
    report = GenerateReport()
    for rule in DeadlineRule.objects.filter(active=True, mechanism_id__in=mechanism_ids).select_related("mechanism"):
        spec = rule.spec()
        periods = spec.periods(today - timedelta(days=LOOKBACK_DAYS), today + timedelta(days=horizon_days))
        rows = []
        for period in periods:
            for kind, unit in obligors_for(rule, period.due):
                rows.append(Obligation(
                    rule=rule, member_unit=unit if kind == "mu" else None,
                    reporting_unit=unit if kind == "ru" else None, obligor_key=f"{kind}:{unit.pk}",
                    period=period.key, period_label=period.label, period_start=period.start,
                    period_end=period.end, opens_on=period.opens, due_on=period.due))
        if not rows:
            continue
        keys = {(o.obligor_key, o.period) for o in rows}
        have = set(Obligation.objects.filter(rule=rule, period__in={p.key for p in periods})
                   .values_list("obligor_key", "period"))
        new = [o for o in rows if (o.obligor_key, o.period) not in have]
        report.existing += len(keys) - len(new)
        if new:
            with transaction.atomic():
                created = Obligation.objects.bulk_create(new, ignore_conflicts=True)
            report.created += len(created)
    return report


# --- Submission: liaison/prefecture submits → office accepts or returns --------------------------------

# The one table of allowed status changes (action → from-statuses → to-status).
TRANSITIONS = {
    "submit": ({Obligation.OPEN, Obligation.RETURNED}, Obligation.SUBMITTED),
    "accept": ({Obligation.SUBMITTED}, Obligation.ACCEPTED),
    "return": ({Obligation.SUBMITTED}, Obligation.RETURNED),
}
ACTION_LABELS = {"submit": "报送", "accept": "接收", "return": "退回修改"}


def _transition(obligation: Obligation, action: str) -> str:
    allowed, target = TRANSITIONS[action]
    if obligation.status not in allowed:
        raise Conflict(f"该报送任务当前为“{obligation.get_status_display()}”，不能{ACTION_LABELS[action]}。"
                       "请刷新页面后再试。")
    return target


MAX_ATTACHMENTS = 10


def _check_files(files) -> list[str]:
    """The names people will see, one per file (core.uploads checks each)."""
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError(f"附件最多 {MAX_ATTACHMENTS} 个。", field="files")
    return [upload_check(f, field="files") for f in files]


def obligation_submit(*, obligation: Obligation, text: str, files=(), keep=(), by) -> Submission:
    """The obligor submits its report (text + attachments). Late submissions are accepted and marked late.
    `keep`: ids of attachments of this obligation's earlier submissions to carry into this one (a returned
    report is revised, its files need not be uploaded again); the new rows point at the same stored file."""
    from .selectors import may_submit

    if not may_submit(by, obligation):
        raise NotAllowed("您不能为该单位报送。")
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写报送内容。", field="text")
    if len(text) > 20000:
        raise DomainError(f"报送内容 {len(text)} 字，超过上限 20000 字；较长的材料请作为附件上传。", field="text")
    files = list(files)
    kept = list(Attachment.objects.filter(submission__obligation=obligation, pk__in=list(keep)).order_by("pk"))
    if len(kept) != len(set(keep)):
        raise DomainError("要保留的附件不属于该报送任务。", field="files")
    if len(files) + len(kept) > MAX_ATTACHMENTS:
        raise DomainError(f"附件最多 {MAX_ATTACHMENTS} 个。", field="files")
    names = _check_files(files)
    now = timezone.now()
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        target = _transition(locked, "submit")
        if timezone.localdate(now) < locked.opens_on:
            raise DomainError(f"报送期自 {locked.opens_on:%Y年%-m月%-d日} 起，现在还不能报送（报告反映的时段尚未结束）。"
                              "请届时再报送。")
        late = timezone.localdate(now) > locked.due_on
        submission = Submission(obligation=locked, text=text, submitted_by=by, submitted_at=now, is_late=late)
        submission.full_clean(exclude=["obligation", "submitted_by"])
        submission.save()
        for old in kept:
            Attachment.objects.create(submission=submission, file=old.file.name, name=old.name, size=old.size)
        for f, name in zip(files, names):
            attachment = Attachment(submission=submission, name=name, size=f.size)
            attachment.file.save(storage_name(name), f, save=False)
            attachment.save()
        locked.status, locked.submitted_at = target, now
        locked.is_late = locked.is_late or late
        locked.save(update_fields=["status", "submitted_at", "is_late"])
        flow_submit(obligation=locked, by=by)
        county_submitted_notify(obligation=locked, by=by)  # a county's return tells its prefecture (cascade)
        audit_record(actor=by, action="obligation.submit", obj=locked,
                     reason="逾期报送" if late else "", changes={"submission": submission.pk, "files": len(files) + len(kept),
                                                              "kept": [a.name for a in kept]})
    obligation.refresh_from_db()
    return submission


def obligation_decide(*, obligation: Obligation, accept: bool, reason: str = "", quality: str = "", by) -> Obligation:
    """The office receives a submission: accept it (optionally marking its quality, 优/良/中/差), or
    return it for revision with a reason."""
    from .events import event_notify

    if not (by.has_perm("members.dispatch") or by.is_superuser):
        raise NotAllowed("只有联席会议办公室可以接收或退回报送。")
    if is_county_obligation(obligation):
        raise NotAllowed("县（市、区）的报送由所属市州接收（deadlines.cascade）。")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("退回修改时请填写理由。", field="reason")
    if len(reason) > 2000:
        raise DomainError("理由不能超过 2000 字。", field="reason")
    if quality and (not accept or quality not in dict(Submission.QUALITY_MARKS)):
        raise DomainError("质量评定只能在接收时选择优、良、中或差。", field="quality")
    action = "accept" if accept else "return"
    now = timezone.now()
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().select_related("rule").get(pk=obligation.pk)
        target = _transition(locked, action)
        submission = locked.submissions.filter(decision=Submission.PENDING).order_by("-submitted_at").first()
        if submission is None:
            raise Conflict("没有待接收的报送。")
        submission.decision = Submission.ACCEPTED if accept else Submission.RETURNED
        submission.reason, submission.decided_by, submission.decided_at = reason, by, now
        submission.quality = quality
        submission.save(update_fields=["decision", "reason", "decided_by", "decided_at", "quality"])
        locked.status = target
        if accept:
            locked.accepted_at = now
        locked.save(update_fields=["status", "accepted_at"])
        flow_decide(obligation=locked, accepted=accept, by=by)
        audit_record(actor=by, action=f"obligation.{action}", obj=locked, reason=reason,
                     changes={"submission": submission.pk, "late": submission.is_late, "quality": quality})
        event_notify(event="accepted" if accept else "returned", obj=locked, by=by, reason=reason,
                     units=[locked.member_unit_id] if locked.member_unit_id else [],
                     reporting_units=[locked.reporting_unit_id] if locked.reporting_unit_id else [])
    obligation.refresh_from_db()
    return obligation


def obligation_press(*, obligation: Obligation, by, note: str = ""):
    """催办: the office (or convener) presses an obligor now, by every channel. Returns the
    `reminders.PressResult` (who was reached on which channel); Conflict within the cool-down."""
    from .reminders import reminder_press

    if not (by.has_perm("members.oversee") or by.is_superuser):
        raise NotAllowed("只有召集人、副召集人和联席会议办公室可以催办。")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if locked.status not in Obligation.OWED:
            raise Conflict("该报送任务已报送，无需催办。")
        sent = reminder_press(subject=f"obligation:{locked.pk}", by=by)
        if sent is None:
            raise Conflict("该报送任务已不需报送，无需催办。")
        audit_record(actor=by, action="obligation.press", obj=locked, reason=note[:500],
                     changes={"messages": sent.rows, "reached": sent.reached})
    return sent


def subject_press(*, subject: str, by):
    """催办 for a subject of another registered source (e.g. a supervised item)."""
    from .models import Message
    from .reminders import reminder_press

    if not (by.has_perm("members.oversee") or by.is_superuser):
        raise NotAllowed("只有召集人、副召集人和联席会议办公室可以催办。")
    with transaction.atomic():
        sent = reminder_press(subject=subject, by=by)
        if sent is None:
            raise Conflict("该事项已办结或不存在，无需催办。")
        first = Message.objects.filter(subject=subject, kind__startswith="press:").order_by("-id").first()
        if first is not None:
            audit_record(actor=by, action="subject.press", obj=first, reason=subject,
                         changes={"messages": sent.rows, "reached": sent.reached})
    return sent


def rules_loaded_receiver(sender, *, mechanism, spec, by=None, **kwargs):
    rules_load(mechanism=mechanism, spec=spec, by=by)



# --- 我的通知 -----------------------------------------------------------------------------------------
# Read marks are the reader's own bookkeeping, like last_login: not audited.


def notification_read(*, message, by) -> None:
    """Mark one of `by`'s in-app notifications read (someone else's raises NotAllowed; views answer 404)."""
    from .models import Message

    if message.recipient_id != by.pk or message.channel != Message.INAPP:
        raise NotAllowed("只能处理自己的通知。")
    Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())


def notifications_read_all(*, by, kind: str = "") -> int:
    """Mark all of `by`'s unread in-app notifications (of one kind, if given) read; returns how many."""
    from .selectors import notifications_for

    return notifications_for(by, kind=kind, unread_only=True).update(read_at=timezone.now())
