"""Bench: 我的待办, 处室事项, the item page and 督办总览 with divisions (二次交办, docs/divisions.md).

    DATABASE_URL=postgres://…/<scratch db> .venv/bin/python manage.py generate_national_data [sizes]
    DATABASE_URL=… .venv/bin/python bench/divisions.py [--repeat 10] [--divisions 3] [--share 0.5]

On the world `generate_national_data` builds (31 provinces), it measures the pages first as they are
("before"), then ADDS the division layer — every member unit of every province gets its divisions
(Guizhou's are the roster's; a generated unit gets `--divisions`), the coordinating division set, and
a `--share` of every province's unit shares passed down to two of its divisions (open shares' parts
open, one in four of them waiting for the division head's review; done shares' parts consolidated) —
and measures again ("after"), with the division accounts of 住建厅 (the roster's liaison and member of
住房保障处, and a bench liaison with the most parts). In-process through Django's test client: median
and p90 of the whole request, SQL query count, page size. Run it on a scratch database: it adds rows.

Results: bench/results/divisions-<label>.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.world import describe  # noqa: E402
from members.models import Division, Mechanism, MemberUnit, Person, Role, RoleAssignment, User  # noqa: E402
from members.services import access_sync, account_create  # noqa: E402
from tasks.division_inbox import pending_for  # noqa: E402
from tasks.models import Assignment  # noqa: E402

PASSWORD = "bench-pass-2026"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def measure(pages, repeat):
    out = {}
    for name, username, url in pages:
        from tests.conftest import verified_login  # the office needs its second factor

        client = verified_login(Client(), User.objects.get(username=username))
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            queries = len(q.captured_queries)
        times.sort()
        out[name] = {
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[min(len(times) - 1, int(0.9 * (len(times) - 1) + 0.5))], 1),
            "queries": queries,
            "kb": round(len(response.content) / 1024, 1),
        }
        log(
            f"{name:<32} median {out[name]['median_ms']:7.1f} ms  p90 {out[name]['p90_ms']:7.1f} ms  "
            f"{queries:3d} queries  {out[name]['kb']:.1f} KB"
        )
    return out


def add_divisions(per_unit: int, share: float) -> dict:
    """The division layer, in SQL (PostgreSQL): divisions for generated units, parts for a share of
    every province's unit shares, pending reviews for a quarter of the open parts."""
    with transaction.atomic(), connection.cursor() as cur:
        for unit in MemberUnit.objects.exclude(mechanism__code="guizhou").filter(divisions__isnull=True):
            Division.objects.bulk_create([Division(unit=unit, name=f"第{n + 1}处", order=n) for n in range(per_unit)])
        cur.execute("""UPDATE members_memberunit u SET coordinating_division_id = (
                           SELECT min(d.id) FROM members_division d WHERE d.unit_id = u.id)
                       WHERE coordinating_division_id IS NULL""")
        creator = User.objects.get(username="bench_office").pk
        # Two divisions per passed share (the 2nd and 3rd of the unit: not the coordinating one).
        cur.execute(
            """
            INSERT INTO tasks_divisionpart (assignment_id, item_id, division_id, note, due_date, status, result,
                                            assigned_by_id, assigned_at, version)
            SELECT a.id, a.item_id, d.id, '', a.due_date - 1,
                   CASE WHEN a.status IN ('todo','claimed','revision') THEN
                        CASE WHEN a.id %% 4 = 0 THEN 'in_review' ELSE 'working' END
                        WHEN a.status IN ('submitted','done') THEN 'consolidated' ELSE 'withdrawn' END,
                   '', %s, now(), 1
            FROM tasks_assignment a
            JOIN LATERAL (SELECT id FROM members_division d WHERE d.unit_id = a.unit_id ORDER BY "order", id
                          OFFSET 1 LIMIT 2) d ON true
            WHERE (a.id * 2654435761 %% 1000) < %s
        """,
            [creator, int(share * 1000)],
        )
        parts = cur.rowcount
        cur.execute(
            """
            INSERT INTO tasks_headreview (assignment_id, part_id, item_id, division_id, unit_id, result, status,
                                          submitted_by_id, submitted_at, reason)
            SELECT p.assignment_id, p.id, p.item_id, p.division_id, a.unit_id, '处室办理情况', 'pending', %s, now(), ''
            FROM tasks_divisionpart p JOIN tasks_assignment a ON a.id = p.assignment_id WHERE p.status = 'in_review'
        """,
            [creator],
        )
        reviews = cur.rowcount
    cur = connection.cursor()
    cur.execute("ANALYZE tasks_divisionpart; ANALYZE tasks_headreview; ANALYZE members_division")
    return {"parts": parts, "pending_reviews": reviews, "divisions": Division.objects.count()}


