"""The deadlines app's own obligations, plugged into the reminder engine like any other source."""

from datetime import date

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from members.models import Role, RoleAssignment
from members.selectors import reporting_units_users, units_recipient_users

from .ladder import Ladder
from .models import Obligation
from .reminders import Reminder, register_source


def _conveners(mechanism_ids, on: date) -> dict[int, list]:
    User = get_user_model()
    roles = RoleAssignment.objects.active(on).filter(
        mechanism_id__in=mechanism_ids, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER]).values_list(
        "mechanism_id", "person_id")
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

    def _reminders(self, obligations: list[Obligation]) -> list[Reminder]:
        today = timezone.localdate()
        liaisons = units_recipient_users({o.member_unit_id for o in obligations if o.member_unit_id}, today)
        prefectures = reporting_units_users({o.reporting_unit_id for o in obligations if o.reporting_unit_id})
        conveners = _conveners({o.rule.mechanism_id for o in obligations}, today)
        out = []
        for o in obligations:
            recipients = liaisons.get(o.member_unit_id, []) if o.member_unit_id else prefectures.get(o.reporting_unit_id, [])
            out.append(Reminder(
                subject=f"obligation:{o.pk}", title=f"{o.title}", due_on=o.due_on,
                unit_label=o.obligor_name, recipients=recipients, escalate_to=conveners.get(o.rule.mechanism_id, []),
                url=reverse("deadlines:obligation", args=[o.pk]), policy=o.rule.reminders,
                ladder=Ladder(o.rule.blue_from, o.rule.red_after)))
        return out

    def owed(self, *, until: date, mechanism_ids):
        # Reads only the owed rows (partial index on due_on): the sweep's cost follows what is due.
        qs = (Obligation.objects.owed().filter(due_on__lte=until, rule__active=True,
                                               rule__mechanism_id__in=list(mechanism_ids))
              .select_related("rule", "member_unit", "reporting_unit").order_by("due_on", "id"))
        batch = []
        for o in qs.iterator(chunk_size=2000):
            batch.append(o)
            if len(batch) == 2000:
                yield from self._reminders(batch)
                batch = []
        if batch:
            yield from self._reminders(batch)

    def get(self, subject: str, *, mechanism_ids):
        pk = subject.split(":", 1)[1]
        if not pk.isdigit():
            return None
        o = Obligation.objects.owed().filter(pk=pk, rule__mechanism_id__in=list(mechanism_ids)).select_related("rule", "member_unit", "reporting_unit").first()
        return self._reminders([o])[0] if o else None


register_source(ObligationSource())

