"""Exactly once, with a real worker process and a real Redis broker: two sweeps racing, a worker
SIGKILLed in the middle of a send and restarted, the broker restarted. Each test ends with every
reminder sent exactly once (counted at the SMTP server and in the SMS provider's log)."""

import json
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from datetime import date

import pytest
from kombu import Connection

from config.celery import app
from deadlines.models import Message, Obligation
from deadlines.reminders import reminders_plan
from deadlines.services.obligations import obligations_generate
from deadlines.tasks import message_send, outbox_dispatch, reminders_sweep
from tests.worker import celery_worker, stop_worker, wait_for

from .servers import RobotEndpoint, SmtpSink, free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
PLAN_DAY = "2024-09-27"  # a working day three working days before the 2024-Q3 reports are due


@pytest.fixture
def broker_queue(require_redis, settings):
    """Send from this process to a queue of our own, eagerly nothing."""
    app.conf.task_always_eager = False
    queue = f"test-deadlines-{os.getpid()}-{time.monotonic_ns()}"
    app.conf.task_default_queue = queue
    settings.DEADLINES_SMS_QUIET_HOURS = "0-0"  # tests run at any hour
    yield queue
    app.conf.task_always_eager = True
    app.conf.task_default_queue = "celery"


@pytest.fixture
def reminders_due(users):
    """Obligations of 2024-Q3 and one person per unit with an address for every channel."""
    n = 0
    for key in ("liaison_mzt", "liaison_zjt", "liaison_gat", "convener", "deputy"):
        n += 1
        person = users[key].person
        person.mobile, person.email = f"1380000000{n}", f"{key}@example.gov.cn"
        person.save()
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    with time_machine.travel(datetime(2024, 9, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        obligations_generate()
    assert Obligation.objects.count() > 0
    return users


def worker_env(smtp, sms_file, **extra):
    return {
        "DEADLINES_EMAIL_URL": smtp.url,
        "DEADLINES_SMS_BACKEND": "deadlines.sms.FileBackend",
        "DEADLINES_SMS_FILE": str(sms_file),
        "DEADLINES_SMS_QUIET_HOURS": "0-0",
        **extra,
    }


def sms_sent(sms_file) -> Counter:
    if not sms_file.exists():
        return Counter()
    return Counter(json.loads(line)["out_id"] for line in sms_file.read_text(encoding="utf-8").splitlines())


def all_sent():
    return not Message.objects.exclude(status=Message.SENT).exists()


def assert_exactly_once(smtp, sms_file):
    emails = Message.objects.filter(channel="email")
    sms = Message.objects.filter(channel="sms")
    assert emails.exists() and sms.exists()
    assert all_sent()
    by_id = Counter(m["message_id"] for m in smtp.messages)
    assert by_id == Counter({f"<outbox-{m.pk}@joint-meeting>": 1 for m in emails})
    assert sms_sent(sms_file) == Counter({f"outbox-{m.pk}": 1 for m in sms})


def test_two_sweeps_racing_send_each_reminder_once(broker_queue, reminders_due, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    with (
        SmtpSink() as smtp,
        celery_worker(queue=broker_queue, concurrency=4, extra_env=worker_env(smtp, sms_file)) as (proc, queue),
    ):
        for _ in range(2):
            reminders_sweep.apply_async((PLAN_DAY,), queue=queue)
        wait_for(
            lambda: Message.objects.filter(channel="sms").exists() and all_sent(),
            timeout=60,
            what="every reminder sent",
        )
        for _ in range(2):  # and the minute sweep racing over what is already sent
            outbox_dispatch.apply_async(queue=queue)
        time.sleep(2)
        assert_exactly_once(smtp, sms_file)
    assert Message.objects.filter(channel="inapp", kind="before:3").count() == 3


def test_worker_killed_mid_send_and_restarted(broker_queue, reminders_due, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    reminders_plan(today=date.fromisoformat(PLAN_DAY))
    env_lease = {"DEADLINES_LEASE_SECONDS": "3"}
    with SmtpSink(stall_first=6) as smtp:
        with celery_worker(queue=broker_queue, extra_env=worker_env(smtp, sms_file, **env_lease)) as (proc, queue):
            outbox_dispatch.apply_async(queue=queue)
            assert smtp.stalled.wait(30), "the worker never reached the SMTP server"
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool die in the middle of the send
            proc.wait()
        claimed = set(Message.objects.filter(status=Message.SENDING).values_list("pk", flat=True))
        assert claimed  # the batch the worker held: claimed, not sent, not lost
        time.sleep(6)  # the stalled SMTP session ends: the server never said 250, nothing delivered
        assert smtp.messages == []
        with celery_worker(queue=broker_queue, extra_env=worker_env(smtp, sms_file, **env_lease)) as (proc, queue):

            def sweep_until_done():
                if all_sent():
                    return True
                outbox_dispatch.apply_async(queue=queue)  # the minute sweep, sped up
                return False

            wait_for(sweep_until_done, timeout=90, interval=2, what="every reminder sent after the restart")
            time.sleep(1)
        assert_exactly_once(smtp, sms_file)
        # the interrupted batch was claimed again once, and counted as the duplicate window
        assert set(Message.objects.filter(attempts=2, reclaimed=1).values_list("pk", flat=True)) == claimed


def _redis_server(port, data_dir):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def up():
        try:
            with Connection(url, connect_timeout=0.5) as c:
                c.ensure_connection(max_retries=1)
            return True
        except Exception:  # noqa: BLE001
            return False

    wait_for(up, timeout=15, what="redis-server up")
    return proc, url


def _send(url, task, queue, args=()):
    with Connection(url) as conn, conn.Producer() as producer:
        task.apply_async(args, queue=queue, producer=producer)


def test_broker_restarted_loses_nothing_and_duplicates_nothing(broker_queue, reminders_due, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    port = free_port()
    redis_proc, url = _redis_server(port, tmp_path)
    reminders_plan(today=date.fromisoformat(PLAN_DAY))
    ids = list(Message.objects.exclude(channel="inapp").values_list("pk", flat=True))
    try:
        with (
            SmtpSink() as smtp,
            celery_worker(queue=broker_queue, extra_env={**worker_env(smtp, sms_file), "REDIS_URL": url}) as (
                proc,
                queue,
            ),
        ):
            half = ids[: len(ids) // 2]
            for message_id in half:
                _send(url, message_send, queue, (message_id,))
            wait_for(
                lambda: Message.objects.filter(pk__in=half, status=Message.SENT).count() == len(half),
                timeout=60,
                what="first half sent",
            )
            # The rest is queued, then the broker dies without persistence: the queued tasks are lost.
            for message_id in ids[len(half) :]:
                _send(url, message_send, queue, (message_id,))
            redis_proc.terminate()
            redis_proc.wait(10)
            redis_proc, url2 = _redis_server(port, tmp_path)
            assert url2 == url

            def sweep_until_done():
                if all_sent():
                    return True
                try:
                    _send(url, outbox_dispatch, queue)
                except Exception:  # noqa: BLE001 — the broker may still be coming back
                    pass
                return False

            wait_for(sweep_until_done, timeout=120, interval=2, what="every reminder sent after the broker restart")
            time.sleep(1)
            assert_exactly_once(smtp, sms_file)
            stop_worker(proc)
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)


DING_SECRET = "SECworkertest0001"


@pytest.fixture
def unit_robots(users):
    from members.contacts import unit_contact_update
    from members.models import MemberUnit

    units = list(MemberUnit.objects.filter(code__in=["mzt", "zjt", "gat"]))
    for i, unit in enumerate(units):
        unit_contact_update(
            unit=unit,
            by=users["office"],
            phone="",
            email="",
            wecom_key=f"wecomkey{i:04d}",
            dingtalk_token=f"dingtoken{i:04d}",
            dingtalk_secret=DING_SECRET,
        )
    return units


def _unit_events(units, n):
    from deadlines.reminders import notify_units

    for i in range(n):
        notify_units(
            units=units,
            subject=f"item:{i}",
            kind="dispatched",
            title=f"【交办】事项{i:03d}",
            body=f"【交办】事项{i:03d}，请签收。",
            url=f"/items/{i}/",
            period="p",
        )


def _robot_env(endpoint):
    return {**endpoint.env(), "DEADLINES_PROBE_SECONDS": "1"}


def assert_groups_once(endpoint, units, n):
    robots = {a["robot"] for a in endpoint.accepted}
    assert len(robots) == 2 * len(units)
    for robot in robots:
        text = "\n".join(a["text"] for a in endpoint.accepted if a["robot"] == robot)
        assert all(text.count(f"事项{i:03d}") == 1 for i in range(n)), robot


def test_robot_messages_race_to_one_post_each(broker_queue, reminders_due, unit_robots, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    reminders_plan(today=date.fromisoformat(PLAN_DAY))
    _unit_events(unit_robots, 30)
    endpoint = RobotEndpoint(dingtalk_secrets={f"dingtoken{i:04d}": DING_SECRET for i in range(3)})
    with (
        endpoint,
        SmtpSink() as smtp,
        celery_worker(
            queue=broker_queue, concurrency=4, extra_env={**worker_env(smtp, sms_file), **_robot_env(endpoint)}
        ) as (proc, queue),
    ):
        for _ in range(3):  # three dispatches racing: the beat, a write's on_commit, a redelivery
            outbox_dispatch.apply_async(queue=queue)
        wait_for(all_sent, timeout=90, what="every message and group post sent")
        outbox_dispatch.apply_async(queue=queue)
        time.sleep(2)
        assert_exactly_once(smtp, sms_file)
    assert_groups_once(endpoint, unit_robots, 30)
    assert Message.objects.filter(channel__in=["wecom", "dingtalk"], status="sent").count() == 180


def test_channels_down_longer_than_the_retry_budget_deliver_everything_once_when_back(
    broker_queue, reminders_due, unit_robots, tmp_path
):
    """The mail server is off and the robots answer 503 for longer than DEADLINES_MAX_ATTEMPTS tries
    would last: nothing fails, nothing is lost; when they are back, everything goes out once."""
    sms_file = tmp_path / "sms.jsonl"
    reminders_plan(today=date.fromisoformat(PLAN_DAY))
    _unit_events(unit_robots, 5)
    smtp = SmtpSink()  # its port is chosen, the server not started yet: connections are refused
    endpoint = RobotEndpoint(dingtalk_secrets={f"dingtoken{i:04d}": DING_SECRET for i in range(3)})
    endpoint.down = True
    env = {**worker_env(smtp, sms_file), **_robot_env(endpoint), "DEADLINES_MAX_ATTEMPTS": "2"}
    with endpoint, celery_worker(queue=broker_queue, extra_env=env) as (proc, queue):

        def dispatch():
            outbox_dispatch.apply_async(queue=queue)

        from deadlines.models import ChannelState

        def probed_enough():
            dispatch()
            state = ChannelState.objects.filter(key="email").first()
            robots = ChannelState.objects.filter(key__startswith="wecom:", failures__gte=4).count()
            return state is not None and state.failures >= 4 and robots == 3

        wait_for(probed_enough, timeout=90, interval=1.5, what="both channels probed past the retry budget")
        assert not Message.objects.filter(status=Message.FAILED).exists()
        waiting = Message.objects.filter(channel__in=["email", "wecom", "dingtalk"]).exclude(status=Message.SENT)
        assert waiting.exists() and all(m.attempts == 0 for m in waiting.filter(status=Message.PENDING))
        assert Message.objects.filter(channel="sms", status=Message.SENT).exists()  # SMS was never down
        endpoint.down = False
        with smtp:

            def sweep_until_done():
                if all_sent():
                    return True
                dispatch()
                return False

            wait_for(sweep_until_done, timeout=90, interval=1.5, what="everything sent after the channels came back")
            time.sleep(2)
            assert_exactly_once(smtp, sms_file)
    assert_groups_once(endpoint, unit_robots, 5)
    assert not ChannelState.objects.exclude(down_since=None).exists()
