"""Celery tasks: thin, take ids, safe to run twice (see deadlines/outbox.py for why).

Follow-up tasks go to the queue their parent came from, so a deployment (or a test) that routes
the deadlines tasks to its own queue keeps them there."""

from celery import shared_task
from django.utils import timezone

from . import outbox, reminders, services


def _same_queue(task) -> dict:
    info = getattr(task.request, "delivery_info", None) or {}
    queue = info.get("routing_key")
    return {"queue": queue} if queue and not task.request.is_eager else {}


@shared_task(acks_late=True)
def obligations_generate():
    """Beat, nightly: create the obligations due in the coming months (idempotent)."""
    return services.obligations_generate().created


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
    """Beat, every minute: enqueue one send per due outbox row. Enqueuing twice is harmless."""
    ids = outbox.due_ids(now=timezone.now())
    options = _same_queue(self)
    for message_id in ids:
        message_send.apply_async((message_id,), **options)
    return len(ids)


@shared_task(bind=True, acks_late=True, max_retries=8)
def message_send(self, message_id: int):
    try:
        return outbox.message_deliver(message_id=message_id)
    except outbox.DeliveryFailed as exc:
        if self.request.is_eager:
            return "retry-later"  # the row waits for its next attempt; the minute sweep will send it
        # The row is already back to 'pending' with its next attempt time; the minute sweep would
        # pick it up too — the claim makes the two paths harmless together.
        raise self.retry(countdown=exc.delay, exc=exc) from None
