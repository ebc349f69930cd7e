"""The product's error pages (400, 403, 404, 500 and a refused CSRF check): Chinese, in the product's
frame, with a way back.

They are rendered without the request's context processors: the sidebar reads the database and the
access cache, and an error page must still come up when those are what failed. API paths get JSON."""

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

PAGES = {
    400: ("请求无效", "服务器无法理解这个请求（链接可能不完整，或含有无效的内容）。请检查后重试。"),
    403: ("没有权限", "您的账号没有打开这个页面或执行这项操作的权限。如需办理，请联系联席会议办公室。"),
    404: ("页面不存在", "您要找的页面不存在，或者您无权查看。链接可能已过期或输入有误。"),
    500: (
        "系统出错了",
        "服务器处理这个请求时出错了，您的操作可能没有完成。我们已经记录了这个错误，请稍后重试；"
        "如果问题持续，请联系系统管理员。",
    ),
}
CSRF_TITLE = "页面已过期"
CSRF_MESSAGE = (
    "为保护您的账号，提交表单需要通过安全校验，这次校验没有通过（页面打开时间过长、已在别处退出，"
    "或浏览器禁用了 Cookie）。请返回上一页，刷新后重新提交。"
)


def _back_url(request) -> str:
    """The page the user came from when it is on this site; otherwise none (the home link remains)."""
    referer = request.META.get("HTTP_REFERER", "") if request is not None else ""
    try:
        host = request.get_host()
    except Exception:  # noqa: BLE001 - a refused Host header is itself a reason for a 400
        return ""
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return referer
    return ""


def error_page(request, status: int, title: str, message: str) -> HttpResponse:
    if request is not None and request.path.startswith("/api/"):
        return JsonResponse({"detail": f"{title}：{message}"}, status=status, json_dumps_params={"ensure_ascii": False})
    try:
        home = reverse("home")
    except Exception:  # noqa: BLE001
        home = "/"
    body = loader.get_template("errors/error.html").render(
        {"status": status, "title": title, "message": message, "back_url": _back_url(request), "home_url": home}
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def bad_request(request, exception=None, template_name=None):
    return error_page(request, 400, *PAGES[400])


def permission_denied(request, exception=None, template_name=None):
    return error_page(request, 403, *PAGES[403])


def page_not_found(request, exception=None, template_name=None):
    return error_page(request, 404, *PAGES[404])


def server_error(request=None, template_name=None):
    return error_page(request, 500, *PAGES[500])


def csrf_failure(request, reason="", template_name=None):
    return error_page(request, 403, CSRF_TITLE, CSRF_MESSAGE)
