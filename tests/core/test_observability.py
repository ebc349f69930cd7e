"""Operations (core/observability.py): the request id in responses, log lines and the Celery tasks a
request publishes; /metrics only for the token holder."""

import logging
import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.celery import app
from core.observability import JsonFormatter, RequestIdFilter, RequestIdMiddleware, request_id_var, task_publish_headers
from core.tasks import beat_heartbeat
from tests.worker import celery_worker, wait_for


def _record(msg="x"):
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, None, None)


def test_middleware_sets_an_id_for_the_request_and_returns_it():
    seen = {}

    def view(request):
        record = _record()
        RequestIdFilter().filter(record)
        seen["log"] = record.request_id
        seen["request"] = request.request_id
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/"))
    assert len(seen["request"]) == 32 and seen["log"] == seen["request"] == response["X-Request-ID"]
    assert request_id_var.get() == ""  # nothing leaks past the request
    record = _record()
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_the_proxy_id_is_kept_when_it_is_a_plain_token_only():
    mw = RequestIdMiddleware(lambda request: HttpResponse("ok"))
    given = "nginx-" + uuid.uuid4().hex
    assert mw(RequestFactory().get("/", HTTP_X_REQUEST_ID=given))["X-Request-ID"] == given
    bad = mw(RequestFactory().get("/", HTTP_X_REQUEST_ID="a b\r\nc"))["X-Request-ID"]
    assert bad != "a b\r\nc" and len(bad) == 32


def test_json_log_line_carries_the_request_id():
    import json

    token = request_id_var.set("abc123def456")
    try:
        line = json.loads(JsonFormatter().format(_record("办理完成")))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "办理完成" and line["request_id"] == "abc123def456" and line["level"] == "INFO"


def test_published_task_headers_carry_the_request_id():
    headers = {}
    task_publish_headers(headers)
    assert headers == {}  # no request, nothing to carry
    token = request_id_var.set("rid-0123456789")
    try:
        task_publish_headers(headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "rid-0123456789"}


@pytest.fixture
def not_eager():
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_under_the_publishing_request_id(not_eager, require_redis):
    rid = "req" + uuid.uuid4().hex
    with celery_worker() as (proc, queue):
        token = request_id_var.set(rid)
        try:
            beat_heartbeat.apply_async(queue=queue)
        finally:
            request_id_var.reset(token)
        from core.models import Heartbeat

        wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), what="the task run by the worker")
    output = proc.stdout.read().decode()
    started = [line for line in output.splitlines() if "task core.tasks.beat_heartbeat started" in line]
    assert started and rid in started[0], output


@pytest.mark.django_db
def test_metrics_answer_only_to_the_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = "m-" + uuid.uuid4().hex
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.get("/accounts/login/")  # a request to count
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in text
    assert "django_http_responses_total_by_status_total" in text


@pytest.mark.django_db
def test_task_metrics_count_runs(settings):
    from prometheus_client import REGISTRY

    before = (
        REGISTRY.get_sample_value("celery_tasks_total", {"task": "core.tasks.beat_heartbeat", "state": "SUCCESS"}) or 0
    )
    beat_heartbeat.delay()  # eager in tests: the same signals fire
    after = REGISTRY.get_sample_value("celery_tasks_total", {"task": "core.tasks.beat_heartbeat", "state": "SUCCESS"})
    assert after == before + 1
