"""/health/ tells the truth: JSON 503 naming what is down, never a 500 (core/health.py, deadlines/health.py)."""

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from config.celery import app
from core.models import Heartbeat
from deadlines.models import Message

pytestmark = pytest.mark.django_db
TOKEN = "health-token-for-tests"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _monitor(settings):
    settings.HEALTH_TOKEN = TOKEN
    response = Client().get("/health/?format=json", HTTP_X_HEALTH_TOKEN=TOKEN)
    return response.status_code, response.json()


@pytest.mark.services
def test_with_postgresql_unreachable_health_is_a_json_503_naming_the_database(require_postgres):
    """A real outage: the product started against a PostgreSQL port where nothing listens."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "HEALTH_TOKEN": TOKEN,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_closed_port()}/nothing",
    }
    code = (
        """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
out = []
r = Client().get("/health/?format=json", HTTP_X_HEALTH_TOKEN=%r)
out.append([r.status_code, r["Content-Type"], r.json()])
c = Client(); c.cookies["sessionid"] = "somesession"
r = c.get("/health/")  # a signed-in browser: who it is cannot be known without the database
out.append([r.status_code, r["Content-Type"], r.json()])
print(json.dumps(out))
"""  # noqa: UP031 — the child script keeps %r for the token
        % TOKEN
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    (status, content_type, data), (status2, content_type2, data2) = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503 and content_type.startswith("application/json")
    assert "database" in data["down"] and data["database"]["ok"] is False
    assert data["broker"]["ok"] in (True, False) and "beat" in data and "outbox" in data  # every check answered
    assert status2 == 503 and content_type2.startswith("application/json") and data2["down"] == ["database"]


def test_a_fresh_beat_has_a_grace_period_then_is_reported_down(users, settings):
    now = timezone.now()
    Heartbeat.objects.create(name="beat", at=now - timedelta(days=1))  # from before a long stop
    Heartbeat.objects.create(name="beat-start", at=now - timedelta(seconds=30))
    status, data = _monitor(settings)
    assert data["beat"]["ok"] is True and "刚启动" in data["beat"]["info"] and "beat" not in data["down"]
    with time_machine.travel(now + timedelta(minutes=5)):  # still no tick five minutes after the start
        status, data = _monitor(settings)
    assert status == 503 and "beat" in data["down"] and "超过" in data["beat"]["info"]


def test_no_beat_ever_is_down_and_a_fresh_tick_is_up(users, settings):
    status, data = _monitor(settings)
    assert status == 503 and "beat" in data["down"] and data["beat"]["info"] == "尚无心跳记录"
    Heartbeat.objects.create(name="beat", at=timezone.now())
    assert "beat" not in _monitor(settings)[1]["down"]


def test_the_heartbeat_has_a_queue_of_its_own_that_every_worker_consumes():
    assert app.amqp.router.route({}, "core.tasks.beat_heartbeat")["queue"].name == "heartbeat"
    assert app.amqp.router.route({}, "deadlines.tasks.message_send")["queue"].name == "celery"
    procfile = (settings.BASE_DIR / "Procfile.dev").read_text()
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "-Q celery,heartbeat" in procfile and "worker -l INFO -c 4 -Q celery,heartbeat" in readme


def _message(user, channel, **fields):
    return Message.objects.create(
        subject="obligation:1",
        kind="due",
        recipient=user,
        channel=channel,
        period=fields.pop("period", "2026-12-01"),
        title="提醒",
        body="提醒",
        **fields,
    )


def test_an_outbox_backlog_names_the_oldest_pending_message_age(users, settings):
    now = timezone.now()
    _message(users["liaison_mzt"], Message.INAPP, next_attempt_at=now - timedelta(minutes=40))
    _message(users["liaison_zjt"], Message.INAPP, next_attempt_at=now - timedelta(minutes=2))
    _message(users["liaison_gat"], Message.INAPP, next_attempt_at=now + timedelta(hours=9))  # held: not due
    status, data = _monitor(settings)
    assert status == 503 and "outbox" in data["down"]
    assert data["outbox"]["backlog"] == 2 and data["outbox"]["oldest_age_seconds"] >= 40 * 60
    assert "最早的已等待 40 分钟" in data["outbox"]["info"]


def test_a_small_fresh_backlog_is_not_an_outage(users, settings):
    _message(users["liaison_mzt"], Message.INAPP, next_attempt_at=timezone.now() - timedelta(seconds=30))
    data = _monitor(settings)[1]
    assert data["outbox"]["ok"] is True and data["outbox"]["backlog"] == 1


def test_sms_failing_since_its_last_success_is_down(users, settings):
    _message(
        users["liaison_mzt"],
        Message.SMS,
        attempts=2,
        last_error="第 2 次：阿里云短信发送失败：isv.BUSINESS_LIMIT",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    status, data = _monitor(settings)
    assert "sms" in data["down"] and "BUSINESS_LIMIT" in data["sms"]["info"]
    _message(users["liaison_zjt"], Message.SMS, status=Message.SENT, sent_at=timezone.now())
    assert "sms" not in _monitor(settings)[1]["down"]


def test_an_unreachable_mail_server_is_down(users, settings):
    settings.DEADLINES_EMAIL_URL = f"smtp://127.0.0.1:{_closed_port()}"
    status, data = _monitor(settings)
    assert status == 503 and "mail" in data["down"] and "ConnectionRefusedError" in data["mail"]["info"]


def test_a_reachable_mail_server_is_up(users, settings):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    controller = Controller(Sink(), hostname="127.0.0.1", port=_closed_port())
    controller.start()
    try:
        settings.DEADLINES_EMAIL_URL = f"smtp://127.0.0.1:{controller.port}"
        data = _monitor(settings)[1]
    finally:
        controller.stop()
    assert data["mail"]["ok"] is True and "可连接" in data["mail"]["info"]


def test_the_page_lists_every_check_in_chinese(users, client_for):
    page = client_for(users["office"]).get("/health/").content.decode()
    for label in ("数据库", "消息队列", "定时任务", "邮件服务器", "短信通道", "待发送消息"):
        assert label in page
