"""Sending what the outbox holds, exactly once per row, in batches per channel.

    claim  — in one short transaction, lock up to a batch of due rows of one channel with
             select_for_update(skip_locked=True) (pending and due, or 'sending' rows whose lease ran
             out because their worker died), mark them 'sending' with one lease for the batch (the
             lease token) and one more attempt; commit.
    send   — outside any transaction, over ONE connection for the batch (one SMTP session, one SMS
             client, one HTTP session for the robots; a robot's rows are joined into one post).
    finish — right after the provider accepts each message, mark its row 'sent' with the receipt, only
             if our claim still holds (same lease token).

A second worker, a second dispatch or a redelivered Celery task finds the rows locked, sent or leased
and does nothing. Rows are never queued one task each: drain tasks claim batches straight from the
table, so a row is "queued" exactly once — by being due.

Failures are of two kinds. A *channel* failure (the mail server, the SMS provider or a robot does not
answer, refuses our credentials or signature, or throttles) marks the channel down at once (the office
sees it on 发送记录), hands the batch back without using up its attempts, and lets one batch probe the
channel after 15 s, 30 s … at most 5 minutes: messages wait and go out by themselves when it is back.
A *message* failure (a refused address or content) counts as an attempt, with backoff, and after
DEADLINES_MAX_ATTEMPTS the row is 'failed' for the office to correct and retry.

The one window that cannot be closed from our side is a crash after the provider accepted a message
and before its row is marked: the row is claimed again when its lease runs out and may go out twice
(never zero times). Each row is marked as soon as its own send returns, so the window is one message
wide; such re-claims are counted (`Message.reclaimed`) and shown on 发送记录. E-mails carry a stable
Message-ID and SMS an OutId equal to the outbox key so a duplicate can be recognised downstream."""

import logging
import smtplib
from datetime import timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import conf, robots
from .models import ChannelState, Message
from .reminders import _dispatch_soon, quiet_until
from .sms import BATCH_LIMIT, SmsUnavailable, sms_backend

log = logging.getLogger(__name__)

SENDABLE = (Message.EMAIL, Message.SMS, Message.WECOM, Message.DINGTALK)
CHANNEL_LABELS = {
    Message.EMAIL: "电子邮件",
    Message.SMS: "短信",
    Message.WECOM: "企业微信群",
    Message.DINGTALK: "钉钉群",
}


class ChannelDown(Exception):
    """The channel, not the message, failed: the batch waits for the channel to come back."""


class Throttled(Exception):
    def __init__(self, delay: int, message: str):
        super().__init__(message)
        self.delay = delay


class DeliveryFailed(Exception):
    def __init__(self, delay: int):
        super().__init__(f"retry in {delay}s")
        self.delay = delay


def backoff(attempts: int) -> int:
    """Seconds before attempt n+1: 1, 2, 4 … minutes, capped at 1 h (< the broker's visibility timeout)."""
    return min(60 * 2 ** max(attempts - 1, 0), 3600)


def _due(now) -> Q:
    return Q(status=Message.PENDING, next_attempt_at__lte=now) | Q(status=Message.SENDING, lease_until__lt=now)


