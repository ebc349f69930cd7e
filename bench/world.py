"""What every bench prints before it measures: the data set it runs on and the machine's load.

The benches run on the world `manage.py generate_national_data` builds (national, or `--scale small`
for the 10⁴ sibling) and leave it as they found it: what they add they delete (or roll back)."""

import os
import time

from django.db import connection

TABLES = {
    "items": "tasks_item",
    "shares": "tasks_assignment",
    "flow_tasks": "viewflow_task",
    "obligations": "deadlines_obligation",
    "messages": "deadlines_message",
    "meetings": "meetings_meeting",
    "communities": "communities_community",
    "mechanisms": "members_mechanism",
}


def sizes() -> dict:
    """Row counts of the main tables (exact below 10⁵, the planner's estimate above: COUNT(*) over 10⁷
    rows would be a bench of its own)."""
    out = {}
    with connection.cursor() as c:
        for name, table in TABLES.items():
            c.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            estimate = c.fetchone()[0]
            if estimate < 100_000:
                c.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 — table names from this file
                estimate = c.fetchone()[0]
            out[name] = int(estimate)
    return out


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe(label: str) -> dict:
    """Print and return the data set and the load, as every bench's first lines."""
    data = {
        "bench": label,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "database": connection.settings_dict["NAME"],
        "sizes": sizes(),
        "load_average": load_average(),
        "cpus": os.cpu_count(),
    }
    print(f"[{label}] {data['date']} database {data['database']}  cpus {data['cpus']}  load {data['load_average']}")
    print("  data: " + ", ".join(f"{k} {v:,}" for k, v in data["sizes"].items()), flush=True)
    return data
