"""Bench: 我的待办 and 工作台 beside viewflow's stock inbox, on PostgreSQL, on the national world.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python manage.py generate_national_data
    DATABASE_URL=… .venv/bin/python bench/inbox.py [--repeat 30]

It runs on the world `generate_national_data` builds (items with their shares, viewflow processes and
tasks, ~10 flow tasks per item; `--scale small` for the 10⁴ sibling) and writes nothing: it signs in as
the world's bench accounts (`bench_liaison_zjt`, `bench_office`). It measures, in-process through
Django's test client (the whole request: middleware, views, templates), each page's median server
time, SQL query count and page size (plus the SQL time the database reported and this process's CPU
time, which shared, loaded machines distort less than wall time; the load average is recorded too):

    ours/inbox        /items/inbox/                 a lead unit's liaison: the unified 我的待办 (every kind of
                                                    step, workflow.inbox), most urgent first, with the counts
    ours/inbox p2     /items/inbox/?after=…         the second page (the link read off page 1's HTML)
    ours/inbox task   /items/inbox/?kind=task       the supervised items' kind only (what 我的待办 was before)
    ours/inbox office /items/inbox/                 the office's own steps (reviews, reports to accept, …)
    ours/api inbox    /api/v1/inbox/                the unified inbox through the API
    ours/inbox q      /items/inbox/?q=垃圾&due=overdue  a search for a common word, with a filter
    ours/inbox q rare /items/inbox/?q=第N号          a search only one title answers
    ours/queue        /items/queue/                 the office's 工作台
    ours/queue p2     /items/queue/?after=…         its second page (the link read off page 1's HTML)
    ours/queue unit   /items/queue/?unit=…&due=soon one unit's due-soon items
    ours/queue q      /items/queue/?q=噪声&status=all  every item, a common word
    ours/queue q rare /items/queue/?q=第N号&status=all every item, one title
    ours/api tasks    /api/v1/tasks/                the same inbox through the API
    stock/inbox       /vf/item/inbox/               viewflow's FlowInboxListView, same user
    stock/queue       /vf/item/queue/               viewflow's FlowQueueListView

Results: bench/results/inbox-<flow tasks>.json. Before the unified inbox (issue 12) `ours/inbox` listed
the supervised items only; run an older checkout's bench/inbox.py on the same world for those figures.
"""

import argparse
import html
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

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
from tasks.flows import ItemFlow  # noqa: E402
from tasks.models import Item  # noqa: E402


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the world's accounts ----------------------------------------------------------------------------


def next_link(response) -> str:
    """The 下一页 link of a list page, read off its HTML (outside the test environment a response
    carries no template context)."""
    match = re.search(r'href="\?([^"]*after=[^"]+)"', response.content.decode())
    return "?" + html.unescape(match.group(1)) if match else None


# --- measurement ---------------------------------------------------------------------------------------


