"""Writes of the dashboard: 一键催办 and the calendar-feed addresses."""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, NotAllowed
from core.services import audit_record
from deadlines.events import event_notify
from deadlines.models import Message

# The same recipient rules as the reminder engine (liaison or B角, else members; a city's users), so a
# 催办 from the dashboard reaches exactly who the reminders reach.
from members.models import User
from members.selectors import mechanism_for, reporting_units_users, units_recipient_users

from .models import FeedToken
from .selectors import overdue_units

PRESS_SUBJECT = "press-unit"


@dataclass
class PressReport:
    units: int  # overdue units found
    recipients: int  # people they reach
    created: int  # outbox rows written now (0 when pressed already today)
    reached: list = field(default_factory=list)  # [(unit name, [(person, [channel labels])])]
    unreachable: list = field(default_factory=list)  # names of units nobody could be told of it

    def summary(self) -> str:
        """Who was reached on which channel, by unit, and which units nobody could be reached in."""
        parts = [
            f"{unit}：" + "、".join(f"{name}（{'/'.join(channels)}）" for name, channels in people)
            for unit, people in self.reached
        ]
        text = "；".join(parts)
        if self.unreachable:
            text += (
                f"{'。' if text else ''}{len(self.unreachable)} 个单位无人可达：{'、'.join(self.unreachable)}"
                "（没有联络员账号或联系方式，请在名册中补充）"
            )
        return text


def overdue_press_all(*, by, today: date | None = None) -> PressReport:
    """催办 every unit with something overdue, through the event catalogue ('press'): one message per
    unit listing what is overdue, to each of its liaisons, on the channels of an urgent notice.

    The outbox key is (unit, "press:<day>", recipient, channel, day), so a second click the same day
    writes nothing (and a unit is not flooded with one SMS per overdue thing). The report names, by
    unit, who was reached on which channel and which units nobody could be reached in."""
    if not by.has_perm("members.oversee"):
        raise NotAllowed("只有召集人、副召集人和联席会议办公室可以催办。")
    today = today or timezone.localdate()
    mechanism = mechanism_for(by)
    if mechanism is None:
        raise Conflict("联席会议尚未载入。")
    units = overdue_units(today=today, mechanism=mechanism)
    liaisons = units_recipient_users([pk for kind, pk, _, _ in units if kind == "mu"], today)
    cities = reporting_units_users([pk for kind, pk, _, _ in units if kind == "ru"])
    kind, period = f"press:{today:%Y%m%d}", today.isoformat()
    rows = Message.objects.filter(subject__startswith=f"{PRESS_SUBJECT}:", kind=kind, period=period)
    recipients = 0
    with transaction.atomic():
        before = rows.count()
        for unit_kind, pk, name, titles in units:
            recipients += len((liaisons if unit_kind == "mu" else cities).get(pk, []))
            shown = "；".join(titles[:10]) + (f" 等 {len(titles)} 项" if len(titles) > 10 else "")
            event_notify(
                event="press",
                obj=mechanism,
                by=by,
                subject=f"{PRESS_SUBJECT}:{unit_kind}:{pk}",
                key=f"{today:%Y%m%d}",
                period=period,
                unit=name,
                count=len(titles),
                shown=shown,
                url="/items/inbox/" if unit_kind == "mu" else "/deadlines/",
                **({"units": [pk]} if unit_kind == "mu" else {"reporting_units": [pk]}),
            )
        created = rows.count() - before
        labels = dict(Message.CHANNELS)
        by_subject: dict = {}
        for subject, person, channel in rows.order_by("recipient_id", "id").values_list(
            "subject", "recipient_id", "channel"
        ):
            by_subject.setdefault(subject, {}).setdefault(person, []).append(str(labels[channel]))
        names = {
            u.pk: str(u)
            for u in User.objects.filter(pk__in={p for ps in by_subject.values() for p in ps}).select_related("person")
        }
        reached, unreachable = [], []
        for unit_kind, pk, name, _ in units:
            people = by_subject.get(f"{PRESS_SUBJECT}:{unit_kind}:{pk}")
            if people:
                reached.append((name, [(names.get(p, p), chans) for p, chans in people.items()]))
            else:
                unreachable.append(name)
        audit_record(
            actor=by,
            action="dashboard.press_all",
            obj=mechanism,
            reason=f"一键催办 {today:%Y-%m-%d}",
            changes={"units": len(units), "recipients": recipients, "messages": created, "unreachable": unreachable},
        )
    return PressReport(
        units=len(units), recipients=recipients, created=created, reached=reached, unreachable=unreachable
    )


def feed_token_create(*, user, by) -> FeedToken:
    """A new private address; the previous one (if any) stops working at once."""
    if by.pk != user.pk:
        raise NotAllowed("只能为自己生成日历订阅地址。")
    with transaction.atomic():
        now = timezone.now()
        for old in FeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            audit_record(actor=by, action="feed_token.revoke", obj=old, reason="生成新地址")
        token = FeedToken.objects.create(user=user)
        audit_record(actor=by, action="feed_token.create", obj=token)
    return token


def feed_token_revoke(*, token: FeedToken, by) -> FeedToken:
    if by.pk != token.user_id and not by.is_superuser:
        raise NotAllowed("只能停用自己的日历订阅地址。")
    with transaction.atomic():
        locked = FeedToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise Conflict("该订阅地址已停用。")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="feed_token.revoke", obj=locked)
    return locked
