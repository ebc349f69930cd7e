"""The reminder engine: a generic piece that works on what it is given.

Anything with a due day can be reminded about by registering a *source* — an object with

    name: str                                  # "obligation", "item", …
    def owed(self, *, until: date, mechanism_ids) -> Iterable[Reminder]
        # everything still owed whose due day is on or before `until`, of these mechanisms only
        # (use an index on the due day)
    def get(self, subject: str, *, mechanism_ids) -> Reminder | None
        # one subject by its key ("item:12"), for 催办; None if it no longer exists, is done, or
        # belongs to another mechanism

and, for the 逾期督办 page to stay bounded at national scale, two optional reads (a source without
them is read through `owed()`, every row):

    def overdue_units(self, *, until: date, mechanism_ids) -> Iterable[tuple[str, int, date]]
        # (unit key "mu:<id>" / "ru:<id>", how many, the oldest due day) of what is owed by `until`
    def overdue_page(self, *, until: date, mechanism_ids, unit: str, after: Cursor | None, limit: int)
        # up to `limit` Reminders (recipients not needed) of one unit key ("" for all), in
        # (due day, source name, id) order after the cursor: one query on an index

and calling `register_source(source)` from the app's `AppConfig.ready()`. The deadlines app
registers its own obligations this way; the `tasks` app registers its supervised items the same way
(deadlines never imports tasks). See docs/deadlines.md."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from hashlib import sha1

from django.db import connection, transaction
from django.utils import timezone

from core.queue import enqueue
from members.contacts import (
    contact_address as _address,
    contact_of as _contact,
    contacts_prefetch as _prefetch_contacts,
)
from members.selectors import mechanism_deployed, mechanism_id_current

from . import conf
from .calendar import add_working_days, is_working_day, working_days_between
from .ladder import DEFAULT, Ladder
from .models import Message
from .schedules import DEFAULT_REMINDERS

_sources: dict[str, object] = {}
MAX_LEAD_WORKING_DAYS = 30  # the earliest "before" reminder a policy may ask for (schedules checks it)


def register_source(source) -> None:
    """Plug a kind of subject into the engine (idempotent: re-registering replaces)."""
    _sources[source.name] = source


def unregister_source(name: str) -> None:
    _sources.pop(name, None)


def sources() -> list:
    return list(_sources.values())


def source_for(subject: str):
    return _sources.get(subject.split(":", 1)[0])


@dataclass
class Reminder:
    subject: str  # "<source name>:<id>" — part of every outbox key
    title: str  # "省民政厅 · 2024年第3季度季度工作情况"
    due_on: date
    unit_label: str
    recipients: list  # users who owe it (liaisons, the prefecture's users, …)
    escalate_to: list = field(default_factory=list)  # convener and deputy
    url: str = ""
    policy: dict = field(default_factory=lambda: dict(DEFAULT_REMINDERS))
    ladder: Ladder = DEFAULT
    unit_key: str = ""  # "mu:<member unit id>" / "ru:<reporting unit id>": the board's drill-down


@dataclass(frozen=True)
class Cursor:
    """Where a page of the overdue board ends: (due day, source name, id), the board's order."""

    due_on: date
    source: str
    pk: int

    def __str__(self):
        return f"{self.due_on.isoformat()}.{self.source}.{self.pk}"

    @classmethod
    def parse(cls, text: str):
        """The cursor from a link, or None for anything else (a hand-edited link starts over)."""
        try:
            day, source, pk = (text or "").split(".")
            return cls(date.fromisoformat(day), source, int(pk)) if source.isidentifier() and pk.isdigit() else None
        except ValueError:
            return None

    def after_q(self, name: str, due_field: str):
        """The rows of source `name` after this cursor, as a filter on its due day and id."""
        from django.db.models import Q

        if name > self.source:
            return Q(**{f"{due_field}__gte": self.due_on})
        if name < self.source:
            return Q(**{f"{due_field}__gt": self.due_on})
        return Q(**{f"{due_field}__gt": self.due_on}) | Q(**{due_field: self.due_on, "pk__gt": self.pk})


