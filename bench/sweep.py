"""Bench: the reminder sweep on the national world and against 10^4 … 10^6 obligations of its own, on
PostgreSQL, and reminders per second to a local SMTP sink.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python manage.py generate_national_data
    DATABASE_URL=… .venv/bin/python bench/sweep.py --scales 10000 100000 --mails 300

First the world's own sweep: `reminders_plan` for the deployment's mechanism (settings.MECHANISM) over
the generated history, in a transaction that is rolled back (the world keeps no row of it).

For each scale it builds a history of N obligations (accepted, due over the past ten years, spread
over --units reporting units, each with one user who has an e-mail address), then measures:

  * nothing due  — `reminders_plan` with every obligation accepted, beside the raw indexed query
                   (`status IN (open, returned) AND due_on <= …`, the partial index obligation_owed_due);
  * 1% due       — 1% of the rows made owed and due today: the first plan (writes the outbox rows
                   and one digest per person) and a repeat (idempotent: writes nothing), beside the raw query.

Then it sends --mails digest e-mails through the outbox to an aiosmtpd sink on localhost, one worker
thread and four, and prints messages per second.

It uses its own mechanism (code "sweepbench", accounts "sweepbench-…") and sweeps only that mechanism,
so it runs beside the world; it deletes its rows before and after and then VACUUMs and ANALYZEs the
tables it touched (repeated runs otherwise leave the obligation table bloated: a COUNT(*) at 10⁴ took
257 ms instead of 9 ms). Results are printed and written to bench/results/sweep-<timestamp>.json."""

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.world import describe  # noqa: E402
from deadlines import outbox  # noqa: E402
from deadlines.models import DeadlineRule, Message, Obligation  # noqa: E402
from deadlines.reminders import reminders_plan  # noqa: E402
from members.models import Mechanism, MemberUnit, ReportingUnit, User  # noqa: E402
from members.selectors import mechanism_deployed  # noqa: E402

TODAY = date(2024, 9, 27)  # a working day (Friday)
CODE, PREFIX = "sweepbench", "sweepbench-"
RAW_SQL = "SELECT id, due_on FROM deadlines_obligation WHERE status IN ('open', 'returned') AND due_on <= %s"


class Rollback(Exception):
    pass


def timed(fn, repeat=5):
    runs = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def raw_query():
    with connection.cursor() as cur:
        cur.execute(RAW_SQL, [TODAY + timedelta(days=60)])
        return len(cur.fetchall())


def explain() -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + RAW_SQL, [TODAY + timedelta(days=60)])
        return " | ".join(r[0].strip() for r in cur.fetchall()[:3])


def cleanup():
    mech = Mechanism.objects.filter(code=CODE).first()
    if mech is None:
        return
    Message.objects.filter(recipient__username__startswith=PREFIX).delete()
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM deadlines_obligation WHERE rule_id IN (SELECT id FROM deadlines_deadlinerule "
            "WHERE mechanism_id = %s)",
            [mech.pk],
        )
    DeadlineRule.objects.filter(mechanism=mech).delete()
    User.objects.filter(username__startswith=PREFIX).delete()
    ReportingUnit.objects.filter(mechanism=mech).delete()
    MemberUnit.objects.filter(mechanism=mech).delete()
    mech.delete()


def vacuum():
    """Give back what the deleted rows left behind (outside any transaction: VACUUM cannot run in one)."""
    with connection.cursor() as cur:
        for table in ("deadlines_obligation", "deadlines_message"):
            cur.execute(f"VACUUM ANALYZE {table}")


def build(n: int, units: int):
    mech = Mechanism.objects.create(
        code=CODE,
        name="sweepbench",
        province="sweepbench",
        established_on=date(2014, 1, 1),
        config_version="bench",
        config_digest="bench",
        loaded_at=timezone.now(),
    )
    MemberUnit.objects.create(mechanism=mech, code="lead", name="牵头单位", is_lead=True)
    rus = ReportingUnit.objects.bulk_create(
        [ReportingUnit(mechanism=mech, code=f"ru{i}", name=f"报送单位{i}", kind="市", order=i) for i in range(units)]
    )
    User.objects.bulk_create(
        [
            User(username=f"{PREFIX}{ru.pk}", reporting_unit=ru, email=f"ru{ru.pk}@bench.invalid", password="!")
            for ru in rus
        ]
    )
    rule = DeadlineRule.objects.create(
        mechanism=mech,
        code="bench",
        title="基准报送",
        obligors="reporting_units",
        starts=date(2014, 1, 1),
        schedule={
            "kind": "quarterly",
            "days": 5,
            "counting": "calendar",
            "reading": "after_quarter_end",
            "on_holiday": "next_working_day",
        },
        reminders={
            "before": [7, 3, 1],
            "on_due": True,
            "after_every": 2,
            "escalate_after": 3,
            "channels": ["inapp", "email"],
        },
    )
    # COPY is how one loads a million rows; the ORM path is what the product uses for its real volume.
    start = time.perf_counter()
    history_days = 3650
    with connection.cursor() as cur:
        with cur.copy(
            "COPY deadlines_obligation (rule_id, member_unit_id, reporting_unit_id, obligor_key, period, "
            "period_label, period_start, period_end, opens_on, due_on, status, is_late, created_at) "
            "FROM STDIN"
        ) as copy:
            now = timezone.now()
            for i in range(n):
                ru = rus[i % units]
                due = TODAY - timedelta(days=1 + (i * 7919) % history_days)
                copy.write_row(
                    (
                        rule.pk,
                        None,
                        ru.pk,
                        f"ru:{ru.pk}",
                        f"P{i // units}",
                        "基准期",
                        due,
                        due,
                        due,
                        due,
                        "accepted",
                        False,
                        now,
                    )
                )
    with connection.cursor() as cur:
        cur.execute("ANALYZE deadlines_obligation")
    return rule, time.perf_counter() - start


