"""What the contact services of `members` ask of the outbox, through members.signals (members does not
import deadlines): a verification code to send, a unit robot's waiting messages to retry."""

from django.db import transaction
from django.utils import timezone

from members.contacts import CODE_MINUTES
from members.models import ContactCode

from .models import ChannelState, Message
from .reminders import _dispatch_soon


def code_send_receiver(sender, *, user, kind, address, code, code_id, now, **kwargs):
    """Write the code's message into the outbox (to the new address itself: it is what is verified)."""
    text = f"【联席会议工作平台】您的验证码是 {code}，{CODE_MINUTES} 分钟内有效。如非本人操作，请忽略。"
    Message.objects.create(
        subject=f"contact:{user.pk}",
        kind=f"code:{kind}",
        recipient=user,
        channel=Message.SMS if kind == ContactCode.MOBILE else Message.EMAIL,
        period=str(code_id),
        address=address,
        title="【验证码】联系方式验证",
        body=text,
        next_attempt_at=now,
    )
    transaction.on_commit(_dispatch_soon)


def robot_retry_receiver(sender, *, unit_contact, **kwargs):
    """New robot settings: its channel and its waiting messages try again now."""
    now = timezone.now()
    ChannelState.objects.filter(key__in=[f"wecom:{unit_contact.pk}", f"dingtalk:{unit_contact.pk}"]).update(
        retry_at=now
    )
    Message.objects.filter(robot=unit_contact, status=Message.PENDING).update(next_attempt_at=now)
    transaction.on_commit(_dispatch_soon)
