import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.beat_init.connect
@signals.beat_embedded_init.connect
def _beat_started(**kwargs):
    """Beat records its start, so the health page gives it a grace period before its first tick."""
    import django

    django.setup()
    from core.services import heartbeat_touch

    try:
        heartbeat_touch(name="beat-start")
    except Exception:  # noqa: BLE001 - the health page will say the database is down
        logging.getLogger(__name__).exception("beat start not recorded")


# --- Operations: the request id travels with the task; task metrics (core/observability.py) ----------

_task_started: dict = {}


@signals.before_task_publish.connect
def _publish_request_id(sender=None, headers=None, **kwargs):
    from core.observability import task_metrics, task_publish_headers

    task_publish_headers(headers)
    task_metrics()["published"].labels(task=str(sender)).inc()


@signals.task_prerun.connect
def _restore_request_id(task_id=None, task=None, **kwargs):
    import time

    from core.observability import request_id_var, task_request_id

    rid = task_request_id(task)
    # In eager mode the task runs inside the publishing request: its id is already set.
    token = request_id_var.set(rid) if rid else None
    _task_started[task_id] = (token, time.monotonic())
    logging.getLogger("core.tasks").info("task %s started (%s)", getattr(task, "name", "?"), task_id)


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    import time

    from core.observability import request_id_var, task_metrics

    token, started = _task_started.pop(task_id, (None, None))
    metrics = task_metrics()
    name = getattr(task, "name", "?")
    metrics["done"].labels(task=name, state=str(state or "UNKNOWN")).inc()
    if started is not None:
        metrics["seconds"].labels(task=name).observe(time.monotonic() - started)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context: clear instead
            request_id_var.set("")


@signals.worker_ready.connect
def _serve_task_metrics(**kwargs):
    """CELERY_METRICS_PORT: the worker's task metrics on 127.0.0.1:PORT for a local Prometheus agent.
    With a process pool, PROMETHEUS_MULTIPROC_DIR must be set so the pool's children are counted."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr="127.0.0.1", registry=registry)