def unit_key_parse(text: str):
    """("mu", id) or ("ru", id) from "mu:3" / "ru:4"; None for anything else."""
    kind, _, pk = (text or "").partition(":")
    return (kind, int(pk)) if kind in ("mu", "ru") and pk.isdigit() and len(pk) < 12 else None


def kinds_for(*, due_on: date, today: date, policy: dict) -> list[str]:
    """Which reminders a subject due on `due_on` gets today (a working day)."""
    kinds = []
    if today < due_on:
        left = working_days_between(today, due_on)
        if left in policy.get("before", ()):
            kinds.append(f"before:{left}")
    elif today == due_on:
        if policy.get("on_due", True):
            kinds.append("due")
    else:
        overdue = working_days_between(due_on, today)
        every = policy.get("after_every") or 0
        if every and overdue > 0 and overdue % every == 0:
            kinds.append(f"overdue:{overdue}")
        escalate = policy.get("escalate_after") or 0
        if escalate and overdue >= escalate:
            kinds.append("escalation")
    return kinds


def _text(r: Reminder, kind: str, today: date) -> str:
    base = kind.split(":")[0]
    if base == "before":
        return f"【临期提醒】{r.title}将于 {r.due_on:%Y-%m-%d} 截止（还有 {kind.split(':')[1]} 个工作日），请按时报送。"
    if base == "due":
        return f"【到期提醒】{r.title}今天（{r.due_on:%Y-%m-%d}）截止，请今日内报送。"
    overdue = working_days_between(r.due_on, today)
    if base == "escalation":
        return f"【逾期上报】{r.unit_label}的{r.title}已逾期 {overdue} 个工作日（截止 {r.due_on:%Y-%m-%d}）。"
    if base == "press":
        return f"【催办】联席会议办公室催办：{r.title}（截止 {r.due_on:%Y-%m-%d}），请尽快报送。"
    return f"【逾期提醒】{r.title}已逾期 {overdue} 个工作日（截止 {r.due_on:%Y-%m-%d}），请尽快报送。"


PERSONAL_CHANNELS = (Message.INAPP, Message.EMAIL, Message.SMS)


def channels_for(user, urgency: str) -> list[str]:
    """The channels `user` chose on 个人设置 for this urgency ("urgent", "normal", "info"; the default
    choice where they chose nothing), kept only where they can be reached. In-app is always included:
    the notification centre is the record of everything sent to a person."""
    from members.models import Contact

    contact = _contact(user)
    wanted = (
        contact.channels(urgency)
        if contact is not None
        else list(Contact.DEFAULT_PREFERENCES.get(urgency, [Message.INAPP]))
    )
    out = [Message.INAPP]
    for channel in wanted:
        if channel in PERSONAL_CHANNELS and channel not in out and _address(user, channel):
            out.append(channel)
    return out


OFFICE = "office"  # pass among `units` to notify_units for the office's own group


