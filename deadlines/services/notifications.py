"""我的通知: the reader's own read marks."""

from django.utils import timezone

from core.errors import NotAllowed

# --- 我的通知 -----------------------------------------------------------------------------------------
# Read marks are the reader's own bookkeeping, like last_login: not audited.


def notification_read(*, message, by) -> None:
    """Mark one of `by`'s in-app notifications read (someone else's raises NotAllowed; views answer 404)."""
    from ..models import Message

    if message.recipient_id != by.pk or message.channel != Message.INAPP:
        raise NotAllowed("只能处理自己的通知。")
    Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())


def notifications_read_all(*, by, kind: str = "") -> int:
    """Mark all of `by`'s unread in-app notifications (of one kind, if given) read; returns how many."""
    from ..selectors import notifications_for

    return notifications_for(by, kind=kind, unread_only=True).update(read_at=timezone.now())
