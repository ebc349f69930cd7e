"""Scale-out on one machine: two gunicorn processes with the production settings on one PostgreSQL and
one Redis behave as one site. A session made through one is valid on the other; signing out on one
signs out on both (sessions are cached_db on the shared Redis cache, config/settings/base.py)."""

import re
import subprocess
import time

import pytest
import redis

from tests.core.test_production import (  # noqa: F401 — fixtures used by name
    BASE_DIR,
    PASSWORD,
    VENV_BIN,
    Browser,
    _accounts,
    _free_port,
    _run,
    _stop,
    _wait_until_serving,
    production_env,
    smtp_server,
)


def _gunicorn(env, port):
    argv = [str(VENV_BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "60"]
    return subprocess.Popen(
        argv, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def _signed_in(browser) -> bool:
    response, content = browser.get("/deadlines/")
    return response.status == 200 and "退出" in content.decode()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_sessions_and_sign_out(production_env, mechanism):
    _run([str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"], production_env)
    office, liaison = _accounts(mechanism)
    ports = _free_port(), _free_port()
    procs = [_gunicorn(production_env, port) for port in ports]
    try:
        for proc, port in zip(procs, ports):
            _wait_until_serving(proc, port)
        one, two = Browser(ports[0]), Browser(ports[1])
        one.sign_in("prod_liaison", PASSWORD)
        two.cookies = dict(one.cookies)  # the same browser, its next request served by the other process
        assert _signed_in(two) and _signed_in(one)
        # The session is held in the shared Redis cache (and written through to PostgreSQL).
        cache = redis.Redis.from_url(production_env["REDIS_URL"])
        assert cache.exists(f"jm:1:django.contrib.sessions.cached_db{one.cookies['sessionid']}")
        before = dict(one.cookies)

        # Signed out through process two: process one no longer knows the session either.
        response, content = two.get("/deadlines/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
        response, _ = two.post_form("/accounts/logout/", {"csrfmiddlewaretoken": token})
        assert response.status == 302
        stale = Browser(ports[0])
        stale.cookies = before  # the cookie the browser held before signing out
        response, _ = stale.get("/deadlines/")
        assert response.status == 302 and "/accounts/login/" in response.headers["Location"]
    finally:
        logs = []
        for proc in procs:
            _stop(proc)
            logs.append(proc.stdout.read())
        print("\n".join(logs))
    assert all("Traceback" not in log for log in logs), logs


# --- Two worker processes on one broker and one database: every reminder is sent once -------------------

from tests.deadlines.servers import SmtpSink  # noqa: E402
from tests.deadlines.test_workers import (  # noqa: E402,F401
    PLAN_DAY,
    all_sent,
    assert_exactly_once,
    broker_queue,
    reminders_due,
    worker_env,
)
from tests.worker import celery_worker, wait_for  # noqa: E402


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_send_each_message_once(broker_queue, reminders_due, tmp_path):
    from deadlines.models import Message
    from deadlines.tasks import outbox_dispatch, reminders_sweep

    sms_file = tmp_path / "sms.jsonl"
    with SmtpSink() as smtp:
        env = worker_env(smtp, sms_file)
        with (
            celery_worker(queue=broker_queue, concurrency=2, extra_env=env) as (one, queue),
            celery_worker(queue=broker_queue, concurrency=2, extra_env=env) as (two, _),
        ):
            for _ in range(2):  # the day's sweep delivered twice, to whichever worker takes it
                reminders_sweep.apply_async((PLAN_DAY,), queue=queue)
            for _ in range(4):  # and the minute's dispatch racing it on both workers
                outbox_dispatch.apply_async(queue=queue)
            wait_for(
                lambda: Message.objects.filter(channel="sms").exists() and all_sent(),
                timeout=90,
                what="every reminder sent",
            )
            for _ in range(4):
                outbox_dispatch.apply_async(queue=queue)
            time.sleep(2)
            assert one.poll() is None and two.poll() is None  # both were serving throughout
        assert_exactly_once(smtp, sms_file)
