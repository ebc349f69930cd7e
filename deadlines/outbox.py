"""Sending what the outbox holds, exactly once per row.

    claim  — in one short transaction, lock the row with select_for_update(skip_locked=True), check it
             is still due (pending, or a 'sending' row whose lease ran out because its worker died),
             mark it 'sending' with a lease and one more attempt; commit.
    send   — outside any transaction, hand it to the channel (SMTP, SMS provider).
    finish — mark 'sent' with the provider's receipt id, only if our claim still holds (same attempt).

A second worker, a second sweep or a redelivered Celery task finds the row locked, sent or leased
and does nothing. The one window that cannot be closed from our side is a crash after the provider
accepted the message and before 'finish' commits: the row is then retried after its lease, so a
message may, in that rare case, go out twice — never zero times. E-mails carry a stable Message-ID
and SMS an OutId equal to the outbox key so a duplicate can be recognised downstream."""

import logging
from datetime import timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import conf
from .models import Message
from .reminders import quiet_until
from .sms import sms_backend

log = logging.getLogger(__name__)


def backoff(attempts: int) -> int:
    """Seconds before attempt n+1: 1, 2, 4 … minutes, capped at 1 h (< the broker's visibility timeout)."""
    return min(60 * 2 ** max(attempts - 1, 0), 3600)


def due_ids(*, now=None, limit: int = 5000) -> list[int]:
    now = now or timezone.now()
    return list(Message.objects.filter(
        Q(status=Message.PENDING, next_attempt_at__lte=now) | Q(status=Message.SENDING, lease_until__lt=now)
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def message_claim(*, message_id: int, now=None) -> Message | None:
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the message row only (of=self): a join would also lock the recipient's user row, and a
        # sign-in updating last_login would then make the claim skip the message.
        m = (Message.objects.select_for_update(skip_locked=True, of=("self",)).select_related("recipient")
             .filter(pk=message_id)
             .filter(Q(status=Message.PENDING, next_attempt_at__lte=now) | Q(status=Message.SENDING, lease_until__lt=now))
             .first())
        if m is None:
            return None
        if m.channel == Message.SMS and (later := quiet_until(now)):
            Message.objects.filter(pk=m.pk).update(status=Message.PENDING, next_attempt_at=later, lease_until=None)
            return None
        m.status, m.attempts = Message.SENDING, m.attempts + 1
        m.lease_until = now + timedelta(seconds=conf.lease_seconds())
        m.save(update_fields=["status", "attempts", "lease_until"])
    return m


def _email_connection():
    url = conf.email_url()
    if not url:
        return get_connection(timeout=conf.send_timeout())
    import environ

    cfg = environ.Env.email_url_config(url)
    return get_connection(cfg["EMAIL_BACKEND"], host=cfg.get("EMAIL_HOST"), port=cfg.get("EMAIL_PORT"),
                          username=cfg.get("EMAIL_HOST_USER") or None, password=cfg.get("EMAIL_HOST_PASSWORD") or None,
                          use_tls=cfg.get("EMAIL_USE_TLS", False), use_ssl=cfg.get("EMAIL_USE_SSL", False),
                          timeout=conf.send_timeout())


def _send(m: Message) -> str:
    key = f"{m.subject}/{m.kind}/{m.recipient_id}/{m.channel}/{m.period}"
    if m.channel == Message.EMAIL:
        mail = EmailMessage(subject=m.title, body=m.body + (f"\n\n{conf.site_url()}{m.url}" if m.url else ""),
                            to=[m.address], connection=_email_connection(),
                            headers={"Message-ID": f"<outbox-{m.pk}@joint-meeting>", "X-Outbox-Key": key})
        mail.send(fail_silently=False)
        return f"outbox-{m.pk}"
    if m.channel == Message.SMS:
        return sms_backend().send(mobile=m.address, text=m.body, out_id=f"outbox-{m.pk}")
    return ""


def message_deliver(*, message_id: int, now=None) -> str:
    """Claim, send, finish. Returns "sent", "skipped" (someone else has it or it is done), or raises
    `DeliveryFailed` with the retry delay after recording the failure."""
    m = message_claim(message_id=message_id, now=now)
    if m is None:
        return "skipped"
    try:
        receipt = _send(m)
    except Exception as exc:  # noqa: BLE001 — any failure is recorded and retried, never lost
        failed_for_good = m.attempts >= conf.max_attempts()
        delay = backoff(m.attempts)
        Message.objects.filter(pk=m.pk, status=Message.SENDING, attempts=m.attempts).update(
            status=Message.FAILED if failed_for_good else Message.PENDING,
            next_attempt_at=None if failed_for_good else timezone.now() + timedelta(seconds=delay),
            lease_until=None, last_error=f"第 {m.attempts} 次：{exc}"[:2000])
        log.warning("outbox %s attempt %s failed: %s", m.pk, m.attempts, exc)
        if failed_for_good:
            return "failed"
        raise DeliveryFailed(delay) from exc
    Message.objects.filter(pk=m.pk, status=Message.SENDING, attempts=m.attempts).update(
        status=Message.SENT, sent_at=timezone.now(), provider_id=receipt[:100], lease_until=None, last_error="")
    return "sent"


def message_retry(*, message, by) -> None:
    """The office sends a failed message again (from the delivery log)."""
    from core.services import audit_record

    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=Message.FAILED).update(
            status=Message.PENDING, next_attempt_at=timezone.now(), attempts=0)
        if updated:
            audit_record(actor=by, action="message.retry", obj=message, reason="重新发送")
            from .reminders import _dispatch_soon

            transaction.on_commit(_dispatch_soon)


class DeliveryFailed(Exception):
    def __init__(self, delay: int):
        super().__init__(f"retry in {delay}s")
        self.delay = delay
