"""How fast the 创建进度 page (and the ledger's first page, and Annex 2) is on the national world.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python manage.py generate_national_data
    DATABASE_URL=… .venv/bin/python bench/communities.py

It runs on the ledger `generate_national_data` builds (10⁵ communities over 31 provinces' reporting
units at national scale, 10⁴ with `--scale small`) and writes nothing: it signs in as the world's
`bench_office` account. Each page is rendered through Django's test client, 3 warm-up + 15 timed
runs, and the median and p90 in ms and the number of SQL queries are printed."""

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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.world import describe  # noqa: E402
from communities.models import Community  # noqa: E402
from members.models import ReportingUnit, User  # noqa: E402

RUNS, WARMUP = 15, 3


def measure(client, path):
    for _ in range(WARMUP):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(ctx.captured_queries)


def main():
    setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS
    world = describe("communities")
    user = User.objects.filter(username="bench_office").first()
    if user is None:
        sys.exit("no bench accounts: build the world first (manage.py generate_national_data)")
    client = Client()
    client.force_login(user)
    mechanism = user.person.unit.mechanism
    own = Community.objects.filter(reporting_unit__mechanism=mechanism).count()
    unit = ReportingUnit.objects.filter(mechanism=mechanism).order_by("order", "pk").first()
    print(f"  {mechanism.province}: {own:,} communities of {world['sizes']['communities']:,}; runs: {RUNS}")
    results = {}
    for label, path in [
        ("创建进度 /communities/progress/?year=2022", "/communities/progress/?year=2022"),
        ("社区台账 first page", "/communities/"),
        (f"附件2 {unit.name}", f"/communities/progress/annex2/?unit={unit.code}"),
    ]:
        median, p90, queries = measure(client, path)
        results[label] = {"median_ms": round(median, 1), "p90_ms": round(p90, 1), "queries": queries}
        print(f"  {label:45s} median {median:7.1f} ms  p90 {p90:7.1f} ms  {queries} queries")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"communities-{world['sizes']['communities']}.json"
    path.write_text(json.dumps({"world": world, "results": results}, ensure_ascii=False, indent=2))
    print(f"written {path}")


if __name__ == "__main__":
    main()
