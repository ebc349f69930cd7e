"""Two units submitting at the same moment on PostgreSQL: the flow lock (select_for_update on the
process row) serialises them, both contributions count, and the Join fires exactly once."""

import datetime as dt
import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tasks import services as fs, services as ts
from tasks.flows import ItemFlow
from tasks.models import Assignment
from tasks.services import process_for_item

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_submissions_are_serialised(require_postgres, users, unit):
    item = fs.item_dispatch(
        by=users["office"],
        title="并发测试",
        content="c",
        source="ad_hoc",
        lead_units=[unit("zjt"), unit("mzt")],
        participating_units=[unit("gat")],
        due_date=dt.date.today() + dt.timedelta(days=20),
    )
    shares = {}
    for code in ("mzt", "gat"):
        a = item.assignments.get(unit__code=code)
        shares[code] = ts.assignment_claim(assignment=a, by=users[f"liaison_{code}"])
    barrier = threading.Barrier(2)
    errors = []

    def submit(code):
        try:
            barrier.wait()
            a = shares[code]
            fs.assignment_submit(assignment=a, result=f"{code} 反馈", version=a.version, by=users[f"liaison_{code}"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in ("mzt", "gat")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(item.assignments.exclude(unit__code="zjt").values_list("status", flat=True)) == {"submitted"}
    lead = ts.assignment_claim(assignment=item.assignments.get(unit__code="zjt"), by=users["liaison_zjt"])
    fs.assignment_submit(assignment=lead, result="汇总", version=lead.version, by=users["liaison_zjt"])
    process = process_for_item(item)
    assert Task.objects.filter(process=process, flow_task=ItemFlow.join, status=STATUS.DONE).count() == 1
    assert Task.objects.filter(process=process, flow_task=ItemFlow.review, status=STATUS.NEW).count() == 1
    assert Assignment.objects.filter(item=item, status="submitted").count() == 3


def test_a_submission_waits_for_the_flow_lock(require_postgres, users, unit):
    """While another transaction holds the process row, a submission does not slip past it."""
    import time

    item = fs.item_dispatch(
        by=users["office"],
        title="锁测试",
        content="c",
        source="ad_hoc",
        lead_units=[unit("zjt")],
        participating_units=[unit("gat")],
        due_date=dt.date.today() + dt.timedelta(days=20),
    )
    a = ts.assignment_claim(assignment=item.assignments.get(unit__code="gat"), by=users["liaison_gat"])
    process = process_for_item(item)
    held, order = threading.Event(), []

    def holder():
        with ItemFlow.lock(process.pk):
            held.set()
            time.sleep(1.5)
            order.append("released")
        connection.close()

    def submitter():
        held.wait()
        fs.assignment_submit(assignment=a, result="反馈", version=a.version, by=users["liaison_gat"])
        order.append("submitted")
        connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=submitter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == ["released", "submitted"]
