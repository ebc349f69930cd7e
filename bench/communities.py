"""How fast the 创建进度 page (and the ledger's first page, and Annex 2) is at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/joint_meeting_communities \\
        .venv/bin/python bench/communities.py 10000 [100000 ...]

For each scale: replaces the ledger with N communities spread over the reporting units (≈45% meeting
the standard over 2021–2022, 20% with finished renovation, 8 counties per unit), then renders each
page through Django's test client as the office user, 3 warm-up + 15 timed runs, and prints the
median and p90 in ms and the number of SQL queries. Writes into the database it is pointed at:
use your own bench database, never a shared one."""

import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from communities.models import Community, CommunityStatusChange, CreationStatus  # noqa: E402
from members.mechanism_config import mechanism_path, mechanism_spec_read  # noqa: E402
from members.models import Mechanism, Person, ReportingUnit, Role, RoleAssignment, User  # noqa: E402
from members.services import account_create, mechanism_load  # noqa: E402

RUNS, WARMUP = 15, 3


def setup_office_user() -> User:
    if not Mechanism.objects.filter(code="guizhou").exists():
        mechanism_load(spec=mechanism_spec_read(mechanism_path("guizhou")))
    user = User.objects.filter(username="bench-office").first()
    if user:
        return user
    mechanism = Mechanism.objects.get(code="guizhou")
    lead = mechanism.units.get(is_lead=True)
    person = Person.objects.create(unit=lead, division=lead.divisions.get(name="城市建设处"), name="压测办公室")
    RoleAssignment.objects.create(mechanism=mechanism, person=person, role=Role.OFFICE_STAFF, unit=lead,
                                  division=person.division, start_date=mechanism.established_on)
    return account_create(username="bench-office", password="bench-pass-2026", person=person)


@transaction.atomic
def fill(n: int):
    CommunityStatusChange.objects.all().delete()
    if Community.objects.filter(assessments__isnull=False).exists():
        raise SystemExit("the bench database holds assessments: point the bench at its own database")
    Community.objects.all().delete()
    units = list(ReportingUnit.objects.filter(mechanism__code="guizhou"))
    rng = random.Random(42)
    batch = []
    for i in range(n):
        met = rng.random() < 0.45
        batch.append(Community(
            reporting_unit=units[i % len(units)], county=f"县区{rng.randrange(8)}", name=f"社区{i:06d}",
            renovation="finished" if rng.random() < 0.2 else "none",
            status=CreationStatus.MEETS_STANDARD if met else CreationStatus.TAKING_PART,
            standard_met_on=date(rng.choice([2021, 2022]), rng.randrange(1, 13), 1) if met else None,
        ))
        if len(batch) == 5000:
            Community.objects.bulk_create(batch)
            batch = []
    Community.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE communities_community")


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


def main(scales):
    setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS
    call_command("migrate", verbosity=0)
    user = setup_office_user()
    client = Client()
    client.force_login(user)
    print(f"database: {connection.vendor}, runs: {RUNS}")
    for n in scales:
        t0 = time.perf_counter()
        fill(n)
        print(f"\n{n} communities (filled in {time.perf_counter() - t0:.1f} s)")
        for label, path in [("创建进度 /communities/progress/?year=2022", "/communities/progress/?year=2022"),
                            ("社区台账 first page", "/communities/"),
                            ("附件2 贵阳市", "/communities/progress/annex2/?unit=guiyang")]:
            median, p90, queries = measure(client, path)
            print(f"  {label:45s} median {median:7.1f} ms  p90 {p90:7.1f} ms  {queries} queries")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
