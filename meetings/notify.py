"""Who a meeting reaches. The notices themselves (invitations, requests to agree a draft, issued
minutes, progress notices) are events of the catalogue (`deadlines.events`), sent through the outbox —
invited experts' mail too (docs/notifications.md)."""

from django.utils import timezone

from members.models import MemberUnit
from members.selectors import units_recipient_users


def recipients_for_units(units, on=None) -> list:
    """Accounts that receive a unit's work on a day (the liaison, or the B角 acting for them): the
    same rule and the same two queries as the reminder sources, whatever the number of units."""
    by_unit = units_recipient_users([u.pk for u in units], on or timezone.localdate())
    return list(dict.fromkeys(user for u in units for user in by_unit.get(u.pk, [])))


def all_unit_users(mechanism, on=None) -> list:
    return recipients_for_units(MemberUnit.objects.current(on).filter(mechanism=mechanism), on)
