"""Request guards that hold for every page and endpoint."""

import base64
import binascii

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest, JsonResponse

from .backends import DEMO_REFUSED
from .queue import failed_enqueues

NUL_MESSAGE = "请求参数中含有无效字符（空字符），请检查链接后重试。"
PATH_MESSAGE = "链接地址中含有无效字符（空字符），请检查链接后重试。"
AUTH_MESSAGE = "登录信息中含有无效字符或过长，请检查用户名后重试。"
# Longer than any account's username (150) with room to spare; what sign-in records (django-axes)
# holds at most 255.
AUTH_USERNAME_MAX = 150


def _basic_auth_username(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None  # not ours to judge: the API answers 401 for a malformed header
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    return text.partition(":")[0]


def _refuse(request, message):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "invalid", "detail": message}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class RejectNulMiddleware:
    """A NUL byte where no person would type one is refused with a Chinese 400 before any view or
    sign-in check runs: PostgreSQL cannot hold one in a text parameter, so a list filter, a feed token
    in the path or a sign-in attempt recorded by django-axes would otherwise end in a server error.
    Checked here: the path, the query string, the HTTP basic-auth username (also refused when longer
    than any username). Not here: form bodies, so that a form re-renders with what was typed and a
    Chinese error (Django's and DRF's text fields refuse NUL; the services' text checks too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            return _refuse(request, PATH_MESSAGE)
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            return _refuse(request, NUL_MESSAGE)
        username = _basic_auth_username(request)
        if username is not None and ("\x00" in username or len(username) > AUTH_USERNAME_MAX):
            return _refuse(request, AUTH_MESSAGE)
        return self.get_response(request)


QUEUED_LATER_MESSAGE = "已记录。后台消息队列暂时不可用，相关通知将在恢复后自动发出，无需重复操作。"


class EnqueueNoticeMiddleware:
    """Tells the user their change was recorded when a task could not be enqueued after it was
    committed (core.queue): the periodic sweep sends the work later, so retrying would only repeat it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = failed_enqueues.set([])
        try:
            response = self.get_response(request)
            if failed_enqueues.get():
                messages.warning(request, QUEUED_LATER_MESSAGE, fail_silently=True)
            return response
        finally:
            failed_enqueues.reset(token)


class LoginRequiredMiddleware(BaseLoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, asking the view first: a view marked @login_not_required
    (health, the public list, calendar feeds) never loads the session, so it still answers while the
    database is down (Django's own looks the user up before it reads the mark).

    Where demo accounts are not allowed, a demo account's session (one signed in before, or copied with
    a trial database) is ended here, as its sign-in is refused (core.backends)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "is_demo", False)
            and not getattr(settings, "DEMO_ACCOUNTS_ALLOWED", False)
        ):
            logout(request)
            messages.error(request, DEMO_REFUSED, fail_silently=True)
            return redirect_to_login(request.get_full_path())
        return super().process_view(request, view_func, view_args, view_kwargs)


def axes_username(request, credentials=None) -> str:
    """The username django-axes records for a sign-in attempt (settings.AXES_USERNAME_CALLABLE).
    Django's sign-in form does not enforce the username's length before trying it, and axes stores
    at most 255 characters: a forged 10,000-character username ended in a server error. Cut it, and
    drop NUL bytes, so the attempt is recorded and the person sees the usual wrong-password message."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "POST", {}).get("username") if request is not None else None
    return str(username or "").replace("\x00", "")[:AUTH_USERNAME_MAX]
