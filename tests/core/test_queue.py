"""A broker outage after a commit is never a 500 (core.queue): the rows stay, the failure is logged,
the user is told the work was recorded, and the periodic sweep sends it later."""

import socket
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from config.celery import app
from core.models import AuditEntry
from core.queue import enqueue
from deadlines.models import Message, Obligation
from deadlines.services.obligations import obligations_generate
from deadlines.tasks import outbox_dispatch

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@contextmanager
def broker_down():
    """Celery really publishing (not eager) to a Redis URL where nothing listens."""
    conf = app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.broker_transport_options
    conf.broker_url, conf.task_always_eager = f"redis://127.0.0.1:{_closed_port()}/0", False
    conf.broker_transport_options = {}
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        app._pool, app.amqp._producer_pool = None, None


def test_enqueue_reports_a_broker_outage_instead_of_raising(caplog):
    with broker_down():
        assert enqueue(outbox_dispatch) is False
    assert "broker unavailable" in caplog.text


@pytest.mark.django_db(transaction=True)  # on_commit runs at the real commit, inside the request
def test_press_with_the_broker_down_is_recorded_not_a_500(users, client_for, caplog):
    with time_machine.travel(datetime(2024, 9, 20, 10, tzinfo=TZ), tick=False):
        obligations_generate()
    obligation = Obligation.objects.get(member_unit__code="mzt", period="2024Q3")
    convener = client_for(users["convener"])
    with time_machine.travel(datetime(2024, 10, 14, 10, tzinfo=TZ), tick=False), broker_down():
        response = convener.post("/deadlines/press/", {"subject": f"obligation:{obligation.pk}"}, follow=True)
    assert "deadlines.tasks.outbox_dispatch not enqueued" in caplog.text
    assert response.status_code == 200
    page = response.content.decode()
    assert "已催办" in page and "已记录" in page and "无需重复操作" in page
    # The rows were committed with the press; the sweep sends whatever is due once the broker is back.
    assert Message.objects.filter(recipient=users["liaison_mzt"], kind__startswith="press:").exists()
    assert AuditEntry.objects.filter(action="obligation.press").count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_nothing_is_said_about_the_queue(users, client_for):
    with time_machine.travel(datetime(2024, 9, 20, 10, tzinfo=TZ), tick=False):
        obligations_generate()
    obligation = Obligation.objects.get(member_unit__code="mzt", period="2024Q3")
    with time_machine.travel(datetime(2024, 10, 14, 10, tzinfo=TZ), tick=False):
        response = client_for(users["convener"]).post(
            "/deadlines/press/", {"subject": f"obligation:{obligation.pk}"}, follow=True
        )
    page = response.content.decode()
    assert "已催办" in page and "消息队列暂时不可用" not in page
