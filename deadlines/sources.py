"""The deadlines app's own obligations, plugged into the reminder engine like any other source."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from members.models import Role, RoleAssignment
from members.selectors import reporting_units_users, units_recipient_users

from .ladder import Ladder
from .models import DeadlineRule, Obligation
from .reminders import Reminder, register_source, unit_key_parse


def _conveners(mechanism_ids, on: date) -> dict[int, list]:
    User = get_user_model()
    roles = (
        RoleAssignment.objects.active(on)
        .filter(mechanism_id__in=mechanism_ids, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER])
        .values_list("mechanism_id", "person_id")
    )
    persons = {}
    for mechanism_id, person_id in roles:
        persons.setdefault(person_id, []).append(mechanism_id)
    out: dict[int, list] = {}
    for user in User.objects.filter(is_active=True, person_id__in=persons).select_related("person"):
        for mechanism_id in persons[user.person_id]:
            out.setdefault(mechanism_id, []).append(user)
    return out


def obligation_recipients(obligation: Obligation) -> list:
    today = timezone.localdate()
    if obligation.member_unit_id:
        return units_recipient_users([obligation.member_unit_id], today).get(obligation.member_unit_id, [])
    return reporting_units_users([obligation.reporting_unit_id]).get(obligation.reporting_unit_id, [])


class ObligationSource:
    name = "obligation"

    def _reminders(self, obligations: list[Obligation], *, people: bool = True) -> list[Reminder]:
        today = timezone.localdate()
        if people:
            liaisons = units_recipient_users({o.member_unit_id for o in obligations if o.member_unit_id}, today)
            prefectures = reporting_units_users({o.reporting_unit_id for o in obligations if o.reporting_unit_id})
            conveners = _conveners({o.rule.mechanism_id for o in obligations}, today)
            # A county's overdue report is escalated to its prefecture, not the province's convener.
            above = reporting_units_users(
                {o.reporting_unit.parent_id for o in obligations if o.reporting_unit_id and o.reporting_unit.parent_id}
            )
        else:  # the board draws them: nobody is sent anything
            liaisons, prefectures, conveners, above = {}, {}, {}, {}
        out = []
        for o in obligations:
            recipients = (
                liaisons.get(o.member_unit_id, []) if o.member_unit_id else prefectures.get(o.reporting_unit_id, [])
            )
            county = o.reporting_unit_id and o.reporting_unit.parent_id
            out.append(
                Reminder(
                    subject=f"obligation:{o.pk}",
                    title=f"{o.title}",
                    due_on=o.due_on,
                    unit_label=o.obligor_name,
                    recipients=recipients,
                    escalate_to=above.get(county, []) if county else conveners.get(o.rule.mechanism_id, []),
                    url=reverse("deadlines:obligation", args=[o.pk]),
                    policy=o.rule.reminders,
                    ladder=Ladder(o.rule.blue_from, o.rule.red_after),
                    unit_key=f"mu:{o.member_unit_id}" if o.member_unit_id else f"ru:{o.reporting_unit_id}",
                )
            )
        return out

    def owed(self, *, until: date, mechanism_ids):
        # Reads only the owed rows (partial index on due_on): the sweep's cost follows what is due.
        qs = (
            Obligation.objects.owed()
            .filter(due_on__lte=until, rule__active=True, rule__mechanism_id__in=list(mechanism_ids))
            .select_related("rule", "member_unit", "reporting_unit")
            .order_by("due_on", "id")
        )
        batch = []
        for o in qs.iterator(chunk_size=2000):
            batch.append(o)
            if len(batch) == 2000:
                yield from self._reminders(batch)
                batch = []
        if batch:
            yield from self._reminders(batch)

    def _overdue(self, until: date, mechanism_ids):
        # The rules' ids as a list: the planner reads obligation_rule_owed_due for this mechanism's
        # rules only, whatever the other provinces hold.
        rule_ids = list(
            DeadlineRule.objects.filter(mechanism_id__in=list(mechanism_ids), active=True).values_list("pk", flat=True)
        )
        return Obligation.objects.owed().filter(rule_id__in=rule_ids, due_on__lte=until)

    def overdue_units(self, *, until: date, mechanism_ids):
        rows = (
            self._overdue(until, mechanism_ids)
            .order_by()
            .values("member_unit_id", "reporting_unit_id")
            .annotate(n=Count("id"), oldest=Min("due_on"))
        )
        return [
            (
                f"mu:{r['member_unit_id']}" if r["member_unit_id"] else f"ru:{r['reporting_unit_id']}",
                r["n"],
                r["oldest"],
            )
            for r in rows
        ]

    def overdue_page(self, *, until: date, mechanism_ids, unit: str, after, limit: int):
        qs = self._overdue(until, mechanism_ids)
        key = unit_key_parse(unit)
        if unit and key is None:
            return []
        if key:
            qs = qs.filter(**{"member_unit_id" if key[0] == "mu" else "reporting_unit_id": key[1]})
        if after is not None:
            qs = qs.filter(after.after_q(self.name, "due_on"))
        rows = list(qs.select_related("rule", "member_unit", "reporting_unit").order_by("due_on", "id")[:limit])
        return self._reminders(rows, people=False)

    def get(self, subject: str, *, mechanism_ids):
        pk = subject.split(":", 1)[1]
        if not pk.isdigit():
            return None
        o = (
            Obligation.objects.owed()
            .filter(pk=pk, rule__mechanism_id__in=list(mechanism_ids))
            .select_related("rule", "member_unit", "reporting_unit")
            .first()
        )
        return self._reminders([o])[0] if o else None


register_source(ObligationSource())
