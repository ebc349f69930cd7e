"""How fast the yearly evaluation (考评) is on the national world, and that it costs a constant number
of aggregate queries whatever the number of units.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python manage.py generate_national_data
    DATABASE_URL=… .venv/bin/python bench/evaluation.py [--year 2025]

Measured (3 warm-up + 15 timed runs each, median and p90 in ms, SQL queries):
- the year's figures of the deployment's mechanism (`evaluation.selectors.year_figures`), then of
  every one of the world's mechanisms in turn (31 at national scale: 25 member units and 12
  prefectures each for the generated ones) — the query count per mechanism must not change;
- the whole computation as the office does it (`evaluation_compute`: figures, scores, ranks, the
  rows written, the audit entry), inside a transaction that is rolled back;
- the evaluation's page, the largest unit's drill-down and the Excel export, through the test
  client, inside the same rolled-back transaction.
It writes nothing that stays. The rules are the deployment's (`EvaluationRules`, or read from the
mechanism file when the world was built before the evaluation app existed)."""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.world import describe  # noqa: E402
from evaluation import scoring  # noqa: E402
from evaluation.models import EvaluationRules  # noqa: E402
from evaluation.rules import rules_parse  # noqa: E402
from evaluation.selectors import year_figures  # noqa: E402
from evaluation.services import evaluation_compute  # noqa: E402
from members.mechanism_config import mechanism_path, mechanism_spec_read  # noqa: E402
from members.models import Mechanism, User  # noqa: E402

RUNS, WARMUP = 15, 3


def timed(fn, runs=RUNS, warmup=WARMUP):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
        "queries": len(ctx.captured_queries),
    }


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=timezone.localdate().year - 1)
    args = parser.parse_args()
    setup_test_environment()
    world = describe("evaluation")
    office = User.objects.filter(username="bench_office").select_related("person__unit__mechanism").first()
    if office is None:
        sys.exit("no bench accounts: build the world first (manage.py generate_national_data)")
    mechanism = office.person.unit.mechanism
    loaded = EvaluationRules.objects.filter(mechanism=mechanism).first()
    rules = (
        loaded.rules if loaded else rules_parse(mechanism_spec_read(mechanism_path(mechanism.code)).extra["evaluation"])
    )
    today = timezone.localdate()
    results = {}

    def line(label, r):
        results[label] = r
        print(
            f"  {label:58s} median {r['median_ms']:8.1f} ms  p90 {r['p90_ms']:8.1f} ms  {r['queries']} queries",
            flush=True,
        )

    _, figures = year_figures(mechanism.pk, args.year, today)
    due = sum(f["due"] for f in figures.values())
    print(f"  {mechanism.province} {args.year}: {len(figures)} units with records, {due:,} things due in the year")
    line(f"figures {mechanism.province} {args.year}", timed(lambda: year_figures(mechanism.pk, args.year, today)))

    def score_all():
        _, figs = year_figures(mechanism.pk, args.year, today)
        return [scoring.score(f, rules, key[:2]) for key, f in figs.items()]

    line(f"figures + scores {mechanism.province} {args.year}", timed(score_all))

    mechanisms = list(Mechanism.objects.order_by("pk").values_list("pk", flat=True))
    per = []

    def every_province():
        for pk in mechanisms:
            with CaptureQueriesContext(connection) as ctx:
                year_figures(pk, args.year, today)
            per.append(len(ctx.captured_queries))

    line(f"figures of all {len(mechanisms)} mechanisms, one after another", timed(every_province, runs=5, warmup=1))
    print(f"  queries per mechanism: {sorted(set(per))} (constant: {len(set(per)) == 1})")
    results["queries_per_mechanism"] = sorted(set(per))

    if loaded is None:
        print("  (no EvaluationRules row: run manage.py load_mechanism to measure the office's computation)")
    else:
        client = Client()
        client.force_login(office)
        from django_otp import DEVICE_ID_SESSION_KEY  # the office's pages need a second factor
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=office, confirmed=True).first()
        try:
            with transaction.atomic():
                if device is None:
                    device = TOTPDevice.objects.create(user=office, name="bench", confirmed=True)
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
                line(
                    f"evaluation_compute {mechanism.province} {args.year} (create, then recompute)",
                    timed(lambda: evaluation_compute(mechanism=mechanism, year=args.year, by=office), runs=5, warmup=1),
                )
                ev = mechanism.evaluations.get(year=args.year)
                busiest = ev.scores.order_by("-figures__due", "pk").first()
                for label, path in [
                    ("考评结果 page", f"/evaluation/{ev.pk}/"),
                    (f"drill-down 按时完成率 {busiest.name}", f"/evaluation/{ev.pk}/units/{busiest.pk}/ontime_rate/"),
                    (f"drill-down 逾期天数 {busiest.name}", f"/evaluation/{ev.pk}/units/{busiest.pk}/overdue_days/"),
                    ("Excel export", f"/evaluation/{ev.pk}/export.xlsx"),
                    ("Word export", f"/evaluation/{ev.pk}/export.docx"),
                ]:
                    assert client.get(path).status_code == 200, path
                    line(label, timed(lambda p=path: client.get(p)))
                raise Rollback
        except Rollback:
            pass
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"evaluation-{world['sizes']['obligations']}.json"
    path.write_text(json.dumps({"world": world, "year": args.year, "results": results}, ensure_ascii=False, indent=2))
    print(f"written {path}")


if __name__ == "__main__":
    main()