def make_one_percent_due(rule, n):
    k = max(n // 100, 1)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE deadlines_obligation SET status = 'open', due_on = %s WHERE id IN ("
            "SELECT id FROM deadlines_obligation WHERE rule_id = %s ORDER BY id LIMIT %s)",
            [TODAY, rule.pk, k],
        )
        cur.execute("ANALYZE deadlines_obligation")
    return k


def plan():
    mech = Mechanism.objects.get(code=CODE)
    with transaction.atomic():
        return reminders_plan(
            today=TODAY,
            now=timezone.make_aware(datetime.combine(TODAY, datetime.min.time())).replace(hour=9),
            mechanism_ids=[mech.pk],
        )


def world_sweep():
    """The deployment's own sweep over the world, today, rolled back: (ms, outbox rows it would write)."""
    deployed = mechanism_deployed()
    if deployed is None:
        return {}
    runs, written = [], 0
    for _ in range(3):
        try:
            with transaction.atomic():
                start = time.perf_counter()
                written = reminders_plan(mechanism_ids=[deployed.pk])
                runs.append(time.perf_counter() - start)
                raise Rollback
        except Rollback:
            pass
    owed = Obligation.objects.owed().filter(rule__mechanism=deployed).count()
    return {
        "mechanism": deployed.code,
        "owed_obligations": owed,
        "plan_ms": round(statistics.median(runs) * 1000, 1),
        "outbox_rows_written_then_rolled_back": written,
    }


def bench_scale(n, units):
    cleanup()
    rule, load_s = build(n, units)
    row = {"obligations": n, "units": units, "load_s": round(load_s, 1)}
    row["nothing_due_plan_ms"] = round(timed(plan)[0] * 1000, 2)
    row["nothing_due_raw_ms"] = round(timed(raw_query)[0] * 1000, 2)
    row["plan_query"] = explain()
    due = make_one_percent_due(rule, n)
    row["due_rows"] = due
    start = time.perf_counter()
    written = plan()
    row["one_percent_first_plan_ms"] = round((time.perf_counter() - start) * 1000, 1)
    row["outbox_rows_written"] = written
    row["one_percent_repeat_plan_ms"] = round(timed(plan, repeat=3)[0] * 1000, 1)
    row["one_percent_raw_ms"] = round(timed(raw_query)[0] * 1000, 2)
    return row


def bench_smtp(mails: int):
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    import logging
    import socket

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.DEADLINES_EMAIL_URL = f"smtp://127.0.0.1:{port}"
    results = {}
    try:
        for threads in (1, 4):
            Message.objects.filter(subject="bench-mail").delete()
            user = User.objects.filter(username__startswith=PREFIX).first()
            now = timezone.now()
            rows = Message.objects.bulk_create(
                [
                    Message(
                        subject="bench-mail",
                        kind="digest",
                        recipient=user,
                        channel="email",
                        period=str(i),
                        address="bench@bench.invalid",
                        title="【每日汇总】基准",
                        body="基准邮件正文\n" * 20,
                        next_attempt_at=now,
                    )
                    for i in range(mails)
                ]
            )
            ids = (
                [m.pk for m in rows]
                if rows[0].pk
                else list(Message.objects.filter(subject="bench-mail").values_list("pk", flat=True))
            )
            before = Sink.count
            start = time.perf_counter()

            def send(message_id):
                return outbox.message_deliver(message_id=message_id)

            with ThreadPoolExecutor(threads) as pool:
                outcomes = list(pool.map(send, ids))
            elapsed = time.perf_counter() - start
            assert outcomes.count("sent") == mails and Sink.count - before == mails, "not every mail arrived once"
            results[f"mails_per_s_{threads}_thread"] = round(mails / elapsed, 1)
        Message.objects.filter(subject="bench-mail").delete()
    finally:
        controller.stop()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--units", type=int, default=1000, help="reporting units (one user each)")
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="leave the last scale's rows in the database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/sweep.py needs PostgreSQL: set DATABASE_URL=postgres://… (a scratch database)")
    call_command("migrate", verbosity=0)
    # The sweep's on-commit nudge to the broker is not what is measured here.
    import deadlines.reminders

    deadlines.reminders._dispatch_soon = lambda: None
    world = describe("sweep")
    rows = []
    smtp = {}
    ws = world_sweep()
    print("world sweep: " + json.dumps(ws, ensure_ascii=False), flush=True)
    try:
        for n in args.scales:
            row = bench_scale(n, args.units)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
        smtp = bench_smtp(args.mails)
        print(json.dumps(smtp), flush=True)
    finally:
        if not args.keep:
            cleanup()
            vacuum()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"sweep-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(
        json.dumps(
            {"world": world, "world_sweep": ws, "scales": rows, "smtp": smtp, "cpu_count": os.cpu_count()},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
