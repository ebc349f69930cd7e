"""How fast 督导检查 is with many inspections: the list (first and a late page), an inspection page
with 60 findings (each with a photo row), its .docx report, and the inbox seam `pending_for`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python manage.py load_mechanism guizhou
    DATABASE_URL=… .venv/bin/python bench/inspections.py [--inspections 20000]

It adds (once) `--inspections` inspections of the province's prefectures with 3 findings each, one
inspection with 60 findings, and a bench office account, then renders each page through Django's
test client: 3 warm-up + 15 timed runs; prints the median and p90 in ms and the SQL query count."""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS, WARMUP, TITLE = 15, 3, "压测督导检查"


def measure(client, path, fn=None):
    call = fn or (lambda: client.get(path))
    for _ in range(WARMUP):
        r = call()
        assert fn or r.status_code == 200, (path, r.status_code)
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        call()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(ctx.captured_queries)


def world(n: int):
    from inspections.models import Finding, FindingPhoto, Inspection
    from members.models import Mechanism, MemberUnit, Person, ReportingUnit, Role, RoleAssignment, User
    from members.services import account_create

    mechanism = Mechanism.objects.get(code="guizhou")
    lead = MemberUnit.objects.get(mechanism=mechanism, is_lead=True)
    user = User.objects.filter(username="bench_insp_office").first()
    if user is None:
        person = Person.objects.create(unit=lead, name="压测办公室")
        RoleAssignment.objects.create(
            mechanism=mechanism, person=person, role=Role.OFFICE_STAFF, unit=lead, start_date=mechanism.established_on
        )
        user = account_create(username="bench_insp_office", password="bench-2026-x", person=person)
    have = Inspection.objects.filter(title__startswith=TITLE).count()
    units = list(ReportingUnit.objects.filter(mechanism=mechanism))
    start = date(2021, 1, 1)
    with transaction.atomic():
        rows = [
            Inspection(
                mechanism=mechanism,
                title=f"{TITLE}{i}",
                reporting_unit=units[i % len(units)],
                starts_on=start + timedelta(days=i % 1800),
                ends_on=start + timedelta(days=i % 1800 + 1),
                leader=user,
                planned_by=user,
                findings_count=3,
                closed_count=i % 4 and 1,
            )
            for i in range(have, n)
        ]
        for k in range(0, len(rows), 2000):
            made = Inspection.objects.bulk_create(rows[k : k + 2000])
            Inspection.team.through.objects.bulk_create(
                [Inspection.team.through(inspection_id=i.pk, user_id=user.pk) for i in made]
            )
            Finding.objects.bulk_create(
                [
                    Finding(
                        inspection=i,
                        number=j,
                        description="压测问题",
                        recorded_by=user,
                        reporting_unit_id=i.reporting_unit_id,
                    )
                    for i in made
                    for j in (1, 2, 3)
                ]
            )
        big = Inspection.objects.filter(title=f"{TITLE}-大").first()
        if big is None:
            big = Inspection.objects.create(
                mechanism=mechanism,
                title=f"{TITLE}-大",
                reporting_unit=units[0],
                starts_on=date.today(),
                ends_on=date.today(),
                leader=user,
                planned_by=user,
                findings_count=60,
            )
            big.team.add(user)
            findings = Finding.objects.bulk_create(
                [
                    Finding(
                        inspection=big,
                        number=j,
                        description=f"问题{j}" * 10,
                        recorded_by=user,
                        reporting_unit_id=units[0].pk,
                    )
                    for j in range(1, 61)
                ]
            )
            FindingPhoto.objects.bulk_create(
                [
                    FindingPhoto(finding=f, file="inspections/none.jpg", name="现场.jpg", size=1, uploaded_by=user)
                    for f in findings
                ]
            )
    with connection.cursor() as cursor:  # fresh statistics after the bulk insert, as autovacuum would give
        for table in ("inspections_inspection", "inspections_finding", "inspections_inspection_team"):
            cursor.execute(f"ANALYZE {table}") if connection.vendor == "postgresql" else None
    return user, big


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inspections", type=int, default=20000)
    args = parser.parse_args()
    setup_test_environment()
    from inspections.inbox import pending_for
    from inspections.models import Finding, Inspection
    from tests.conftest import verified_login

    user, big = world(args.inspections)
    client = verified_login(Client(), user)
    total = Inspection.objects.count()
    print(f"{total} inspections, {Finding.objects.count()} findings ({connection.vendor})")
    last = (total + 19) // 20
    for label, path in [
        ("list, page 1", "/inspections/"),
        (f"list, page {last // 2}", f"/inspections/?page={last // 2}"),
        ("list, filtered", "/inspections/?status=planned"),
        ("inspection with 60 findings", f"/inspections/{big.pk}/"),
        ("report .docx (60 findings)", f"/inspections/{big.pk}/report.docx"),
    ]:
        med, p90, q = measure(client, path)
        print(f"{label:32} median {med:7.1f} ms  p90 {p90:7.1f} ms  {q:3d} queries")
    med, p90, q = measure(client, "pending_for", fn=lambda: pending_for(user, limit=20))
    print(f"{'pending_for(limit=20)':32} median {med:7.1f} ms  p90 {p90:7.1f} ms  {q:3d} queries")


if __name__ == "__main__":
    main()
