"""Celery tasks: thin, take ids, safe to run twice (see deadlines/outbox.py for why).

Follow-up tasks go to the queue their parent came from, so a deployment (or a test) that routes
the deadlines tasks to its own queue keeps them there."""

from celery import shared_task
from django.utils import timezone

from . import outbox, reminders
from .services import obligations as obligation_services


def _same_queue(task) -> dict:
    info = getattr(task.request, "delivery_info", None) or {}
    queue = info.get("routing_key")
    return {"queue": queue} if queue and not task.request.is_eager else {}


@shared_task(acks_late=True)
def obligations_generate():
    """Beat, nightly: create the obligations due in the coming months (idempotent)."""
    return obligation_services.obligations_generate().created


@shared_task(bind=True, acks_late=True)
def reminders_sweep(self, day: str | None = None):
    """Beat, each working morning: plan today's reminders, then send what is due. `day`
    (YYYY-MM-DD) replays a day the sweep missed (e.g. after an outage); planning it twice is harmless."""
    from datetime import date

    written = reminders.reminders_plan(today=date.fromisoformat(day) if day else None)
    outbox_dispatch.apply_async(**_same_queue(self))
    return written


@shared_task(bind=True, acks_late=True)
def outbox_dispatch(self):
    """Beat, every minute, and after every write to the outbox: queue drain tasks for the channels
    that have due rows — one per batch, at most DEADLINES_DRAIN_PARALLEL per channel. Rows themselves
    are never queued (a drain claims them from the table), so a row cannot be queued twice."""
    from math import ceil

    from . import conf

    options = _same_queue(self)
    counts = outbox.due_counts(now=timezone.now())
    queued = 0
    for channel, n in counts.items():
        for _ in range(min(ceil(n / conf.batch_size(channel)), conf.drain_parallel())):
            outbox_drain.apply_async((channel,), **options)
            queued += 1
    return queued


@shared_task(bind=True, acks_late=True)
def outbox_drain(self, channel: str):
    """Claim and send batches of one channel over one connection each, until nothing is due; hands
    over to a fresh task when its time budget is spent. Safe to run twice (claims skip locked rows)."""
    result = outbox.channel_drain(channel=channel)
    if result["more"] and not self.request.is_eager:
        outbox_drain.apply_async((channel,), **_same_queue(self))
    return result["sent"]


@shared_task(bind=True, acks_late=True, max_retries=8)
def message_send(self, message_id: int):
    """Send one row now (kept for callers that name a row); the drains do the bulk of the work."""
    try:
        return outbox.message_deliver(message_id=message_id)
    except outbox.DeliveryFailed:
        return "retry-later"  # the row is back to 'pending' with its next attempt time; a dispatch sends it
