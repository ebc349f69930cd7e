"""How meetings reach people: invitations, requests to agree a draft, progress notices.

One function, `notify`, so the channel can change in one place. Until the reminder engine's outbox
(`deadlines` branch) is merged, e-mail goes out with Django's `send_mail` after the transaction
commits; people without an address are skipped (the in-app pages show the same information)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from members.models import MemberUnit, Person
from members.selectors import unit_recipients


def recipients_for_units(units, on=None) -> list:
    """Accounts that receive a unit's work on a day (the liaison, or the B角 acting for them)."""
    on = on or timezone.localdate()
    people = []
    for unit in units:
        people += unit_recipients(unit, on)
    return users_of(people)


def users_of(people: list[Person]) -> list:
    from members.models import User

    ids = [p.pk for p in dict.fromkeys(people)]
    by_person = {u.person_id: u for u in User.objects.filter(person_id__in=ids, is_active=True)}
    return [by_person[i] for i in ids if i in by_person]


def _address(user) -> str:
    return (user.person.email if user.person_id and user.person.email else "") or user.email


def notify(*, users, subject: str, kind: str, title: str, body: str, url: str = "", extra_emails=()) -> int:
    """Send `title`/`body` to `users` (and plain addresses, e.g. invited experts) once the current
    transaction commits. `subject` ("meeting:12") and `kind` ("invitation") name the notice for the
    log. Returns how many addresses it was queued for."""
    addresses = [a for a in dict.fromkeys([_address(u) for u in users] + list(extra_emails)) if a]
    if not addresses:
        return 0
    text = body + (f"\n\n{settings.SITE_URL}{url}" if url and getattr(settings, "SITE_URL", "") else "")

    def send():
        for address in addresses:
            send_mail(title, text, None, [address], fail_silently=False)

    transaction.on_commit(send)
    return len(addresses)


def all_unit_users(mechanism, on=None) -> list:
    return recipients_for_units(MemberUnit.objects.current(on).filter(mechanism=mechanism), on)
