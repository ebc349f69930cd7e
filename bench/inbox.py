"""Bench: 我的待办 and 工作台 beside viewflow's stock inbox, on PostgreSQL, at a given scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/inbox.py \
        --items 100000 --tasks 1000000 --reset [--repeat 30]

It FILLS the database named by DATABASE_URL (`--reset` first empties the item and viewflow tables
there): never point it at a database whose items you want to keep. Rows go in with COPY, with a
progress line every 100,000 rows. Then it measures, in-process through Django's test client (the
whole request: middleware, views, templates), each page's median server time, SQL query count and
page size (plus the SQL time the database reported and this process's CPU time, which
shared, loaded machines distort less than wall time; the load average is recorded too):

    ours/inbox        /items/inbox/                 a lead unit's liaison (soonest-due open tasks)
    ours/inbox p2     /items/inbox/?after=…         the second keyset page
    ours/inbox q      /items/inbox/?q=垃圾&due=overdue  a search for a common word, with a filter
    ours/inbox q rare /items/inbox/?q=第N号          a search only one title answers
    ours/queue        /items/queue/                 the office's 工作台
    ours/queue unit   /items/queue/?unit=…&due=soon one unit's due-soon items
    ours/queue q      /items/queue/?q=噪声&status=all  every item, a common word
    ours/queue q rare /items/queue/?q=第N号&status=all every item, one title
    ours/api tasks    /api/v1/tasks/                the same inbox through the API
    stock/inbox       /vf/item/inbox/               viewflow's FlowInboxListView, same user
    stock/queue       /vf/item/queue/               viewflow's FlowQueueListView

Data shape: 20% of items are open (their units' tasks todo/claimed), 80% done; each item has one lead
and 0–2 participating units among the seven; ~10 viewflow tasks per item (start, split, one task per
unit, join, review, decide, end, plus done revision rounds) until --tasks is reached. So the stock
inbox lists the same open work, each open unit task is stored as viewflow would store a claimed
human task (status ASSIGNED, owner = that unit's liaison). Results: bench/results/<scale>.json.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from viewflow.workflow.fields import get_flow_ref, get_task_ref  # noqa: E402

from members.mechanism_config import mechanism_path, mechanism_spec_read  # noqa: E402
from members.models import Mechanism, MemberUnit, Person, Role, RoleAssignment, User  # noqa: E402
from members.services import account_create, mechanism_load  # noqa: E402
from tasks.models import Item  # noqa: E402
from workflow.flows import ItemFlow  # noqa: E402

PROGRESS_EVERY = 100_000


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- setup ---------------------------------------------------------------------------------------------


def ensure_people():
    if not Mechanism.objects.filter(code="guizhou").exists():
        mechanism_load(spec=mechanism_spec_read(mechanism_path("guizhou")))
    mechanism = Mechanism.objects.get(code="guizhou")
    liaisons = {}
    for unit in MemberUnit.objects.filter(mechanism=mechanism):
        username = f"bench_liaison_{unit.code}"
        user = User.objects.filter(username=username).first()
        if user is None:
            person = Person.objects.create(unit=unit, name=f"压测联络员{unit.code}", is_demo=True)
            RoleAssignment.objects.create(mechanism=mechanism, person=person, role=Role.LIAISON, unit=unit,
                                          start_date=mechanism.established_on)
            user = account_create(username=username, password="bench-pass-2026", person=person, is_demo=True)
        liaisons[unit.pk] = user
    office = User.objects.filter(username="bench_office").first()
    if office is None:
        lead = MemberUnit.objects.get(mechanism=mechanism, is_lead=True)
        person = Person.objects.create(unit=lead, name="压测办公室", is_demo=True)
        RoleAssignment.objects.create(mechanism=mechanism, person=person, role=Role.OFFICE_STAFF, unit=lead,
                                      start_date=mechanism.established_on)
        office = account_create(username="bench_office", password="bench-pass-2026", person=person, is_demo=True)
    # viewflow's stock views need the process model's view permission (stack-notes).
    ct = ContentType.objects.get_for_model(ItemFlow.process_class, for_concrete_model=False)
    view = Permission.objects.get(content_type=ct, codename="view_itemprocess")
    for user in [*liaisons.values(), office]:
        user.user_permissions.add(view)
    return liaisons, office


def reset():
    with connection.cursor() as c:
        c.execute("TRUNCATE tasks_unitrequest, tasks_comment, tasks_attachment, tasks_assignment, tasks_item, "
                  "viewflow_task_previous, viewflow_task, viewflow_process RESTART IDENTITY CASCADE")


# --- generation ----------------------------------------------------------------------------------------


COLUMNS = {
    "tasks_item": ["id", "title", "content", "source", "source_note", "due_date", "contribution_due_date", "status",
                   "version", "created_by_id", "created_at", "accepted_at", "review_round", "progress"],
    "viewflow_process": ["id", "flow_class", "status", "created", "finished", "data", "artifact_content_type_id",
                         "artifact_object_id"],
    "tasks_assignment": ["id", "item_id", "unit_id", "role", '"order"', "due_date", "status", "result",
                         "claimed_by_id", "claimed_at", "version", "flow_task_id"],
    "viewflow_task": ["id", "flow_task", "flow_task_type", "status", "created", "assigned", "started", "finished",
                      "token", "owner_id", "process_id", "data"],
}
CHUNK = 10_000  # items per round of COPYs (one COPY at a time per connection; memory stays bounded)


def copy_rows(table, rows):
    with connection.cursor() as c:
        with c.cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def generate(n_items, n_tasks, liaisons, office, seed=2026):
    rnd = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    unit_ids = sorted(liaisons)
    item_ct = ContentType.objects.get_for_model(Item).pk
    flow_ref = get_flow_ref(ItemFlow)
    ref = {name: get_task_ref(getattr(ItemFlow, name)) for name in
           ("start", "route", "unit_work", "join", "review", "decide", "end")}
    kind = {name: getattr(ItemFlow, name).task_type for name in ref}
    per_item = max(7, n_tasks // max(n_items, 1))
    words = ["老旧小区改造", "垃圾分类", "海绵城市", "社区议事协商", "智慧安防", "绿色出行", "节能灯具", "噪声治理",
             "适老化改造", "停车秩序", "物业管理", "社区绿化"]
    assignment_id = task_id = 0
    rows = {t: [] for t in COLUMNS}
    totals = dict.fromkeys(COLUMNS, 0)
    next_report = PROGRESS_EVERY

    def flush():
        nonlocal next_report
        for table, table_rows in rows.items():
            copy_rows(table, table_rows)
            totals[table] += len(table_rows)
            table_rows.clear()
        if totals["viewflow_task"] >= next_report:
            log("  " + ", ".join(f"{t}: {n:,}" for t, n in totals.items()))
            next_report = totals["viewflow_task"] + PROGRESS_EVERY

    for item_id in range(1, n_items + 1):
        open_ = rnd.random() < 0.2
        due = today + timedelta(days=rnd.randint(-40, 60) if open_ else -rnd.randint(0, 700))
        contribution = due - timedelta(days=2)
        created = now - timedelta(days=rnd.randint(10, 800))
        title = f"{rnd.choice(words)}督办事项第{item_id}号"
        units = rnd.sample(unit_ids, 1 + rnd.randint(0, 2))
        statuses = [("todo" if rnd.random() < 0.5 else "claimed") if open_ else "done" for _ in units]
        # Item.progress as tasks.services writes it: [unit, role, order, status], leads first.
        progress = [[u, "lead" if k == 0 else "participating", 0 if k == 0 else k - 1, st]
                    for k, (u, st) in enumerate(zip(units, statuses))]
        rows["tasks_item"].append((item_id, title, "压测数据", "ad_hoc", "", due, contribution,
                                   "in_progress" if open_ else "done", 1, office.pk, created,
                                   None if open_ else created, 0, json.dumps(progress)))
        rows["viewflow_process"].append((item_id, flow_ref, "NEW" if open_ else "DONE", created,
                                         None if open_ else created, json.dumps({"item": item_id}), item_ct, item_id))
        token_base = f"start/{task_id + 2}"

        def task(name, status, owner=None, data=None, token="start"):
            nonlocal task_id
            task_id += 1
            rows["viewflow_task"].append((task_id, ref[name], kind[name], status, created,
                                          created if owner else None, created,
                                          created if status == "DONE" else None, token, owner, item_id,
                                          json.dumps(data or {})))
            return task_id

        task("start", "DONE")
        task("route", "DONE")
        emitted = 2
        for order, unit_id in enumerate(units):
            assignment_id += 1
            status = statuses[order]
            owner = liaisons[unit_id].pk if open_ else None
            tid = task("unit_work", "ASSIGNED" if open_ else "DONE", owner, {"assignment": assignment_id},
                       token=f"{token_base}_{order + 1}")
            emitted += 1
            role = "lead" if order == 0 else "participating"
            rows["tasks_assignment"].append((assignment_id, item_id, unit_id, role, 0 if order == 0 else order - 1,
                                             due if role == "lead" else contribution, status, "",
                                             liaisons[unit_id].pk if status == "claimed" else None,
                                             created if status == "claimed" else None, 1, tid))
        if open_:
            task("join", "STARTED")
            emitted += 1
        else:
            for name in ("join", "review", "decide", "end"):
                task(name, "DONE")
            emitted += 4
        while emitted < per_item:  # done revision rounds: the task count of a long-lived system
            task(("route", "unit_work", "join", "review", "decide")[emitted % 5], "DONE")
            emitted += 1
        if item_id % CHUNK == 0:
            flush()
    flush()
    with connection.cursor() as c:
        for table in ("tasks_item", "tasks_assignment", "viewflow_process", "viewflow_task"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        log("ANALYZE")
        c.execute("ANALYZE")
    return task_id


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
    return {"url": url, "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(sorted(times)[int(0.9 * len(times)) - 1], 2), "sql_median_ms": round(statistics.median(sql), 2),
            "python_cpu_median_ms": round(statistics.median(cpu), 2),
            "queries": len(ctx.captured_queries), "bytes": len(response.content), "status": response.status_code,
            "load_average": os.getloadavg()[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reset", action="store_true", help="empty the item and viewflow tables first")
    parser.add_argument("--measure-only", action="store_true", help="measure the data already there")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/inbox.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    settings.ROOT_URLCONF = "bench.stock_urls"
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    liaisons, office = ensure_people()
    if not args.measure_only:
        if Item.objects.exists() and not args.reset:
            sys.exit("items already exist: pass --reset to empty the tables, or --measure-only")
        if args.reset:
            reset()
        log(f"generating {args.items:,} items and ~{args.tasks:,} flow tasks (COPY)")
        t0 = time.perf_counter()
        n = generate(args.items, args.tasks, liaisons, office)
        log(f"generated {n:,} tasks in {time.perf_counter() - t0:.0f} s")

    zjt = MemberUnit.objects.get(code="zjt")
    liaison, results = liaisons[zjt.pk], {}
    counts = {"items": Item.objects.count(),
              "tasks": ItemFlow.task_class.objects.count(),
              "open_for_liaison": ItemFlow.task_class.objects.filter(owner=liaison, status="ASSIGNED").count()}
    log(f"data: {counts}")
    lc, oc = Client(), Client()
    lc.force_login(liaison)
    oc.force_login(office)
    # An open item of the liaison's unit, to search by its number (a word only one title has).
    rare_item = (Item.objects.filter(assignments__unit=zjt).exclude(status="done").order_by("-pk")
                 .values_list("pk", flat=True).first())
    first = lc.get("/items/inbox/")
    cursor = first.context["next_cursor"] if first.context else ""
    pages = [
        ("ours/inbox", lc, "/items/inbox/"),
        ("ours/inbox p2", lc, f"/items/inbox/?after={cursor}"),
        ("ours/inbox q", lc, "/items/inbox/?q=%E5%9E%83%E5%9C%BE&due=overdue"),  # 垃圾: a common word
        ("ours/inbox q rare", lc, "/items/inbox/?q=" + quote(f"第{rare_item}号")),  # one item
        ("ours/queue", oc, "/items/queue/"),
        ("ours/queue unit", oc, f"/items/queue/?unit={zjt.pk}&due=soon"),
        ("ours/queue q", oc, "/items/queue/?q=" + quote("噪声") + "&status=all"),  # every item, a common word
        ("ours/queue q rare", oc, "/items/queue/?q=" + quote(f"第{rare_item}号") + "&status=all"),
        ("ours/api tasks", lc, "/api/v1/tasks/"),
        ("stock/inbox", lc, "/vf/item/inbox/"),
        ("stock/queue", oc, "/vf/item/queue/"),
    ]
    for label, client, url in pages:
        results[label] = measure(client, url, args.repeat)
        r = results[label]
        log(f"{label:16} median {r['median_ms']:8.2f} ms  p90 {r['p90_ms']:8.2f} ms  SQL {r['sql_median_ms']:7.2f} ms  "
            f"CPU {r['python_cpu_median_ms']:7.2f} ms  "
            f"{r['queries']:3d} queries  {r['bytes'] / 1024:8.1f} KB  (load {r['load_average']:.1f})")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"inbox-{counts['tasks']}.json"
    path.write_text(json.dumps({"counts": counts, "results": results}, ensure_ascii=False, indent=2))
    log(f"written {path}")


if __name__ == "__main__":
    main()
