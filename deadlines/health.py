"""The reminder engine's checks for the health page (registered in DeadlinesConfig.ready):
the mail server, the SMS channel and the outbox backlog."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from core.health import register_check

from . import conf
from .models import Message

# The minute sweep sends what is due; a due message older than this means sending has stalled.
OUTBOX_MAX_AGE = timedelta(minutes=getattr(settings, "HEALTH_OUTBOX_MAX_AGE_MINUTES", 15))  # base settings


def _channel_failing(channel: str) -> str:
    """The last error when messages of `channel` are waiting after a failed attempt and nothing on the
    channel has been sent since the oldest of them was written; "" otherwise."""
    retrying = Message.objects.filter(
        channel=channel, status__in=[Message.PENDING, Message.FAILED], attempts__gt=0
    ).exclude(last_error="")
    oldest = retrying.aggregate(at=Min("created_at"))["at"]
    if oldest is None or Message.objects.filter(channel=channel, status=Message.SENT, sent_at__gte=oldest).exists():
        return ""
    return retrying.order_by("-created_at").values_list("last_error", flat=True).first() or "发送失败"


def mail_check() -> dict:
    from .outbox import _email_connection

    connection = _email_connection()
    backend = type(connection).__module__ + "." + type(connection).__name__
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        connection.timeout = 5
        connection.open()  # connects and signs in; raises when the server is unreachable
        connection.close()
        info = f"SMTP {connection.host}:{connection.port} 可连接"
    else:
        info = backend.rsplit(".", 2)[-2] + "（不经邮件服务器）"
    failing = _channel_failing(Message.EMAIL)
    return {"ok": not failing, "info": f"最近发送失败：{failing}" if failing else info}


def sms_check() -> dict:
    failing = _channel_failing(Message.SMS)
    backend = conf.sms_backend().rsplit(".", 1)[-1]
    return {"ok": not failing, "info": f"最近发送失败：{failing}" if failing else backend}


def outbox_check(now=None) -> dict:
    now = now or timezone.now()
    due = Message.objects.filter(
        Q(status=Message.PENDING, next_attempt_at__lte=now) | Q(status=Message.SENDING, lease_until__lt=now)
    )
    stats = due.aggregate(oldest=Min("next_attempt_at"))
    backlog = due.count()
    age = int((now - stats["oldest"]).total_seconds()) if stats["oldest"] else 0
    ok = age < OUTBOX_MAX_AGE.total_seconds()
    info = f"待发送 {backlog} 条" + (f"，最早的已等待 {age // 60} 分钟" if backlog else "")
    return {
        "ok": ok,
        "info": info,
        "backlog": backlog,
        "oldest_age_seconds": age,
        "oldest_due_at": stats["oldest"].isoformat() if stats["oldest"] else None,
    }


def register():
    register_check("mail", "邮件服务器", mail_check)
    register_check("sms", "短信通道", sms_check)
    register_check("outbox", "待发送消息", outbox_check)