def division_accounts() -> dict:
    """住建厅's 住房保障处: the roster's liaison (刘光伦) and member (文健), and the bench division liaison."""
    guizhou = Mechanism.objects.get(code="guizhou")
    zjt = MemberUnit.objects.get(mechanism=guizhou, code="zjt")
    division = Division.objects.get(unit=zjt, name="住房保障处")
    out = {}
    for username, name in (("bench_div_liaison", "刘光伦"), ("bench_div_member", "文健")):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_create(username=username, password=PASSWORD, person=Person.objects.get(unit=zjt, name=name))
        access_sync(user=user)
        out[username] = user
    assert RoleAssignment.objects.filter(person__name="刘光伦", role=Role.LIAISON, division=division).exists()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--divisions", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--label", default="national-items")
    parser.add_argument("--skip-before", action="store_true")
    args = parser.parse_args()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)
    world = describe(args.label)
    log(f"world: {world}")
    zjt = MemberUnit.objects.get(mechanism__code="guizhou", code="zjt")
    item_id = (
        Assignment.objects.filter(unit=zjt, status__in=Assignment.OPEN)
        .order_by("due_date", "pk")
        .values_list("item_id", flat=True)
        .first()
    )
    common = [
        ("我的待办 (住建厅 unit liaison)", "bench_liaison_zjt", "/items/inbox/"),
        ("item page (unit liaison)", "bench_liaison_zjt", f"/items/{item_id}/"),
        ("督办总览 (office)", "demo_office", "/dashboard/"),
        ("工作台 (office)", "demo_office", "/items/queue/"),
    ]
    results = {"world": world, "args": vars(args)}
    if not args.skip_before:
        log("before: no division layer")
        results["before"] = measure(common, args.repeat)
    from tasks.models import DivisionPart

    if DivisionPart.objects.exists():
        log("the division layer is there already (an earlier run): measuring it as it is")
        results["layer"] = {"parts": DivisionPart.objects.count(), "divisions": Division.objects.count()}
    else:
        log("adding the division layer …")
        t = time.perf_counter()
        results["layer"] = add_divisions(args.divisions, args.share)
        results["layer"]["seconds"] = round(time.perf_counter() - t, 1)
    log(f"layer: {results['layer']}")
    accounts = division_accounts()
    # An item with a part of 住房保障处 (an open one), for the division's item page.
    from tasks.models import DivisionPart

    part = (
        DivisionPart.objects.filter(division__name="住房保障处", division__unit=zjt, status__in=["working", "returned"])
        .order_by("due_date", "pk")
        .first()
    )
    after = common + [
        ("处室事项 (division liaison)", "bench_div_liaison", "/divisions/"),
        ("处室事项 (division head, reviews)", "bench_div_member", "/divisions/"),
    ]
    if part is not None:
        after.append(("item page (division liaison)", "bench_div_liaison", f"/items/{part.item_id}/"))
    log("after: with the division layer")
    results["after"] = measure(after, args.repeat)
    for username in accounts:
        user = User.objects.get(username=username)
        pending_for(user, limit=50)  # the access snapshot, as a request has it (members.access)
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            rows = pending_for(user, limit=50)
            ms = (time.perf_counter() - t) * 1000
        results[f"pending_for {username}"] = {"rows": len(rows), "queries": len(q.captured_queries), "ms": round(ms, 1)}
        log(f"pending_for {username}: {len(rows)} rows, {len(q.captured_queries)} queries, {ms:.1f} ms")
    results["open_parts_of_the_division"] = DivisionPart.objects.filter(
        division__name="住房保障处", division__unit=zjt, status__in=["working", "returned"]
    ).count()
    out = ROOT / "bench" / "results" / f"divisions-{args.label}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    log(f"written {out}")


if __name__ == "__main__":
    main()
