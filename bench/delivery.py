"""Bench: fan-out of one 交办 and delivery throughput per worker process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a scratch db> \\
        .venv/bin/python bench/delivery.py --mails 2000 --sms 1000 --robots 1000

1. Fan-out: one 交办 to 7 units — 30 people (each with a verified mobile and e-mail) on in-app, e-mail
   and SMS, plus each unit's WeCom and DingTalk group robots: rows written and time (`notify` +
   `notify_units`, median of 5).
2. Delivery: one process drains the outbox the way one worker process does (`outbox.channel_drain`:
   claim a batch, send it over one connection, finish each row) to local endpoints that run in their
   own processes: an aiosmtpd SMTP sink, an HTTP endpoint answering Aliyun's SendSms (through the
   official SDK, `AliyunBackend`), and one answering the WeCom/DingTalk robot APIs. Beside it, the raw
   limit measured in the same run: Django's `send_mass_mail` over one connection to the same sink.
   (Robots: the bench lifts the 20-posts-a-minute cap to measure the code path; in production each
   robot takes at most 20 posts a minute, each post joining several messages.)

It uses its own users and units (prefixed "bench-") and deletes its rows before and after; results
are printed and written to bench/results/delivery-<timestamp>.json."""

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- endpoints, each in its own process (so they do not share the sender's CPU time slice) ------


def serve_smtp(port, counter):
    import asyncio

    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    asyncio.run(asyncio.sleep(10**6))


def serve_http(port, counter, kind):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # headers and body are written separately: without this, Nagle + delayed ACK add ~40 ms a
            # request on a kept-alive connection — an artefact of this little server, not of the services
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with counter.get_lock():
                counter.value += 1
                n = counter.value
            answer = (
                {"Code": "OK", "Message": "OK", "BizId": f"biz-{n}", "RequestId": "r"}
                if kind == "sms"
                else {"errcode": 0, "errmsg": "ok"}
            )
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def start(target, *args):
    p = mp.get_context("fork").Process(target=target, args=args, daemon=True)
    p.start()
    return p


def wait_port(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--sms", type=int, default=1000)
    parser.add_argument("--robots", type=int, default=1000)
    parser.add_argument("--finish-every", type=int, default=10, help="DEADLINES_FINISH_EVERY (1 = mark each row)")
    args = parser.parse_args()

    ports = {k: free_port() for k in ("smtp", "sms", "robot")}
    counters = {k: mp.get_context("fork").Value("i", 0) for k in ports}
    procs = [
        start(serve_smtp, ports["smtp"], counters["smtp"]),
        start(serve_http, ports["sms"], counters["sms"], "sms"),
        start(serve_http, ports["robot"], counters["robot"], "robot"),
    ]
    for port in ports.values():
        wait_port(port)

    import django

    django.setup()
    from django.conf import settings

    settings.DEADLINES_EMAIL_URL = f"smtp://127.0.0.1:{ports['smtp']}"
    settings.DEADLINES_SMS_BACKEND = "deadlines.sms.AliyunBackend"
    for key, value in {
        "ALIYUN_SMS_ACCESS_KEY_ID": "bench",
        "ALIYUN_SMS_ACCESS_KEY_SECRET": "bench",
        "ALIYUN_SMS_ENDPOINT": f"127.0.0.1:{ports['sms']}",
        "ALIYUN_SMS_PROTOCOL": "http",
        "ALIYUN_SMS_SIGN_NAME": "联席会议",
        "ALIYUN_SMS_TEMPLATE_CODE": "SMS_1",
        "DEADLINES_SMS_QUIET_HOURS": "0-0",
        "DEADLINES_ROBOT_PER_MINUTE": 10**6,
        "DEADLINES_FINISH_EVERY": args.finish_every,
        "DEADLINES_WECOM_BASE_URL": f"http://127.0.0.1:{ports['robot']}",
        "DEADLINES_DINGTALK_BASE_URL": f"http://127.0.0.1:{ports['robot']}",
    }.items():
        setattr(settings, key, value)
    import deadlines.reminders

    deadlines.reminders._dispatch_soon = lambda: None  # the bench drives the drains itself, no broker
    try:
        results = run(args, counters)
    finally:
        cleanup()
        for p in procs:
            p.terminate()
    out = ROOT / "bench" / "results" / f"delivery-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


def cleanup():
    from deadlines.models import ChannelState, Message
    from members.models import Contact, Mechanism, MemberUnit, Person, UnitContact, User

    Message.objects.filter(subject__startswith="bench").delete()
    ChannelState.objects.all().delete()
    Contact.objects.filter(user__username__startswith="bench-").delete()
    User.objects.filter(username__startswith="bench-").delete()
    UnitContact.objects.filter(unit__code__startswith="bench-").delete()
    Person.objects.filter(unit__code__startswith="bench-").delete()
    MemberUnit.objects.filter(code__startswith="bench-").delete()
    Mechanism.objects.filter(code="bench").delete()


def build():
    from datetime import date

    from django.utils import timezone

    from members.contacts import unit_contact_update
    from members.models import Contact, Mechanism, MemberUnit, Person, User

    mechanism = Mechanism.objects.create(
        code="bench",
        name="bench",
        province="bench",
        established_on=date(2020, 1, 1),
        config_version="1",
        config_digest="bench",
        loaded_at=timezone.now(),
    )
    units = [
        MemberUnit.objects.create(mechanism=mechanism, code=f"bench-{i}", name=f"bench 单位{i}", order=i)
        for i in range(7)
    ]
    users = []
    for i in range(30):
        person = Person.objects.create(unit=units[i % 7], name=f"bench 人员{i}")
        user = User.objects.create(username=f"bench-{i}", person=person)
        mobile, email = f"1390000{i:04d}", f"bench{i}@bench.invalid"
        Contact.objects.create(user=user, mobile=mobile, mobile_verified=mobile, email=email, email_verified=email)
        users.append(user)
    for i, unit in enumerate(units):
        unit_contact_update(
            unit=unit,
            by=None,
            phone="",
            email="",
            wecom_key=f"benchwecom{i:04d}",
            dingtalk_token=f"benchding{i:04d}",
            dingtalk_secret=f"SECbench{i:08d}",
        )
    return units, users


def run(args, counters):
    from django.core.mail import EmailMessage, get_connection
    from django.db import transaction
    from django.utils import timezone

    from deadlines import outbox
    from deadlines.models import Message
    from deadlines.reminders import notify, notify_units

    cleanup()
    units, users = build()
    results = {}

    # 1. fan-out of one 交办
    times, rows = [], 0
    for run_no in range(5):
        start = time.perf_counter()
        with transaction.atomic():
            n = notify(
                users=users,
                subject=f"bench-item:{run_no}",
                kind="dispatched",
                title="【交办】测试事项",
                body="【交办】测试事项，请签收。",
                url="/items/1/",
                channels=("inapp", "email", "sms"),
            )
            n += notify_units(
                units=units,
                subject=f"bench-item:{run_no}",
                kind="dispatched",
                title="【交办】测试事项",
                body="【交办】测试事项，请签收。",
                url="/items/1/",
            )
        times.append(time.perf_counter() - start)
        rows = n
    from django.db.models import Count

    results["fanout"] = {
        "rows": rows,
        "median_ms": round(statistics.median(times) * 1000, 1),
        "by_channel": dict(
            Message.objects.filter(subject="bench-item:0")
            .values("channel")
            .annotate(n=Count("id"))
            .values_list("channel", "n")
        ),
    }
    Message.objects.filter(subject__startswith="bench").delete()

    # 2. raw limit: send_mass_mail-like, one connection, same sink
    now = timezone.now()
    # the same mails the outbox sends (Chinese subject and body, the same headers), so only the outbox's
    # own work (claim, finish, one message object each) separates the two numbers
    mails = [
        EmailMessage(
            subject=f"【提醒】事项{i}",
            body="内容" * 60,
            to=[f"raw{i}@bench.invalid"],
            headers={"Message-ID": f"<raw-{i}@joint-meeting>", "X-Outbox-Key": f"bench-d:{i}/d/1/email/p"},
        )
        for i in range(args.mails)
    ]
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=int(settings_port("smtp"))
    )
    before = counters["smtp"].value
    start = time.perf_counter()
    connection.send_messages(mails)
    raw = time.perf_counter() - start
    assert counters["smtp"].value - before == args.mails
    results["raw_send_mass_mail_per_s"] = round(args.mails / raw, 1)

    # 3. the outbox, one process, per channel
    def fill(channel, n):
        rows = []
        for i in range(n):
            if channel in Message.ROBOT_CHANNELS:
                from members.models import UnitContact

                robot = UnitContact.objects.filter(unit__in=units)[i % 7]
                rows.append(
                    Message(
                        subject=f"bench-d:{i}",
                        kind="d",
                        robot=robot,
                        channel=channel,
                        period="p",
                        title=f"【交办】事项{i}",
                        body=f"【交办】事项{i}，请签收。",
                        next_attempt_at=now,
                    )
                )
            else:
                user = users[i % 30]
                rows.append(
                    Message(
                        subject=f"bench-d:{i}",
                        kind=f"d{i // 30}",
                        recipient=user,
                        channel=channel,
                        period="p",
                        address=user.contact.email if channel == "email" else user.contact.mobile,
                        title=f"【提醒】事项{i}",
                        body="内容" * 60,
                        next_attempt_at=now,
                    )
                )
        Message.objects.bulk_create(rows, batch_size=1000)

    for channel, n, counter in (
        ("email", args.mails, "smtp"),
        ("sms", args.sms, "sms"),
        ("wecom", args.robots // 2, "robot"),
        ("dingtalk", args.robots // 2, "robot"),
    ):
        fill(channel, n)
        before = counters[counter].value
        start = time.perf_counter()
        while Message.objects.filter(channel=channel, subject__startswith="bench-d").exclude(status="sent").exists():
            outbox.channel_drain(channel=channel, budget_seconds=600)
        took = time.perf_counter() - start
        arrived = counters[counter].value - before
        results[f"outbox_{channel}"] = {
            "messages": n,
            "seconds": round(took, 2),
            "per_s": round(n / took, 1),
            "provider_calls": arrived,
        }
        Message.objects.filter(subject__startswith="bench-d").delete()
    results["finish_every"] = args.finish_every
    results["email_vs_raw"] = round(results["outbox_email"]["per_s"] / results["raw_send_mass_mail_per_s"], 2)
    return results


def settings_port(kind):
    from django.conf import settings

    return settings.DEADLINES_EMAIL_URL.rsplit(":", 1)[1]


if __name__ == "__main__":
    main()
