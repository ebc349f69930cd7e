"""The deadlines app's own settings, read from the environment (kept out of config/settings so the
integration lives in one module). Each value can also be set in Django settings under the same name."""

import os

from django.conf import settings


def _get(name, default, cast=str):
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    return default if raw in (None, "") else cast(raw)


def email_url() -> str:
    """Overrides EMAIL_BACKEND for reminders only (e.g. smtp://host:25); empty means Django's own."""
    return _get("DEADLINES_EMAIL_URL", "")


def sms_backend() -> str:
    return _get("DEADLINES_SMS_BACKEND", "deadlines.sms.ConsoleBackend")


def sms_file_path() -> str:
    return _get("DEADLINES_SMS_FILE", str(settings.BASE_DIR / "var" / "sms.log"))


def lease_seconds() -> int:
    """The fixed part of a claimed batch's lease: connecting plus one send's timeout. A batch's lease is
    this plus DEADLINES_LEASE_PER_MESSAGE per row, so a killed send is retried within about a minute."""
    return _get("DEADLINES_LEASE_SECONDS", 30, int)


def send_timeout() -> int:
    return _get("DEADLINES_SEND_TIMEOUT", 20, int)


def max_attempts() -> int:
    return _get("DEADLINES_MAX_ATTEMPTS", 6, int)


def quiet_hours() -> tuple[int, int]:
    """SMS is held between these local hours (start, end); (22, 8) = 22:00–08:00."""
    raw = _get("DEADLINES_SMS_QUIET_HOURS", "22-8")
    if isinstance(raw, (tuple, list)):
        return int(raw[0]), int(raw[1])
    start, end = raw.split("-")
    return int(start), int(end)


def aliyun() -> dict:
    return {
        "access_key_id": _get("ALIYUN_SMS_ACCESS_KEY_ID", ""),
        "access_key_secret": _get("ALIYUN_SMS_ACCESS_KEY_SECRET", ""),
        "endpoint": _get("ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com"),
        "protocol": _get("ALIYUN_SMS_PROTOCOL", "https"),
        "sign_name": _get("ALIYUN_SMS_SIGN_NAME", ""),
        "template_code": _get("ALIYUN_SMS_TEMPLATE_CODE", ""),
    }


def site_url() -> str:
    """The address every link in a mail or SMS starts with (SITE_URL, e.g. https://lxhy.example.gov.cn)."""
    return str(_get("SITE_URL", "http://localhost:8000")).rstrip("/")


def press_cooldown_working_days() -> int:
    """催办 of one subject (a unit's share of an item, an obligation) at most once per this many
    working days; 0 turns the cool-down off."""
    return _get("DEADLINES_PRESS_COOLDOWN_WORKING_DAYS", 1, int)


def lease_per_message() -> float:
    """Seconds of lease added per row of a claimed batch (on top of DEADLINES_LEASE_SECONDS)."""
    return _get("DEADLINES_LEASE_PER_MESSAGE", 0.5, float)


def batch_size(channel: str) -> int:
    """Rows claimed and sent together over one connection."""
    defaults = {"email": 100, "sms": 50, "wecom": 40, "dingtalk": 40}
    return _get(f"DEADLINES_BATCH_{channel.upper()}", defaults.get(channel, 50), int)


def drain_seconds() -> int:
    """How long one drain task keeps claiming batches before it hands over to a fresh task."""
    return _get("DEADLINES_DRAIN_SECONDS", 50, int)


def drain_parallel() -> int:
    """At most this many drain tasks per channel are queued by one dispatch (match the worker pool)."""
    return _get("DEADLINES_DRAIN_PARALLEL", 4, int)


def probe_seconds(failures: int) -> int:
    """While a channel is down, one batch probes it after 15 s, 30 s, 60 s … at most every 5 minutes."""
    base = _get("DEADLINES_PROBE_SECONDS", 15, int)
    return min(base * 2 ** max(failures - 1, 0), 300)


def wecom_base_url() -> str:
    return _get("DEADLINES_WECOM_BASE_URL", "https://qyapi.weixin.qq.com").rstrip("/")


def dingtalk_base_url() -> str:
    """https://oapi.dingtalk.com, or 政务钉钉's own address."""
    return _get("DEADLINES_DINGTALK_BASE_URL", "https://oapi.dingtalk.com").rstrip("/")


def robot_per_minute() -> int:
    return _get("DEADLINES_ROBOT_PER_MINUTE", 20, int)


def code_ttl_minutes() -> int:
    return _get("CONTACT_CODE_MINUTES", 10, int)


def finish_every() -> int:
    """Sent rows are marked in groups of this many (or every half second): the width of the duplicate
    window after a crash, traded against one database round trip per message. 1 = mark each at once."""
    return max(_get("DEADLINES_FINISH_EVERY", 10, int), 1)