def notify_units(
    *,
    units,
    subject: str,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    period: str = "",
    urgency: str = "normal",
    now: datetime | None = None,
) -> int:
    """Post a unit-level event into each unit's group robots (WeCom and/or DingTalk, whichever the unit
    registered) through the outbox; urgent messages @ the unit's liaisons by their WeCom/DingTalk ids.
    `units`: member units, and/or OFFICE. One row per (subject, kind, robot, channel, period): calling
    twice writes nothing new. Returns the rows written."""
    from members.models import MemberUnit, UnitContact
    from members.selectors import units_recipient_users

    now = now or timezone.now()
    period = period or now.isoformat(timespec="seconds")
    unit_ids = [u.pk for u in units if isinstance(u, MemberUnit)]
    keys = [f"mu:{pk}" for pk in unit_ids] + ([UnitContact.OFFICE] if OFFICE in units else [])
    robots_ = [
        r for r in UnitContact.objects.filter(key__in=keys).select_related("unit") if r.has_wecom or r.has_dingtalk
    ]
    if not robots_:
        return 0
    people = units_recipient_users(unit_ids) if urgency == "urgent" and unit_ids else {}
    all_people = [u for users in people.values() for u in users]
    _prefetch_contacts(all_people)
    rows = []
    for robot in robots_:
        members = people.get(robot.unit_id, []) if robot.unit_id else []
        for channel, configured, id_field in (
            (Message.WECOM, robot.has_wecom, "wecom_userid"),
            (Message.DINGTALK, robot.has_dingtalk, "dingtalk_userid"),
        ):
            if not configured:
                continue
            mentions = [getattr(c, id_field) for u in members if (c := _contact(u)) and getattr(c, id_field)]
            rows.append(
                Message(
                    subject=subject,
                    kind=kind,
                    robot=robot,
                    channel=channel,
                    period=period,
                    address=",".join(mentions)[:200],
                    title=title[:200],
                    body=body,
                    url=url,
                    next_attempt_at=now,
                )
            )
    existing = set(
        Message.objects.filter(
            subject=subject, kind=kind, period=period, robot__in=robots_, recipient__isnull=True
        ).values_list("robot_id", "channel")
    )
    new = [m for m in rows if (m.robot_id, m.channel) not in existing]
    if new:
        with transaction.atomic():
            Message.objects.bulk_create(new, ignore_conflicts=True)
        transaction.on_commit(_dispatch_soon)
    return len(new)


def quiet_until(now: datetime) -> datetime | None:
    """End of the SMS quiet hours if `now` falls in them, else None."""
    start, end = conf.quiet_hours()
    local = timezone.localtime(now)
    hour = local.hour
    in_quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not in_quiet:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=end))


def _rows_for(r: Reminder, kind: str, users, channels, now, today, *, immediate_email=False) -> list[Message]:
    text = _text(r, kind, today)
    rows = []
    period = r.due_on.isoformat()
    users = list(users)
    _prefetch_contacts(users)
    for user in users:
        for channel in channels:
            if channel == Message.EMAIL and not immediate_email:
                continue  # e-mail goes into the person's daily digest
            address = _address(user, channel)
            if channel != Message.INAPP and not address:
                continue
            row = Message(
                subject=r.subject,
                kind=kind,
                recipient=user,
                channel=channel,
                period=period,
                address=address,
                title=one_line(text.split("】")[0] + "】" + r.title),
                body=text,
                url=r.url,
            )
            if channel == Message.INAPP:
                row.status, row.sent_at, row.attempts = Message.SENT, now, 1
            elif channel == Message.SMS:
                row.next_attempt_at = quiet_until(now) or now
            else:
                row.next_attempt_at = now
            rows.append(row)
    return rows


def _digest_rows(events: dict, now, today) -> list[Message]:
    rows = []
    for user, lines in events.items():
        address = _address(user, Message.EMAIL)
        if not address:
            continue
        body = "\n".join(f"· {line}" for line in lines)
        rows.append(
            Message(
                subject="digest",
                kind="digest",
                recipient=user,
                channel=Message.EMAIL,
                period=today.isoformat(),
                address=address,
                title=f"【每日汇总】{today:%Y年%-m月%-d日} 待办与逾期提醒（{len(lines)} 项）",
                body=f"{user}，您好：\n\n今日需要关注的报送事项：\n{body}\n\n请登录 {conf.site_url()} 办理。",
                next_attempt_at=now,
            )
        )
    return rows


def mechanisms_swept() -> list[int]:
    """The mechanisms the sweep reminds about: the deployment's (settings.MECHANISM). Another
    mechanism in the same database (a second province being prepared, the national bench data) is
    not reminded until a deployment serves it (docs/decisions.md, "mechanism scope")."""
    deployed = mechanism_deployed()
    return [deployed.pk] if deployed else []