def measure(client, url, repeat):
    for _ in range(3):  # warm caches, connections, template loading
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, sql, cpu = [], [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    return {
        "url": url,
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(sorted(times)[int(0.9 * len(times)) - 1], 2),
        "sql_median_ms": round(statistics.median(sql), 2),
        "python_cpu_median_ms": round(statistics.median(cpu), 2),
        "queries": len(ctx.captured_queries),
        "bytes": len(response.content),
        "status": response.status_code,
        "load_average": os.getloadavg()[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/inbox.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    settings.ROOT_URLCONF = "bench.stock_urls"
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    world = describe("inbox")
    liaison = User.objects.filter(username="bench_liaison_zjt").first()
    office = User.objects.filter(username="bench_office").first()
    if liaison is None or office is None:
        sys.exit("no bench accounts: build the world first (manage.py generate_national_data)")
    zjt = liaison.person.unit
    counts = {
        "items": Item.objects.count(),
        "tasks": ItemFlow.task_class.objects.count(),
        "open_for_liaison": ItemFlow.task_class.objects.filter(owner=liaison, status="ASSIGNED").count(),
    }
    from workflow.inbox import inbox_page

    counts["inbox_liaison"] = {kind: n for kind, _, n in inbox_page(liaison).counts}
    counts["inbox_office"] = {kind: n for kind, _, n in inbox_page(office).counts}
    log(f"data: {counts}")
    lc, oc = Client(), Client()
    lc.force_login(liaison)
    device = _verified_login(oc, office)
    try:
        _run(args, liaison, office, zjt, lc, oc, counts, world)
    finally:
        if device is not None:
            device.delete()


def _verified_login(client, user):
    """force_login, and for an account that needs a second factor (the office) a session marked as
    verified with an authenticator made for the run (deleted after it), as django_otp.login does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.security import second_factor_required

    client.force_login(user)
    if not second_factor_required(user):
        return None
    device = TOTPDevice.objects.create(user=user, name="压测临时验证器", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def _run(args, liaison, office, zjt, lc, oc, counts, world):
    results = {}
    # An open item of the liaison's unit, to search by its number (a word only one title has).
    rare_item = (
        Item.objects.filter(assignments__unit=zjt)
        .exclude(status="done")
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    inbox_next, queue_next = next_link(lc.get("/items/inbox/")), next_link(oc.get("/items/queue/"))
    pages = [
        ("ours/inbox", lc, "/items/inbox/"),
        ("ours/inbox p2", lc, inbox_next and "/items/inbox/" + inbox_next),
        ("ours/inbox q", lc, "/items/inbox/?q=%E5%9E%83%E5%9C%BE&due=overdue"),  # 垃圾: a common word
        ("ours/inbox q rare", lc, "/items/inbox/?q=" + quote(f"第{rare_item}号")),  # one item
        ("ours/inbox task", lc, "/items/inbox/?kind=task"),
        ("ours/inbox office", oc, "/items/inbox/"),
        ("ours/api inbox", lc, "/api/v1/inbox/"),
        ("ours/queue", oc, "/items/queue/"),
        ("ours/queue p2", oc, queue_next and "/items/queue/" + queue_next),
        ("ours/queue unit", oc, f"/items/queue/?unit={zjt.pk}&due=soon"),
        ("ours/queue q", oc, "/items/queue/?q=" + quote("噪声") + "&status=all"),  # every item, a common word
        ("ours/queue q rare", oc, "/items/queue/?q=" + quote(f"第{rare_item}号") + "&status=all"),
        ("ours/api tasks", lc, "/api/v1/tasks/"),
        ("stock/inbox", lc, "/vf/item/inbox/"),
        ("stock/queue", oc, "/vf/item/queue/"),
    ]
    first_pages = {"ours/inbox": lc.get("/items/inbox/").content, "ours/queue": oc.get("/items/queue/").content}
    for label, client, url in pages:
        if url is None:
            log(f"{label:18} no second page in this data set (fewer than 51 rows)")
            continue
        results[label] = measure(client, url, args.repeat)
        r = results[label]
        log(
            f"{label:18} median {r['median_ms']:8.2f} ms  p90 {r['p90_ms']:8.2f} ms  SQL {r['sql_median_ms']:7.2f} ms  "
            f"CPU {r['python_cpu_median_ms']:7.2f} ms  "
            f"{r['queries']:3d} queries  {r['bytes'] / 1024:8.1f} KB  (load {r['load_average']:.1f})"
        )
    # page 2 is another page: different rows from page 1
    for page in ("ours/inbox", "ours/queue"):
        if f"{page} p2" not in results:
            continue
        second = (lc if page == "ours/inbox" else oc).get(results[f"{page} p2"]["url"]).content
        assert second != first_pages[page], f"{page} p2 answered page 1"
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"inbox-{counts['tasks']}.json"
    path.write_text(json.dumps({"world": world, "counts": counts, "results": results}, ensure_ascii=False, indent=2))
    log(f"written {path}")


if __name__ == "__main__":
    main()
