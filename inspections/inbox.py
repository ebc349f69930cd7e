"""What waits for a person in `inspections`, for the unified 我的待办: the office's findings not yet
issued as rectification items, and the inspections a team member is on that are still open."""

from django.db import connection
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat
from django.urls import reverse

from members.selectors import mechanism_id_for

from .models import Finding, Inspection


def pending_for(user, *, limit: int = 20) -> list[dict]:
    """Dicts (kind, key, title, unit, due_on, url, action), soonest first, in one query."""
    if not user.is_authenticated:
        return []
    mechanism_id = mechanism_id_for(user)
    cols = ("kind", "pk", "label", "place", "due_on")
    team = (Inspection.objects.filter(team=user, status=Inspection.Status.PLANNED, mechanism_id=mechanism_id)
            .annotate(kind=Value("inspection", output_field=CharField()), label=F("title"),
                      place=F("reporting_unit__name"), due_on=F("ends_on"))
            .values_list(*cols))
    query = team.order_by()
    if user.has_perm("members.dispatch"):
        office = (Finding.objects.filter(status=Finding.Status.RECORDED, inspection__mechanism_id=mechanism_id)
                  .annotate(kind=Value("finding", output_field=CharField()),
                            label=Concat(F("inspection__title"), Value(" 问题"), F("number"), output_field=CharField()),
                            place=F("reporting_unit__name"), due_on=F("inspection__ends_on"))
                  .values_list(*cols))
        if connection.features.supports_slicing_ordering_in_compound:
            # Each side limited first (PostgreSQL): the oldest waiting findings through the
            # (status, recorded_at) index, so the union sorts at most 2 × limit rows.
            query = team.order_by("due_on", "pk")[:limit].union(office.order_by("recorded_at", "pk")[:limit], all=True)
        else:
            query = team.order_by().union(office.order_by(), all=True)   # no ORDER BY inside (SQLite)
    rows = list(query.order_by("due_on", "pk")[:limit])
    out = []
    for kind, pk, label, place, due_on in rows:
        if kind == "inspection":
            out.append({"kind": "inspection", "key": f"inspection:{pk}", "title": label, "unit": place or "",
                        "due_on": due_on, "url": reverse("inspections:detail", args=[pk]), "action": "记录检查发现的问题"})
        else:
            out.append({"kind": "finding", "key": f"finding:{pk}", "title": label, "unit": place or "",
                        "due_on": due_on, "url": reverse("inspections:finding", args=[pk]), "action": "交办整改"})
    return out
