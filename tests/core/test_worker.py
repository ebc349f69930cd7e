"""A real worker process, the real broker (Redis in CI), the real test database."""

import pytest

from config.celery import app
from core.models import Heartbeat
from core.tasks import beat_heartbeat
from tests.worker import celery_worker, wait_for


@pytest.fixture
def not_eager():
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_task_goes_through_broker_and_worker(not_eager, settings):
    if settings.REDIS_URL:
        assert app.connection_for_write().as_uri().startswith("redis://")
    with celery_worker() as (proc, queue):
        beat_heartbeat.apply_async(queue=queue)
        wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), what="heartbeat written by the worker")