def reminders_plan(*, today: date | None = None, now: datetime | None = None, mechanism_ids=None) -> int:
    """Write today's reminders into the outbox for the deployment's mechanism (or `mechanism_ids`).
    Idempotent: run it twice, race it with itself — the unique key (subject, kind, recipient, channel,
    period) keeps one row each. Returns rows written."""
    mechanism_ids = mechanisms_swept() if mechanism_ids is None else list(mechanism_ids)
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if not is_working_day(today):
        return 0  # nobody is reminded on a holiday; every count is reached again on a working day
    rows: list[Message] = []
    digest: dict = defaultdict(list)
    # Many subjects share a due day and a policy: compute each combination's kinds once, so the
    # cost per row is a dictionary lookup, not a walk over the calendar.
    memo: dict = {}
    until = add_working_days(today, MAX_LEAD_WORKING_DAYS)
    for source in sources():
        for r in source.owed(until=until, mechanism_ids=mechanism_ids):
            key = (r.due_on, repr(sorted(r.policy.items())))
            if key not in memo:
                memo[key] = kinds_for(due_on=r.due_on, today=today, policy=r.policy)
            kinds = memo[key]
            if not kinds:
                continue
            channels = list(r.policy.get("channels", DEFAULT_REMINDERS["channels"]))
            for kind in kinds:
                users = r.escalate_to if kind == "escalation" else r.recipients
                rows += _rows_for(r, kind, users, channels, now, today)
                if Message.EMAIL in channels:
                    for user in users:
                        digest[user].append(_text(r, kind, today))
    rows += _digest_rows(digest, now, today)
    written = 0
    for i in range(0, len(rows), 1000):
        batch = rows[i : i + 1000]
        written += _insert_new(batch)
    if written:
        transaction.on_commit(_dispatch_soon)
    return written


def _key(m: Message) -> tuple:
    return (m.subject, m.kind, m.recipient_id, m.channel, m.period)


def _insert_new(batch: list[Message]) -> int:
    """Insert the rows whose key is not there yet; returns how many were new. Reads the existing
    keys through the unique index (subject first), so the cost follows the batch, not the log's
    history. ignore_conflicts still settles a race with another sweep: the key decides, not this read."""
    existing = set(
        Message.objects.filter(
            subject__in={m.subject for m in batch},
            kind__in={m.kind for m in batch},
            recipient_id__in={m.recipient_id for m in batch},
        ).values_list("subject", "kind", "recipient_id", "channel", "period")
    )
    new = [m for m in batch if _key(m) not in existing]
    if new:
        with transaction.atomic():
            Message.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@dataclass
class PressResult:
    """What one 催办 did: the obligor, who was reached on which channel, how many rows were written."""

    unit: str
    rows: int
    reached: list = field(default_factory=list)  # [(person's name, [channel labels])]

    def summary(self) -> str:
        if not self.reached:
            return f"{self.unit}无人可达：没有可接收提醒的账号，请先维护联络员账号和联系方式。"
        people = "；".join(f"{name}（{'、'.join(labels)}）" for name, labels in self.reached)
        return f"已催办{self.unit}：{people}，共 {self.rows} 条提醒。"


def reach_of(rows: list[Message]) -> list:
    """[(person, [channel labels])] of the rows written, in the order written."""
    labels = dict(Message.CHANNELS)
    out: dict = {}
    for row in rows:
        out.setdefault(str(row.recipient), []).append(str(labels[row.channel]))
    return list(out.items())


