"""Authentication guards that hold for every way of signing in (the login page, HTTP basic auth)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

DEMO_REFUSED = "演示账号不能在正式环境登录。请使用联席会议办公室为您开设的正式账号。"


class DemoAccountRefusalBackend:
    """Where demo accounts are not allowed (production settings), a demo account cannot sign in even
    if it exists in the database (copied from a trial, or created by hand): raising PermissionDenied
    stops Django's authenticate() before any later backend checks the password. No get_user(): sessions
    keep naming the backend that signed the user in (the test client's force_login picks the first
    backend that has one)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if getattr(settings, "DEMO_ACCOUNTS_ALLOWED", False) or not username:
            return None
        model = get_user_model()
        if model._default_manager.filter(**{model.USERNAME_FIELD: username}, is_demo=True).exists():
            if request is not None:
                messages.error(request, DEMO_REFUSED, fail_silently=True)
            raise PermissionDenied(DEMO_REFUSED)
        return None
