"""A division's open part in the reminder engine (docs/divisions.md): subject `part:<id>`, reminded
before, on and after the division's date to the division's liaison (not the unit's other liaisons),
escalated to the convener and deputy like any share. Registered from `TasksConfig.ready()`."""

from collections import defaultdict
from datetime import date

from django.urls import reverse
from django.utils import timezone

from deadlines.reminders import Reminder
from members.selectors import convener_users, divisions_recipient_users

from .models import DivisionPart

BATCH = 2000


class PartSource:
    name = "part"

    def _reminders(self, parts: list[DivisionPart]) -> list[Reminder]:
        today = timezone.localdate()
        recipients = divisions_recipient_users(list({p.division_id for p in parts}), today)
        conveners = defaultdict(list)
        for mechanism_id in {p.assignment.unit.mechanism_id for p in parts}:
            conveners[mechanism_id] = convener_users(mechanism_id, today)
        return [
            Reminder(
                subject=f"{self.name}:{p.pk}",
                title=f"督办事项“{p.item.title}”（{p.assignment.unit.name}{p.division.name}）",
                due_on=p.due_date,
                unit_label=f"{p.assignment.unit.name}{p.division.name}",
                recipients=recipients.get(p.division_id, []),
                escalate_to=conveners[p.assignment.unit.mechanism_id],
                url=reverse("items:detail", args=[p.item_id]) + f"#part-{p.pk}",
            )
            for p in parts
        ]

    def _open(self, mechanism_ids):
        return DivisionPart.objects.filter(
            status__in=DivisionPart.WORKABLE, assignment__unit__mechanism_id__in=list(mechanism_ids)
        ).select_related("item", "assignment__unit", "division")

    def owed(self, *, until: date, mechanism_ids):
        batch = []
        for part in (
            self._open(mechanism_ids).filter(due_date__lte=until).order_by("due_date", "id").iterator(chunk_size=BATCH)
        ):
            batch.append(part)
            if len(batch) == BATCH:
                yield from self._reminders(batch)
                batch = []
        if batch:
            yield from self._reminders(batch)

    def get(self, subject: str, *, mechanism_ids):
        pk = subject.split(":", 1)[1]
        if not pk.isdigit():
            return None
        part = self._open(mechanism_ids).filter(pk=int(pk)).first()
        return self._reminders([part])[0] if part else None
