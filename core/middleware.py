"""Request guards that hold for every page and endpoint."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware
from django.http import HttpResponseBadRequest, JsonResponse

from .backends import DEMO_REFUSED
from .queue import failed_enqueues

NUL_MESSAGE = "请求参数中含有无效字符（空字符），请检查链接后重试。"


class RejectNulMiddleware:
    """A NUL byte in the query string is refused with 400: PostgreSQL cannot hold one in a text
    parameter, so a list filter or a search fed one would otherwise end in a server error. Form and
    API bodies are checked by their fields (Django's and DRF's null-character validators)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "detail": NUL_MESSAGE}, status=400,
                                    json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
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
        if user.is_authenticated and getattr(user, "is_demo", False) and not getattr(settings, "DEMO_ACCOUNTS_ALLOWED", False):
            logout(request)
            messages.error(request, DEMO_REFUSED, fail_silently=True)
            return redirect_to_login(request.get_full_path())
        return super().process_view(request, view_func, view_args, view_kwargs)
