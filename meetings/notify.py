"""How meetings reach people: invitations, requests to agree a draft, progress notices.

Accounts are reached through the reminder engine's outbox (`deadlines.reminders.notify`: an in-app
notice, e-mail and SMS, each sent once by the outbox worker, SMS held during quiet hours). Invited
experts and guest units have no account, only an address: they get a plain e-mail after commit."""

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from deadlines.models import Message
from deadlines.reminders import notify as outbox_notify
from members.models import MemberUnit
from members.selectors import units_recipient_users


def recipients_for_units(units, on=None) -> list:
    """Accounts that receive a unit's work on a day (the liaison, or the B角 acting for them): the
    same rule and the same two queries as the reminder sources, whatever the number of units."""
    by_unit = units_recipient_users([u.pk for u in units], on or timezone.localdate())
    return list(dict.fromkeys(user for u in units for user in by_unit.get(u.pk, [])))


def notify(*, users, subject: str, kind: str, title: str, body: str, url: str = "", extra_emails=()) -> int:
    """Send `title`/`body` to `users` through the outbox (in-app, e-mail, SMS) and to plain addresses
    (invited experts) by e-mail once the current transaction commits. `subject` ("meeting:12") and
    `kind` ("invitation") make the outbox key, so the same notice is never queued twice."""
    count = outbox_notify(users=list(dict.fromkeys(users)), subject=subject, kind=kind, title=title, body=body,
                          url=url, period=timezone.now().isoformat(timespec="seconds"),
                          channels=(Message.INAPP, Message.EMAIL, Message.SMS)) if users else 0
    addresses = [a for a in dict.fromkeys(extra_emails) if a]

    def send():
        for address in addresses:
            send_mail(title, body, None, [address], fail_silently=True)

    if addresses:
        transaction.on_commit(send)
    return count + len(addresses)


def all_unit_users(mechanism, on=None) -> list:
    return recipients_for_units(MemberUnit.objects.current(on).filter(mechanism=mechanism), on)