def press_cooldown_check(subject: str, now: datetime) -> None:
    """催办 at most once per subject (a unit's share of one item, one obligation) per
    `conf.press_cooldown_working_days()` working days; raises Conflict with the last press's time."""
    from core.errors import Conflict

    days = conf.press_cooldown_working_days()
    if days <= 0:
        return
    if connection.vendor == "postgresql":
        # Two presses of one subject at the same moment: the second waits for the first to commit
        # (the caller's transaction) and then sees its rows.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"press:{subject}"])
    last = (
        Message.objects.filter(subject=subject, kind__startswith="press:")
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return
    last_day, today = timezone.localdate(last), timezone.localdate(now)
    if working_days_between(last_day, today) < days:
        when = timezone.localtime(last)
        again = add_working_days(last_day, days)
        raise Conflict(
            f"已于{when:%Y年%-m月%-d日 %H:%M}催办过，同一单位的同一事项每 {days} 个工作日只催办一次，"
            f"请于{again:%Y年%-m月%-d日}后再催办。",
            code="press_cooldown",
        )


def reminder_press(*, subject: str, by, now: datetime | None = None) -> PressResult | None:
    """催办: remind the obligor now, on every channel (not in the digest), at most once per cool-down
    (`press_cooldown_check`). Returns who was reached, or None if the subject is gone or done."""
    now = now or timezone.now()
    source = source_for(subject)
    r = source.get(subject, mechanism_ids=[mechanism_id_current()]) if source else None
    if r is None:
        return None
    press_cooldown_check(subject, now)
    kind = f"press:{now:%Y%m%d%H%M%S}"
    rows = _rows_for(
        r,
        kind,
        r.recipients,
        r.policy.get("channels", DEFAULT_REMINDERS["channels"]),
        now,
        timezone.localdate(now),
        immediate_email=True,
    )
    created = Message.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(_dispatch_soon)
    return PressResult(unit=r.unit_label, rows=len(created), reached=reach_of(rows))


URGENCIES = ("urgent", "normal", "info")
_DEFAULT_CHANNELS = {
    "urgent": [Message.INAPP, Message.SMS, Message.EMAIL],
    "normal": [Message.INAPP, Message.EMAIL],
    "info": [Message.INAPP],
}


def one_line(text: str, max_length: int = 200) -> str:
    """A title safe for a mail header: line breaks (CR, LF, and Unicode line separators) become spaces."""
    return " ".join(str(text).split())[:max_length]


def notify(
    *,
    users,
    subject: str,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    period: str = "",
    channels=None,
    urgency: str = "normal",
    now: datetime | None = None,
) -> int:
    """A one-off notice (an event, a 催办) through the same outbox: one row per user and channel, in the
    caller's transaction, sent after commit. `channels` None means each user's own choice for this
    urgency (`channels_for`). The key (subject, kind, recipient, channel, period) keeps it once."""
    now = now or timezone.now()
    title = one_line(title)
    rows = []
    users = list(dict.fromkeys(users))
    _prefetch_contacts(users)
    for user in users:
        for channel in channels if channels is not None else channels_for(user, urgency):
            address = _address(user, channel)
            if channel != Message.INAPP and not address:
                continue
            row = Message(
                subject=subject,
                kind=kind,
                recipient=user,
                channel=channel,
                period=period or now.isoformat(timespec="seconds"),
                address=address,
                title=title,
                body=body,
                url=url,
            )
            if channel == Message.INAPP:
                row.status, row.sent_at, row.attempts = Message.SENT, now, 1
            else:
                row.next_attempt_at = (quiet_until(now) if channel == Message.SMS else None) or now
            rows.append(row)
    created = Message.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.channel != Message.INAPP for r in rows):
        transaction.on_commit(_dispatch_soon)
    return len(created)


def notify_addresses(
    *,
    addresses,
    subject: str,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    period: str = "",
    now: datetime | None = None,
) -> int:
    """E-mail to people without an account (invited experts, guest units), through the outbox like
    everyone else's: one row per address, no recipient, sent once after commit."""
    now = now or timezone.now()
    rows = [
        Message(
            subject=subject,
            kind=kind,
            recipient=None,
            channel=Message.EMAIL,
            period=f"{(period or f'{now:%Y%m%d%H%M%S%f}')[:21]}/{sha1(address.encode(), usedforsecurity=False).hexdigest()[:10]}",
            address=address,
            title=one_line(title),
            body=body,
            url=url,
            next_attempt_at=now,
        )
        for address in dict.fromkeys(a.strip() for a in addresses if a and a.strip())
    ]
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(_dispatch_soon)
    return len(rows)


def _dispatch_soon():
    """After a commit: ask a worker to send now. Safe when the broker is down (core.queue). The task is
    named, not imported: deadlines.tasks stands on this module."""
    enqueue("deadlines.tasks.outbox_dispatch")