def due_ids(*, now=None, limit: int = 5000) -> list[int]:
    now = now or timezone.now()
    return list(Message.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def due_counts(*, now=None) -> dict[str, int]:
    """Due rows per sendable channel (one indexed query)."""
    now = now or timezone.now()
    rows = (
        Message.objects.filter(channel__in=SENDABLE)
        .filter(_due(now))
        .values("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    return dict(rows)


def state_key(m: Message) -> str:
    return f"{m.channel}:{m.robot_id}" if m.channel in Message.ROBOT_CHANNELS else m.channel


def _state_label(m: Message) -> str:
    if m.channel in Message.ROBOT_CHANNELS:
        return f"{m.robot}{CHANNEL_LABELS[m.channel]}机器人"
    return CHANNEL_LABELS.get(m.channel, m.channel)


def _lease(now, n: int):
    return now + timedelta(seconds=conf.lease_seconds() + conf.lease_per_message() * n)


def batch_claim(*, channel: str, now=None, limit: int | None = None, ids=None) -> list[Message]:
    """Claim up to `limit` due rows of one channel (or exactly the rows `ids`, if still due)."""
    now = now or timezone.now()
    limit = limit or conf.batch_size(channel)
    with transaction.atomic():
        if channel in (Message.EMAIL, Message.SMS):
            state = ChannelState.objects.filter(key=channel, down_since__isnull=False, retry_at__gt=now).first()
            if state is not None:
                return []  # down: nothing is tried before the next probe
        quiet = channel == Message.SMS and quiet_until(now)
        if quiet:
            # Held until morning — except verification codes, which the person asked for just now.
            held = Message.objects.filter(channel=Message.SMS).filter(_due(now)).exclude(kind__startswith="code:")
            if ids is not None:
                held = held.filter(pk__in=ids)
            held.update(status=Message.PENDING, next_attempt_at=quiet, lease_until=None)
        qs = Message.objects.select_for_update(skip_locked=True, of=("self",)).filter(channel=channel).filter(_due(now))
        if quiet:
            qs = qs.filter(kind__startswith="code:")
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if channel in Message.ROBOT_CHANNELS:
            down = [
                int(k.split(":")[1])
                for k in ChannelState.objects.filter(
                    key__startswith=f"{channel}:", down_since__isnull=False, retry_at__gt=now
                ).values_list("key", flat=True)
            ]
            if down:
                qs = qs.exclude(robot_id__in=down)
            qs = qs.select_related("robot__unit")
        else:
            qs = qs.select_related("recipient")
        rows = list(qs.order_by("next_attempt_at", "id")[:limit])
        if not rows:
            return []
        lease = _lease(now, len(rows))
        # One statement for the batch; a 'sending' row found again lost its worker mid-send: the
        # provider may have it already (counted as the duplicate window).
        Message.objects.filter(pk__in=[m.pk for m in rows]).update(
            status=Message.SENDING,
            attempts=F("attempts") + 1,
            lease_until=lease,
            reclaimed=F("reclaimed") + Case(When(status=Message.SENDING, then=Value(1)), default=Value(0)),
        )
        for m in rows:
            if m.status == Message.SENDING:
                m.reclaimed += 1
            m.status, m.attempts, m.lease_until = Message.SENDING, m.attempts + 1, lease
    return rows


def message_claim(*, message_id: int, now=None) -> Message | None:
    m = Message.objects.filter(pk=message_id).only("channel").first()
    if m is None or m.channel not in SENDABLE:
        return None
    rows = batch_claim(channel=m.channel, now=now, ids=[message_id], limit=1)
    return rows[0] if rows else None


# ---- finishing -------------------------------------------------------------------------------


def _finish(rows: list[Message], receipt: str) -> None:
    _finish_many([(m, receipt) for m in rows])


def _finish_many(done: list[tuple[Message, str]]) -> None:
    """Mark rows sent, with their receipts, in one statement — only where our claim (lease token) holds."""
    if not done:
        return
    receipts = {m.pk: receipt[:100] for m, receipt in done}
    if all(r == f"outbox-{pk}" for pk, r in receipts.items()):  # e-mail: the receipt is the row's own key
        provider_id = Concat(Value("outbox-"), Cast("id", CharField()), output_field=CharField())
    elif len(set(receipts.values())) == 1:
        provider_id = Value(next(iter(receipts.values())))
    else:
        provider_id = Case(*[When(pk=pk, then=Value(r)) for pk, r in receipts.items()], output_field=CharField())
    Message.objects.filter(pk__in=list(receipts), status=Message.SENDING, lease_until=done[0][0].lease_until).update(
        status=Message.SENT, sent_at=timezone.now(), provider_id=provider_id, lease_until=None, last_error=""
    )


class _Finisher:
    """Marks sent rows in small groups: after `every` messages or `seconds`, whichever comes first, and
    before anything else touches the batch. The group size is the duplicate window's width."""

    def __init__(self):
        import time

        self.clock = time.monotonic
        self.every, self.seconds = conf.finish_every(), 0.5
        self.pending: list = []
        self.since = self.clock()

    def add(self, m, receipt):
        self.pending.append((m, receipt))
        if len(self.pending) >= self.every or self.clock() - self.since > self.seconds:
            self.flush()

    def flush(self):
        _finish_many(self.pending)
        self.pending, self.since = [], self.clock()


def _fail(m: Message, exc: Exception) -> str:
    """A message-level failure: one attempt used; after the last one the row is 'failed'."""
    failed_for_good = m.attempts >= conf.max_attempts()
    delay = backoff(m.attempts)
    Message.objects.filter(pk=m.pk, status=Message.SENDING, lease_until=m.lease_until).update(
        status=Message.FAILED if failed_for_good else Message.PENDING,
        next_attempt_at=None if failed_for_good else timezone.now() + timedelta(seconds=delay),
        lease_until=None,
        last_error=f"第 {m.attempts} 次：{exc}"[:2000],
    )
    log.warning("outbox %s attempt %s failed: %s", m.pk, m.attempts, exc)
    return "failed" if failed_for_good else f"retry:{delay}"


def _release(rows: list[Message], *, until, error: str) -> None:
    """Hand rows back without using an attempt: they wait for their channel (or robot) until `until`."""
    for m in rows:
        Message.objects.filter(pk=m.pk, status=Message.SENDING, lease_until=m.lease_until).update(
            status=Message.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=until,
            lease_until=None,
            last_error=error[:2000],
        )


def channel_down(*, key: str, label: str, error: str, now=None) -> ChannelState:
    """Record a channel failure: down from the first one, with the next probe time."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = ChannelState.objects.select_for_update().get_or_create(key=key, defaults={"label": label})
        state.failures += 1
        state.down_since = state.down_since or now
        state.retry_at = now + timedelta(seconds=conf.probe_seconds(state.failures))
        state.label, state.last_error = label, error[:2000]
        state.save()
    log.warning("channel %s down (%s failures): %s", key, state.failures, error)
    return state


def channel_up(*, key: str, label: str, now=None) -> None:
    now = now or timezone.now()
    updated = ChannelState.objects.filter(key=key).update(
        down_since=None, retry_at=None, failures=0, last_ok_at=now, label=label
    )
    if not updated:
        ChannelState.objects.get_or_create(key=key, defaults={"label": label, "last_ok_at": now})


# ---- sending ---------------------------------------------------------------------------------


def _email_connection():
    url = conf.email_url()
    if not url:
        return get_connection(timeout=conf.send_timeout())
    import environ

    cfg = environ.Env.email_url_config(url)
    return get_connection(
        cfg["EMAIL_BACKEND"],
        host=cfg.get("EMAIL_HOST"),
        port=cfg.get("EMAIL_PORT"),
        username=cfg.get("EMAIL_HOST_USER") or None,
        password=cfg.get("EMAIL_HOST_PASSWORD") or None,
        use_tls=cfg.get("EMAIL_USE_TLS", False),
        use_ssl=cfg.get("EMAIL_USE_SSL", False),
        timeout=conf.send_timeout(),
    )


def _header_safe(text: str) -> str:
    return " ".join(text.split())[:200]


def _mail(m: Message, connection) -> EmailMessage:
    key = f"{m.subject}/{m.kind}/{m.recipient_id}/{m.channel}/{m.period}"
    return EmailMessage(
        subject=_header_safe(m.title),
        body=m.body + (f"\n\n{conf.site_url()}{m.url}" if m.url else ""),
        to=[m.address],
        connection=connection,
        headers={"Message-ID": f"<outbox-{m.pk}@joint-meeting>", "X-Outbox-Key": _header_safe(key)},
    )


def _smtp_channel_error(exc: Exception) -> bool:
    """True when the mail server (not this message) is the problem."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500 or isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError))
    return isinstance(exc, (OSError, smtplib.SMTPException))


class _Outcome:
    def __init__(self):
        self.sent = self.failed = self.waiting = 0
        self.retry_delay = None
        self.final = ""


def _send_email(rows, out: _Outcome):
    connection = _email_connection()
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001
        raise ChannelDown(f"邮件服务器无法连接：{exc}") from exc
    finisher = _Finisher()
    try:
        for i, m in enumerate(rows):
            try:
                connection.send_messages([_mail(m, connection)])
            except Exception as exc:  # noqa: BLE001
                finisher.flush()
                if _smtp_channel_error(exc):
                    exc.rest = rows[i:]
                    raise
                _note_fail(m, exc, out)
                continue
            finisher.add(m, f"outbox-{m.pk}")
            out.sent += 1
    finally:
        finisher.flush()
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 — the session is over either way
            pass


def _send_sms(rows, out: _Outcome):
    backend = sms_backend()  # one client for the batch
    if len(rows) > 1 and hasattr(backend, "send_batch"):
        singles = []
        for start in range(0, len(rows), BATCH_LIMIT):
            chunk = rows[start : start + BATCH_LIMIT]
            try:
                receipt = backend.send_batch([(m.address, m.body, f"outbox-{m.pk}") for m in chunk])
            except SmsUnavailable as exc:
                exc.rest = rows[start:]
                raise
            except Exception:  # noqa: BLE001 — one message spoiled the call: send them one by one
                singles += chunk
                continue
            _finish(chunk, receipt)
            out.sent += len(chunk)
        rows = singles
    finisher = _Finisher()
    try:
        for i, m in enumerate(rows):
            try:
                receipt = backend.send(mobile=m.address, text=m.body, out_id=f"outbox-{m.pk}")
            except SmsUnavailable as exc:
                finisher.flush()
                exc.rest = rows[i:]
                raise
            except Exception as exc:  # noqa: BLE001
                finisher.flush()
                _note_fail(m, exc, out)
                continue
            finisher.add(m, receipt)
            out.sent += 1
    finally:
        finisher.flush()


def _robot_posts_this_minute(m: Message, now) -> int:
    return (
        Message.objects.filter(
            robot_id=m.robot_id, channel=m.channel, status=Message.SENT, sent_at__gte=now - timedelta(seconds=60)
        )
        .values("provider_id")
        .distinct()
        .count()
    )


def _send_robot(rows, out: _Outcome, *, now):
    from members.secrets import secret_open

    by_robot: dict = {}
    for m in rows:
        by_robot.setdefault(m.robot_id, []).append(m)
    http = robots.session()
    try:
        for robot_rows in by_robot.values():
            first = robot_rows[0]
            robot, channel = first.robot, first.channel
            label = _state_label(first)
            if not (robot.has_wecom if channel == Message.WECOM else robot.has_dingtalk):
                for m in robot_rows:  # the office removed this robot: nothing to send it to
                    _note_fail(m, robots.Rejected(f"{label}已被移除，请在联系可达性中重新设置"), out)
                continue
            room = conf.robot_per_minute() - _robot_posts_this_minute(first, now)
            posts = robots.combine(robot_rows)
            if room < len(posts):  # the rest waits for the next minute: never over the robot's limit
                waiting = [m for post in posts[max(room, 0) :] for m in post]
                _release(waiting, until=now + timedelta(seconds=60), error="本分钟已达群机器人发送上限，稍后发送")
                out.waiting += len(waiting)
                posts = posts[: max(room, 0)]
            answered = False
            keys = (
                (secret_open(robot.wecom_key),)
                if channel == Message.WECOM
                else (secret_open(robot.dingtalk_token), secret_open(robot.dingtalk_secret))
            )
            for j, post in enumerate(posts):
                text = robots.joined_text(post)
                mentions = _mentions(post, channel)
                rest = [m for p in posts[j:] for m in p]
                try:
                    if channel == Message.WECOM:
                        receipt = robots.wecom_send(http, key=keys[0], text=text, mention_userids=mentions)
                    else:
                        receipt = robots.dingtalk_send(
                            http, token=keys[0], secret=keys[1], text=text, mention_userids=mentions
                        )
                except robots.Throttled as exc:
                    until = timezone.now() + timedelta(seconds=exc.delay)
                    _release(rest, until=until, error=str(exc))
                    Message.objects.filter(
                        robot_id=robot.pk, channel=channel, status=Message.PENDING, next_attempt_at__lt=until
                    ).update(next_attempt_at=until)
                    out.waiting += len(rest)
                    break
                except robots.ChannelDown as exc:
                    state = channel_down(key=state_key(first), label=label, error=str(exc))
                    _release(rest, until=state.retry_at, error=f"{label}不可用，恢复后自动发送：{exc}")
                    out.waiting += len(rest)
                    answered = False  # it stays down until a later probe succeeds
                    break
                except Exception as exc:  # noqa: BLE001 — refused content: each row uses an attempt
                    for m in post:
                        _note_fail(m, exc, out)
                    continue
                _finish(post, f"{receipt}-{post[0].pk}")
                out.sent += len(post)
                answered = True
            if answered:
                channel_up(key=state_key(first), label=label)
    finally:
        http.close()


def _mentions(post, channel) -> list[str]:
    """Urgent group messages @ the people they are about (their WeCom/DingTalk ids, if known)."""
    ids = []
    for m in post:
        for uid in (m.address or "").split(","):
            if uid and uid not in ids:
                ids.append(uid)
    return ids


def _note_fail(m, exc, out: _Outcome):
    result = _fail(m, exc)
    if result == "failed":
        out.failed += 1
        out.final = "failed"
    else:
        out.retry_delay = int(result.split(":")[1])


def batch_send(rows: list[Message], *, now=None) -> _Outcome:
    """Send claimed rows of one channel. Never raises for a send failure: every row ends sent, back
    to pending (with or without an attempt used) or failed."""
    now = now or timezone.now()
    out = _Outcome()
    if not rows:
        return out
    channel = rows[0].channel
    try:
        if channel == Message.EMAIL:
            _send_email(rows, out)
        elif channel == Message.SMS:
            _send_sms(rows, out)
        elif channel in Message.ROBOT_CHANNELS:
            _send_robot(rows, out, now=now)
            return out
        else:
            _finish(rows, "")
            out.sent += len(rows)
            return out
    except Exception as exc:  # noqa: BLE001 — the channel failed: the rest of the batch waits
        rest = getattr(exc, "rest", None) or rows  # _release skips rows already finished
        label = CHANNEL_LABELS[channel]
        state = channel_down(key=channel, label=label, error=f"{exc}")
        _release(rest, until=state.retry_at, error=f"{label}暂时不可用，恢复后自动发送：{exc}")
        out.waiting += len(rest)
        return out
    if out.sent or out.failed or out.retry_delay is not None:  # the provider answered: the channel is up
        channel_up(key=channel, label=CHANNEL_LABELS[channel])
    return out


def channel_drain(*, channel: str, budget_seconds: float | None = None) -> dict:
    """Claim and send batches of one channel until none is due (or the time budget is spent).
    Returns {"sent": n, "more": bool} — more=True when the budget ran out with rows still due."""
    import time

    budget = conf.drain_seconds() if budget_seconds is None else budget_seconds
    start, sent = time.monotonic(), 0
    while True:
        rows = batch_claim(channel=channel)
        if not rows:
            return {"sent": sent, "more": False}
        out = batch_send(rows)
        sent += out.sent
        if out.waiting and not out.sent:
            return {"sent": sent, "more": False}  # the channel is down or throttled: the dispatch comes back
        if time.monotonic() - start > budget:
            return {"sent": sent, "more": True}


def message_deliver(*, message_id: int, now=None) -> str:
    """Claim, send, finish one row. Returns "sent", "skipped" (someone else has it, it is done, or its
    channel is down), "waiting" (its channel failed now: it waits for it), "failed", or raises
    `DeliveryFailed` with the retry delay after recording a message-level failure."""
    m = message_claim(message_id=message_id, now=now)
    if m is None:
        return "skipped"
    out = batch_send([m], now=now)
    if out.sent:
        return "sent"
    if out.final == "failed":
        return "failed"
    if out.retry_delay is not None:
        raise DeliveryFailed(out.retry_delay)
    return "waiting"


def message_retry(*, message, by) -> None:
    """The office sends a failed message again (from the delivery log)."""
    messages_retry(ids=[message.pk], by=by)


def messages_retry(*, by, ids=None, channel: str = "") -> int:
    """Send failed messages again, in bulk (all failed, or those of one channel, or the given ids).
    One audit row per message; returns how many were re-queued."""
    from core.services import audit_record

    with transaction.atomic():
        qs = Message.objects.select_for_update().filter(status=Message.FAILED).exclude(channel=Message.INAPP)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if channel:
            qs = qs.filter(channel=channel)
        rows = list(qs)
        for m in rows:
            audit_record(
                actor=by,
                action="message.retry",
                obj=m,
                reason="重新发送",
                changes={"status": ["failed", "pending"], "attempts": [m.attempts, 0]},
            )
        Message.objects.filter(pk__in=[m.pk for m in rows]).update(
            status=Message.PENDING, next_attempt_at=timezone.now(), attempts=0, lease_until=None
        )
        if rows:
            transaction.on_commit(_dispatch_soon)
    return len(rows)
