"""Bench: 督办总览 and 工作台 on PostgreSQL, in-process and under load through gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python manage.py migrate
    … manage.py generate_national_data [--scale small]     # the world (loads the mechanism and demo accounts)
    DATABASE_URL=… .venv/bin/python bench/dashboard.py --label national [--repeat 30] \
        [--load 50 --seconds 30 --port 8779]

1. In-process, through Django's test client (the whole request: middleware, view, template), as the
   demo convener (/dashboard/, a drill-down list, 逾期督办) and the demo office (/items/queue/, 报送任务,
   the obligations API): median and p95 server time, SQL query count and SQL time, over --repeat
   requests.
2. With --load N: starts gunicorn (2 workers × 4 threads, loopback only) on --port (default 8779,
   printed; the run stops if the port is taken), then N
   threads in this process — a second process from gunicorn's — each request /dashboard/ and
   /items/queue/ in turn with the convener's / office's session for --seconds, waiting --think seconds
   between requests (0 = a closed loop: 50 users firing back to back); reports the count,
   p50/p95/max and errors (non-200 or exceptions). Bounded: N ≤ 100, seconds ≤ 120.

Results go to bench/results/dashboard-<label>.json. The data sizes and the load average are printed
and recorded: the machine is shared, wall times are noisy; the query counts are not. It writes
nothing but the sessions it signs in with, and signs them out at the end."""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.world import describe  # noqa: E402
from members.models import User  # noqa: E402

PAGES = [
    ("dashboard", "demo_convener", "/dashboard/"),
    ("drill overdue", "demo_convener", "/dashboard/list/?metric=overdue"),
    ("overdue board", "demo_convener", "/deadlines/overdue/"),
    ("queue", "demo_office", "/items/queue/"),
    ("obligations", "demo_office", "/deadlines/"),
    ("api obligations", "demo_office", "/api/v1/obligations/"),
]


CLIENTS = []


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def in_process(repeat):
    results = {}
    for name, username, url in PAGES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        CLIENTS.append(client)
        assert client.get(url).status_code == 200, url  # warm-up (caches, connection)
        times, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
            sql.append(sum(float(x["time"]) for x in q.captured_queries) * 1000)
        results[name] = {
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(pct(times, 95), 1),
            "queries": len(q.captured_queries),
            "sql_ms_median": round(statistics.median(sql), 1),
            "bytes": len(response.content),
        }
        print(
            f"{name:<14} median {results[name]['median_ms']:7.1f} ms  p95 {results[name]['p95_ms']:7.1f} ms  "
            f"{results[name]['queries']:3d} queries  SQL {results[name]['sql_ms_median']:6.1f} ms  "
            f"{results[name]['bytes'] / 1024:.1f} KB"
        )
    return results


def session_cookie(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    CLIENTS.append(client)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def port_free(port) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def load_test(users, seconds, think=0.0, port=8779):
    users, seconds = min(users, 100), min(seconds, 120)
    if not port_free(port):
        sys.exit(f"port {port} is taken: pass another with --port")
    print(f"gunicorn on http://127.0.0.1:{port}/", flush=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ["DJANGO_SETTINGS_MODULE"], DJANGO_DEBUG="false")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        cookies = {"demo_convener": session_cookie("demo_convener"), "demo_office": session_cookie("demo_office")}
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health/", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        targets = [(cookies["demo_convener"], "/dashboard/"), (cookies["demo_office"], "/items/queue/")]
        # Warm-up, not measured: each worker thread's first request opens its database connection and
        # fills the per-process ladder cache (colours of old due dates walk the calendar once).
        for _ in range(24):
            for cookie, path in targets:
                urllib.request.urlopen(
                    urllib.request.Request(base + path, headers={"Cookie": cookie}), timeout=60
                ).read()
        times, errors, lock = [], [], threading.Lock()
        stop = time.monotonic() + seconds

        def user(n):
            i = n
            while time.monotonic() < stop:
                cookie, path = targets[i % 2]
                i += 1
                req = urllib.request.Request(base + path, headers={"Cookie": cookie})
                t = time.perf_counter()
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        r.read()
                        ok = r.status == 200 and r.geturl().endswith(path)
                except Exception as e:  # noqa: BLE001 — every failure is counted, not raised
                    with lock:
                        errors.append(repr(e)[:200])
                    ok = True  # counted above
                with lock:
                    times.append((time.perf_counter() - t) * 1000)
                    if not ok:
                        errors.append("status or redirect")
                if think:
                    time.sleep(think)

        threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(10)
    out = {
        "users": users,
        "seconds": seconds,
        "think_s": think,
        "requests": len(times),
        "rps": round(len(times) / seconds, 1),
        "p50_ms": round(pct(times, 50), 1),
        "p95_ms": round(pct(times, 95), 1),
        "max_ms": round(max(times), 1),
        "errors": len(errors),
        "error_samples": errors[:5],
    }
    print(
        f"load: {users} users, think {think}s, {seconds}s → {out['requests']} requests ({out['rps']}/s), p50 {out['p50_ms']} ms, "
        f"p95 {out['p95_ms']} ms, max {out['max_ms']} ms, errors {out['errors']}"
    )
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--load", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--think", type=float, default=0.0, help="seconds each user waits between requests")
    parser.add_argument("--port", type=int, default=8779, help="gunicorn's port for --load (loopback only)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    result = {"label": args.label, "world": describe("dashboard"), "loadavg_before": os.getloadavg()}
    try:
        result["pages"] = in_process(args.repeat)
        if args.load:
            result["load"] = load_test(args.load, args.seconds, args.think, args.port)
    finally:
        for client in CLIENTS:  # leave the world as found: no sessions left behind
            client.logout()
    result["loadavg_after"] = os.getloadavg()
    out = ROOT / "bench" / "results" / f"dashboard-{args.label}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"→ {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
