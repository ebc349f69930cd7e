"""Indexes for 督办总览 on other apps' tables (RunSQL: the models stay as their apps declare them).

- open obligations per member unit / per reporting unit (partial: the owed rows only), and open unit
  tasks per unit already has tasks' own partial index;
- unit tasks per unit by due day, any status (the quarterly on-time figures).
The plain (member_unit, due_on) and (reporting_unit, due_on) indexes of deadlines serve the quarters."""

from django.db import migrations

INDEXES = [
    ("dash_obligation_mu_owed", "deadlines_obligation", "member_unit_id, due_on", "status IN ('open', 'returned')"),
    ("dash_obligation_ru_owed", "deadlines_obligation", "reporting_unit_id, due_on", "status IN ('open', 'returned')"),
    ("dash_assignment_unit_due", "tasks_assignment", "unit_id, due_date", None),
]


def _create(name, table, cols, where):
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols})" + (f" WHERE {where}" if where else "")


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("deadlines", "0001_initial"),
        ("tasks", "0002_list_indexes"),
    ]

    operations = [
        migrations.RunSQL(_create(*ix), f"DROP INDEX IF EXISTS {ix[0]}") for ix in INDEXES
    ]
