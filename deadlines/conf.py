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
    """How long a claimed message stays claimed; longer than any send can take (SMTP/SMS timeouts)."""
    return _get("DEADLINES_LEASE_SECONDS", 300, int)


def send_timeout() -> int:
    return _get("DEADLINES_SEND_TIMEOUT", 60, int)


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
