"""Celery tasks of `meetings`: thin, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def regular_meetings_generate():
    """Beat, nightly: create the regular meetings (例会) the mechanism's rule plans within its notice
    period and ask the units for agenda items (idempotent: one meeting per period)."""
    from .services.meetings import regular_meetings_generate as generate

    return [m.pk for m in generate()]
