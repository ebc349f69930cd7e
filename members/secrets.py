"""Secrets kept in the database (a DingTalk robot's 加签 secret, a WeCom robot key): encrypted with a
key derived from SECRET_KEY (Fernet), shown back only as a mask. Rotating SECRET_KEY means entering
the robots' secrets again (the page says which robots cannot be read)."""

import base64
import hashlib

from django.conf import settings


def _fernet():
    from cryptography.fernet import Fernet

    key = hashlib.sha256(f"robot-secrets:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def secret_open(sealed: str) -> str:
    """The clear secret, or "" if it cannot be read (a changed SECRET_KEY)."""
    if not sealed:
        return ""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""


def secret_mask(clear: str) -> str:
    if not clear:
        return ""
    return "•" * 6 + clear[-4:] if len(clear) > 8 else "•" * 6
