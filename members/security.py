"""Sign-in protection: who must pass a second factor, the client's address behind trusted proxies,
the lockout rules, and the session's absolute and idle lifetimes. See docs/permissions.md
"Sign-in protection"."""

import ipaddress
import time
from functools import lru_cache
from urllib.parse import urlencode

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .access import access_for
from .models import DECIDING_ROLES, OFFICE_ROLES

PRIVILEGED_ROLES = {str(r) for r in DECIDING_ROLES | OFFICE_ROLES}
PRIVILEGED_PERMS = {"members.oversee", "members.decide", "members.dispatch"}


# --- Second factor -------------------------------------------------------------------------------------


def is_privileged(user) -> bool:
    """Office, convener, deputy convener and administrators (anyone who may enter the admin)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    access = access_for(user)
    return bool({role for role, _label in access.roles} & PRIVILEGED_ROLES or access.perms & PRIVILEGED_PERMS)


def has_second_factor(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(user) -> bool:
    """Privileged accounts must; anyone who set one up (a liaison may opt in) must use it too. Read
    from the access snapshot: no query on a cached request."""
    return is_privileged(user) or access_for(user).second_factor


def is_verified(user) -> bool:
    return bool(getattr(user, "otp_device", None))


def second_factor_exempt(view):
    """Mark a view reachable before the second factor (the second-factor pages themselves, sign-out)."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware:
    """After the password, an account that needs a second factor reaches nothing but the second-factor
    pages and sign-out until it has verified a code in this session. The API answers 403 (JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "second_factor_exempt", False):
            return None
        # Pages open without sign-in need no second factor, except DRF's views: DRF marks them all
        # login_not_required because it authenticates by itself, and a session must not pass unverified.
        if getattr(view_func, "login_required", True) is False and getattr(view_func, "cls", None) is None:
            return None
        user = request.user
        if not user.is_authenticated or is_verified(user) or not second_factor_required(user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": "该账号须完成两步验证：请先在网页上登录并输入动态验证码。",
                    "code": "second_factor_required",
                },
                status=403,
            )
        return redirect(f"{reverse('second-factor')}?{urlencode({'next': request.get_full_path()})}")


# --- Session lifetimes -----------------------------------------------------------------------------------

SESSION_STARTED = "signed_in_at"
SESSION_SEEN = "last_seen_at"
# Renew the idle clock at most once a minute: the session row is not rewritten on every request.
SEEN_RESOLUTION = 60


def session_mark_signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED] = now
        request.session[SESSION_SEEN] = now


class SessionLifetimeMiddleware:
    """Signs out a session older than SESSION_ABSOLUTE_SECONDS or idle longer than SESSION_IDLE_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Pages open without sign-in (health, the public list, feeds) never load the session, so they
        # still answer while the database is down; DRF's views are marked so too but use the session.
        if getattr(view_func, "login_required", True) is False and getattr(view_func, "cls", None) is None:
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get(SESSION_STARTED)
            seen = request.session.get(SESSION_SEEN, started)
            if started is None:  # a session from before this rule: its clock starts now
                request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = started = seen = now
            expired = now - started > settings.SESSION_ABSOLUTE_SECONDS or now - seen > settings.SESSION_IDLE_SECONDS
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "登录已过期，请重新登录。", "code": "session_expired"}, status=401)
                messages.info(request, "您已较长时间未操作或登录已超过时限，为保护账号安全已自动退出，请重新登录。")
                return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")
            if now - seen >= SEEN_RESOLUTION:
                request.session[SESSION_SEEN] = now
        return None


# --- Client address and lockout --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]):
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _parse(value: str):
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


def client_ip(request) -> str | None:
    """The client's address. X-Forwarded-For is believed only when the direct peer is one of
    TRUSTED_PROXIES, and only as far back as it is written by trusted proxies: walking from the right,
    the first address that is not a trusted proxy is the client (what a client writes itself sits to
    the left of it and is ignored). With no trusted proxies configured, the peer is the client."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    if peer is None:
        return None
    if not trusted or not any(peer in net for net in trusted):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [_parse(h) for h in forwarded.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        if hop is None:  # garbage in the chain: stop at the last address we could vouch for
            break
        client = hop
        if not any(hop in net for net in trusted):
            break
    return str(client)


class LockoutHandler(AxesDatabaseHandler):
    """Two limits, from AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]:

    - an account from one address is locked after AXES_FAILURE_LIMIT failures (a stranger elsewhere
      cannot lock the real user out: the lock holds only for the stranger's address);
    - an address is locked after AXES_ADDRESS_FAILURE_LIMIT failures, whatever usernames it tries
      (higher: a whole office may sign in from behind one NAT address)."""

    def get_failures(self, request, credentials=None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        if not counts:
            return 0
        per_account = counts[0]
        per_address = counts[1] if len(counts) > 1 else 0
        if per_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            request.axes_address_locked = True
            return max(per_account, settings.AXES_FAILURE_LIMIT, per_address)
        return per_account


# --- API -------------------------------------------------------------------------------------------------

from rest_framework import authentication, exceptions  # noqa: E402


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP basic auth carries no second factor: it is refused for accounts that need one (they use
    the API through a session that passed 两步验证). Everyone else uses it as before."""

    def authenticate_credentials(self, userid, password, request=None):
        user, auth = super().authenticate_credentials(userid, password, request)
        if second_factor_required(user):
            raise exceptions.AuthenticationFailed(
                "该账号须完成两步验证，不能使用用户名和密码直接访问 API：请在网页上登录并完成两步验证后使用会话访问。"
            )
        return user, auth
