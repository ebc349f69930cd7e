"""Operations: a request id in every log line (and in the Celery tasks a request causes), JSON log
lines for production, and the Prometheus metrics page.

- `RequestIdMiddleware` takes the proxy's `X-Request-ID` when it is a plain token (nginx:
  `proxy_set_header X-Request-ID $request_id;`), else makes one; it is kept in a contextvar for the
  request, given back in the response header, and added to every log record by `RequestIdFilter`.
- config/celery.py puts the id into the headers of every task published while it is set
  (`before_task_publish`) and restores it in the worker for the task's run (`task_prerun`), so the log
  lines of a reminder sent because of a click carry the click's id.
- `/metrics` (django-prometheus: requests by view, status and latency; database and cache; plus the
  task counters below) answers only to `Authorization: Bearer <METRICS_TOKEN>`; with no token
  configured, or the wrong one, it is a 404 like any page that does not exist. Not by address: behind
  the reverse proxy every request comes from loopback. See README "Production"."""

import contextvars
import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.utils.crypto import constant_time_compare

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        rid = given if _VALID.match(given) else new_request_id()
        request.request_id = rid
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or task)."""

    def filter(self, record):
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id (and the exception)."""

    def format(self, record):
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get() or None,
        }
        for key in ("task_id", "task_name"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


# --- Celery: carry the id over the broker ---------------------------------------------------------------


def task_publish_headers(headers: dict) -> None:
    """`before_task_publish`: the id of the request (or task) that publishes goes with the message."""
    rid = request_id_var.get()
    if rid and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = rid


def task_request_id(task) -> str:
    """The id a task was published with (custom message headers land on `task.request`)."""
    request = getattr(task, "request", None)
    rid = getattr(request, TASK_HEADER, None) if request is not None else None
    if not rid and request is not None and isinstance(getattr(request, "headers", None), dict):
        rid = request.headers.get(TASK_HEADER)
    return rid if isinstance(rid, str) and _VALID.match(rid) else ""


# --- Prometheus ---------------------------------------------------------------------------------------

_task_metrics = None


def task_metrics():
    """Counters and a histogram for Celery tasks (created once per process)."""
    global _task_metrics
    if _task_metrics is None:
        from prometheus_client import Counter, Histogram

        _task_metrics = {
            "done": Counter("celery_tasks_total", "Celery tasks finished, by task and state", ["task", "state"]),
            "seconds": Histogram(
                "celery_task_duration_seconds",
                "Celery task run time",
                ["task"],
                buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            ),
            "published": Counter("celery_tasks_published_total", "Celery tasks published", ["task"]),
        }
    return _task_metrics


def _metrics_token_ok(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


@login_not_required
def metrics(request):
    """Prometheus text format for a scraper holding METRICS_TOKEN; 404 for everyone else."""
    if not _metrics_token_ok(request):
        raise Http404
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)
