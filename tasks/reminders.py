"""Supervised items in the reminder engine: each unit's open share of an item (its task) is a
subject `task:<assignment id>`, reminded before, on and after its due day, escalated to the convener
and deputy, and pressable (催办) like any obligation. Registered from `TasksConfig.ready()`;
`deadlines` never imports `tasks` (docs/deadlines.md, "the hook")."""

from collections import defaultdict
from datetime import date

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from deadlines.reminders import Reminder, unit_key_parse
from members.models import MemberUnit
from members.selectors import convener_users, units_recipient_users

from .models import Assignment

BATCH = 2000


class TaskSource:
    name = "task"

    def _reminders(self, assignments: list[Assignment], *, people: bool = True) -> list[Reminder]:
        today = timezone.localdate()
        recipients, conveners = {}, defaultdict(list)
        if people:  # the board draws them without: nobody is sent anything
            recipients = units_recipient_users({a.unit_id for a in assignments}, today)
            for mechanism_id in {a.unit.mechanism_id for a in assignments}:
                conveners[mechanism_id] = convener_users(mechanism_id, today)
        return [
            Reminder(
                subject=f"{self.name}:{a.pk}",
                title=f"督办事项“{a.item.title}”（{a.role_label}）",
                due_on=a.due_date,
                unit_label=a.unit.name,
                recipients=recipients.get(a.unit_id, []),
                escalate_to=conveners[a.unit.mechanism_id],
                url=reverse("items:detail", args=[a.item_id]),
                unit_key=f"mu:{a.unit_id}",
            )
            for a in assignments
        ]

    def _open(self, mechanism_ids):
        return Assignment.objects.filter(
            status__in=Assignment.OPEN, unit__mechanism_id__in=list(mechanism_ids)
        ).select_related("item", "unit")

    def owed(self, *, until: date, mechanism_ids):
        # (status, due_date, id) index: the sweep reads only open shares due by `until`.
        batch = []
        for assignment in (
            self._open(mechanism_ids).filter(due_date__lte=until).order_by("due_date", "id").iterator(chunk_size=BATCH)
        ):
            batch.append(assignment)
            if len(batch) == BATCH:
                yield from self._reminders(batch)
                batch = []
        if batch:
            yield from self._reminders(batch)

    def _overdue(self, until: date, mechanism_ids):
        # The units' ids as a list: assignment_open_unit_due serves each unit's range.
        unit_ids = list(MemberUnit.objects.filter(mechanism_id__in=list(mechanism_ids)).values_list("pk", flat=True))
        return Assignment.objects.filter(status__in=Assignment.OPEN, unit_id__in=unit_ids, due_date__lte=until)

    def overdue_units(self, *, until: date, mechanism_ids):
        rows = (
            self._overdue(until, mechanism_ids)
            .order_by()
            .values("unit_id")
            .annotate(n=Count("id"), oldest=Min("due_date"))
        )
        return [(f"mu:{r['unit_id']}", r["n"], r["oldest"]) for r in rows]

    def overdue_page(self, *, until: date, mechanism_ids, unit: str, after, limit: int):
        qs = self._overdue(until, mechanism_ids)
        key = unit_key_parse(unit)
        if unit and (key is None or key[0] != "mu"):
            return []
        if key:
            qs = qs.filter(unit_id=key[1])
        if after is not None:
            qs = qs.filter(after.after_q(self.name, "due_date"))
        return self._reminders(list(qs.select_related("item", "unit").order_by("due_date", "id")[:limit]), people=False)

    def get(self, subject: str, *, mechanism_ids):
        pk = subject.split(":", 1)[1]
        if not pk.isdigit():
            return None
        assignment = self._open(mechanism_ids).filter(pk=int(pk)).first()
        return self._reminders([assignment])[0] if assignment else None
