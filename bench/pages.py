"""Bench: every page and API list a liaison, the office and the convener use, in-process on PostgreSQL.

    DATABASE_URL=postgres://…/<world> .venv/bin/python bench/pages.py --label national [--repeat 10]
    DATABASE_URL=postgres://…/<world> .venv/bin/python bench/pages.py --compare small national

Whole requests through Django's test client (middleware, view, template), signed in as the demo
liaison of 省民政厅, the demo office and the demo convener of the deployment's mechanism (the world of
`manage.py generate_national_data [--scale small]`). For each page: median and p95 of --repeat
requests after one warm-up, the SQL query count, SQL time and the bytes of the answer. Page 2 of the
keyset lists is the link read off page 1. Results go to bench/results/pages-<label>.json;
`--compare A B` prints the two side by side with the growth B/A (the issue's target: ≤ 50 ms median
at national scale, ≤ 25 ms for the inbox and the queue, growth ≤ 1.5×). It writes nothing but the
sessions it signs in with (and an authenticator for a privileged demo account without one,
deleted at the end)."""

import argparse
import json
import os
import re
import statistics
import sys
import time
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.world import describe  # noqa: E402
from members.models import MemberUnit, User  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LIAISON, OFFICE, CONVENER = "demo_liaison_mzt", "demo_office", "demo_convener"
FAST = {"我的待办", "工作台"}  # the 25 ms pages


def pages() -> list[tuple[str, str, str]]:
    from django.conf import settings

    mzt = MemberUnit.objects.get(mechanism__code=settings.MECHANISM, code="mzt")
    return [
        ("我的待办", LIAISON, "/items/inbox/"),
        ("我的待办 page 2", LIAISON, "next:/items/inbox/"),
        ("报送任务 (liaison)", LIAISON, "/deadlines/"),
        ("API obligations (liaison)", LIAISON, "/api/v1/obligations/"),
        ("API tasks (liaison)", LIAISON, "/api/v1/tasks/"),
        ("我的提醒 (liaison)", LIAISON, "/deadlines/notifications/"),
        ("会议 (liaison)", LIAISON, "/meetings/"),
        ("工作台", OFFICE, "/items/queue/"),
        ("工作台 page 2", OFFICE, "next:/items/queue/"),
        ("报送任务 (office)", OFFICE, "/deadlines/"),
        ("报送任务 (office) all, page 2", OFFICE, "/deadlines/?status=all&page=2"),
        ("API obligations (office)", OFFICE, "/api/v1/obligations/"),
        ("API obligations (office) page 2", OFFICE, "next:/api/v1/obligations/"),
        ("API items (office)", OFFICE, "/api/v1/items/"),
        ("API meetings (office)", OFFICE, "/api/v1/meetings/"),
        ("API communities (office)", OFFICE, "/api/v1/communities/"),
        ("会议 (office)", OFFICE, "/meetings/"),
        ("社区台账 (office)", OFFICE, "/communities/"),
        ("创建进度 (office)", OFFICE, "/communities/progress/"),
        ("发送记录 (office)", OFFICE, "/deadlines/deliveries/"),
        ("督办总览", CONVENER, "/dashboard/"),
        *((f"drill-down {m}", CONVENER, f"/dashboard/list/?metric={m}") for m in ("open", "soon", "overdue", "red")),
        ("逾期督办", CONVENER, "/deadlines/overdue/"),
        ("逾期督办 page 2", CONVENER, "next:/deadlines/overdue/"),
        ("逾期督办 one unit", CONVENER, f"/deadlines/overdue/?unit=mu:{mzt.pk}"),
    ]


def client_for(username: str) -> Client:
    """A signed-in client; a privileged account's session is marked as having passed its second factor
    with the account's authenticator, if it has one (as `django_otp.login` does)."""
    client = Client()
    user = User.objects.get(username=username)
    client.force_login(user)
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.security import second_factor_required

    if second_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:  # removed again at the end (CREATED)
            device = TOTPDevice.objects.create(user=user, name="基准测试", confirmed=True)
            CREATED.append(device)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


CREATED = []


def next_link(client, url) -> str | None:
    """The next page's address as page 1 shows it (a keyset cursor or ?page=2)."""
    response = client.get(url)
    if url.startswith("/api/"):
        return (response.json().get("next") or "").replace("http://testserver", "") or None
    match = re.search(r'href="([^"]*(?:cursor|after|page)=[^"]*)"[^>]*>下一页', response.content.decode())
    if not match:
        return None
    link = unescape(match.group(1))
    return link if link.startswith("/") else url.split("?")[0] + link


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(repeat: int) -> dict:
    clients, results = {}, {}
    for name, username, url in pages():
        client = clients.get(username) or clients.setdefault(username, client_for(username))
        if url.startswith("next:"):
            url = next_link(client, url[5:])
            if url is None:
                print(f"{name:<34} (no page 2)")
                continue
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (name, url, response.status_code)
        times, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (name, url, response.status_code)
            sql.append(sum(float(x["time"]) for x in q.captured_queries) * 1000)
        r = results[name] = {
            "url": url,
            "user": username,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(pct(times, 95), 1),
            "queries": len(q.captured_queries),
            "sql_ms_median": round(statistics.median(sql), 1),
            "bytes": len(response.content),
        }
        print(
            f"{name:<34} median {r['median_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  {r['queries']:3d} queries  "
            f"SQL {r['sql_ms_median']:6.1f} ms  {r['bytes'] / 1024:7.1f} KB",
            flush=True,
        )
    for client in clients.values():
        client.logout()
    for device in CREATED:
        device.delete()
    return results


def compare(a: str, b: str) -> None:
    A, B = (json.loads((RESULTS / f"pages-{x}.json").read_text()) for x in (a, b))
    print(f"| page | {a} median | {b} median | {b} p95 | queries {a} / {b} | KB {b} | growth | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, rb in B["pages"].items():
        ra = A["pages"].get(name)
        target = 25 if name.split(" page")[0] in FAST else 50
        growth = rb["median_ms"] / ra["median_ms"] if ra else None
        ok = rb["median_ms"] <= target and (growth is None or growth <= 1.5)
        print(
            f"| {name} | {ra['median_ms'] if ra else '—'} | {rb['median_ms']} | {rb['p95_ms']} | "
            f"{ra['queries'] if ra else '—'} / {rb['queries']} | {rb['bytes'] / 1024:.1f} | "
            f"{f'{growth:.2f}×' if growth else '—'} | {'met' if ok else 'not met'} (≤ {target} ms) |"
        )
    print(f"\n{a}: load {A['world']['load_average']}; {b}: load {B['world']['load_average']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="run")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]  # the test client's host
    world = describe(f"pages {args.label}")
    results = measure(min(args.repeat, 100))
    world["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"pages-{args.label}.json"
    out.write_text(json.dumps({"world": world, "pages": results}, ensure_ascii=False, indent=1) + "\n")
    print(f"→ {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
