"""Enqueuing Celery work after a commit, safely: the one place a broker outage is handled.

Work handed to a worker is always written to the database first (an outbox row, an obligation); the
task only says "look now". When the broker is down at that moment, the rows are committed already and
the periodic sweeps (deadlines.tasks.outbox_dispatch, every minute) find them once it is back. So a
failed enqueue is logged and swallowed — never a 500 after the user's change was saved — and the
request that caused it tells the user the work was recorded (core.middleware.EnqueueNoticeMiddleware)."""

import contextvars
import logging
from functools import partial

from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

# A broker that refuses connections is given up on quickly: the sweep is the safety net, not a retry.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# The task names that could not be enqueued during the current request (None outside a request).
failed_enqueues: contextvars.ContextVar[list | None] = contextvars.ContextVar("failed_enqueues", default=None)


def enqueue(task, *args, **kwargs) -> bool:
    """Send `task` to the broker now; False (logged) when the broker cannot take it. `task` is a task, or
    its registered name ("deadlines.tasks.outbox_dispatch") where the caller stands below the module that
    defines it and must not import it."""
    if isinstance(task, str):
        from importlib import import_module

        from celery import current_app

        # A task's name is its module's path and its function's name: importing the module registers it
        # (a process that has not autodiscovered the tasks yet — a web process, a test — has it then).
        import_module(task.rpartition(".")[0])
        task = current_app.tasks[task]
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=RETRY_POLICY)
    except OperationalError as exc:
        log.warning(
            "broker unavailable, %s not enqueued (the periodic sweep will pick the work up): %s", task.name, exc
        )
        failures = failed_enqueues.get()
        if failures is not None:
            failures.append(task.name)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """enqueue() once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
