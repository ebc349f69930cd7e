"""Bench: the prefecture's pages, a county's and the province's with every prefecture holding its counties
(docs/counties.md), in-process through Django's test client, beside the same pages on a world without
counties.

    DATABASE_URL=… manage.py generate_national_data [--scale small --obligations 100000 \
        --county_obligations 100000] [--counties 0]
    DATABASE_URL=… .venv/bin/python bench/counties.py --label <label> [--repeat 20]

Pages: as the demo prefecture account of 贵阳市 — 报送任务 (its own), 报送任务 下辖县（市、区）, a passed-down
obligation's page and its 县区分解与汇总 page, and `deadlines.cascade.pending_for`; as a county account —
报送任务 and its share; as the demo convener — 督办总览 and its overdue drill-down; as the demo office —
报送任务 and a prefecture's 县区分解与汇总. Pages that need counties are skipped on a world without them.
Median and p95 server time, query count, SQL time. Results go to bench/results/counties-<label>.json.
It writes nothing but the sessions it signs in with (and an authenticator for a privileged
account that has none), and removes them at the end."""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_CODE=<a checkout> measures that checkout's code (e.g. main before counties) on the same world.
CODE = Path(os.environ.get("BENCH_CODE", ROOT))
sys.path.insert(0, str(CODE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.world import describe  # noqa: E402

try:
    from deadlines import cascade  # noqa: E402
except ImportError:  # a checkout from before counties
    cascade = None
from deadlines.models import Obligation  # noqa: E402
from members.models import ReportingUnit, User  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(name, fn, repeat):
    fn()  # warm-up (caches, connection)
    times, sql = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            size = fn()
            times.append((time.perf_counter() - t) * 1000)
        sql.append(sum(float(x["time"]) for x in q.captured_queries) * 1000)
    out = {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(pct(times, 95), 1),
        "queries": len(q.captured_queries),
        "sql_ms_median": round(statistics.median(sql), 1),
        "bytes": size,
    }
    print(
        f"{name:<34} median {out['median_ms']:7.1f} ms  p95 {out['p95_ms']:7.1f} ms  {out['queries']:3d} queries  "
        f"SQL {out['sql_ms_median']:6.1f} ms  {size / 1024:.1f} KB",
        flush=True,
    )
    return out


CLIENTS, DEVICES = [], []


def page(username, url):
    """A client signed in as `username`, past the second factor as tests.conftest.verified_login does
    (a confirmed authenticator is added for the run if the account has none, and removed at the end)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.security import second_factor_required

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    CLIENTS.append(client)
    if second_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
            DEVICES.append(device)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    return get


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/counties.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    data = describe(f"counties {args.label}")
    guiyang = ReportingUnit.objects.get(code="guiyang")
    prefecture = User.objects.filter(reporting_unit=guiyang, is_demo=True).order_by("pk").first()
    with connection.cursor() as c:  # raw SQL: a checkout from before counties has no such fields
        c.execute("SELECT COUNT(*) FROM members_reportingunit WHERE parent_id IS NOT NULL")
        counties = c.fetchone()[0]
        c.execute("SELECT COUNT(*) FROM deadlines_obligation WHERE parent_id IS NOT NULL")
        shares = c.fetchone()[0]
    data["counties"], data["county_obligations"] = counties, shares
    print(f"  counties {counties:,}, county shares {shares:,}")
    pages = [
        ("prefecture 报送任务", prefecture.username, "/deadlines/"),
        ("convener 督办总览", "demo_convener", "/dashboard/"),
        ("convener drill-down overdue", "demo_convener", "/dashboard/list/?metric=overdue"),
        ("office 报送任务", "demo_office", "/deadlines/"),
    ]
    parent = (
        Obligation.objects.filter(reporting_unit=guiyang, shares__isnull=False).order_by("-due_on").first()
        if cascade is not None
        else None
    )
    if parent is not None:
        share = parent.shares.order_by("pk").first()
        county_user = User.objects.filter(reporting_unit_id=share.reporting_unit_id).order_by("pk").first()
        pages += [
            ("prefecture 报送任务 下辖县（市、区）", prefecture.username, "/deadlines/?scope=counties"),
            ("prefecture obligation page", prefecture.username, f"/deadlines/obligations/{parent.pk}/"),
            ("prefecture 县区分解与汇总", prefecture.username, f"/deadlines/obligations/{parent.pk}/counties/"),
            ("county 报送任务", county_user.username, "/deadlines/?status=all"),
            ("county share page", county_user.username, f"/deadlines/obligations/{share.pk}/"),
            ("office 县区分解与汇总", "demo_office", f"/deadlines/obligations/{parent.pk}/counties/"),
        ]
        data["parent"] = {"id": parent.pk, "shares": parent.shares.count()}
    results = {}
    try:
        for name, username, url in pages:
            results[name] = {"url": url, **measure(name, page(username, url), args.repeat)}
    finally:
        for client in CLIENTS:  # leave the world as found: no sessions or authenticators left behind
            client.logout()
        for device in DEVICES:
            device.delete()
    data["code"] = str(CODE)
    if parent is not None:
        results["pending_for (prefecture)"] = measure(
            "pending_for (prefecture)", lambda: len(cascade.pending_for(prefecture, limit=50)), args.repeat
        )
    data["results"] = results
    out = ROOT / "bench" / "results" / f"counties-{args.label}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1))
    print(f"→ {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
