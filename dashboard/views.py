"""督办总览 pages (thin: parse, call a selector or a service, render). Overseers only, except the
calendar-feed pages, which every signed-in user has for themselves."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.exports import XLSX_CONTENT_TYPE
from members.selectors import mechanism_current

from . import exports, feed, selectors, services
from .models import FeedToken


def _require_overseer(request):
    if not selectors.may_view(request.user):
        raise PermissionDenied("只有召集人、副召集人和联席会议办公室可以查看督办总览。")
    request.nav_active = "dashboard"


@require_GET
def index(request):
    _require_overseer(request)
    data = selectors.dashboard_cached()
    mechanism = data["mechanism"]
    data["annex2"] = mechanism is not None and mechanism.code == "zhejiang"
    data["may_press"] = request.user.has_perm("members.oversee")
    data["previous_quarter"] = data["quarters"][-2] if len(data["quarters"]) > 1 else data["quarters"][-1]
    data["figure_labels"] = [
        (m, selectors.METRIC_LABELS[m]) for m in ("open", "soon", "overdue", "red", "returned", "rerouted", "extended")
    ]
    data["unit_metrics"] = ("open", "soon", "overdue", "yellow", "red")  # 临期 is the blue step
    data["change_metrics"] = selectors.CHANGE_METRICS
    data["unit_tables"] = [("成员单位", data["member_rows"]), ("市州报送单位", data["reporting_rows"])]
    data["overdue_units_count"] = sum(1 for r in data["member_rows"] + data["reporting_rows"] if r.counts["overdue"])
    max_late = max([t["late"] for t in data["trend"]] + [1])
    for t in data["trend"]:
        t["height"] = round(120 * t["late"] / max_late)
    return render(request, "dashboard/index.html", data)


@require_GET
def drill_list(request):
    _require_overseer(request)
    filters = selectors.Filters.from_query(request.GET)
    data = selectors.drill(filters)
    data["query"] = request.GET.urlencode()
    data["metrics"] = selectors.METRIC_LABELS
    return render(request, "dashboard/list.html", data)


@require_GET
def ledger(request):
    _require_overseer(request)
    content, filename = exports.ledger_xlsx(selectors.Filters.from_query(request.GET))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _notice_context(request) -> dict:
    """The drafted 情况通报 of the quarter asked for (the previous one by default), for the page and
    the .docx alike; 404 outside the last four quarters."""
    _require_overseer(request)
    today = timezone.localdate()
    code = request.GET.get("quarter")
    quarter = selectors.Quarter.parse(code) if code else selectors.Quarter.of(today).previous()
    context = exports.notice_context(quarter, today=today)
    if not context["in_range"]:
        raise Http404("只能起草最近四个季度的情况通报。")
    context["mechanism"] = mechanism_current()
    return context


@require_GET
def notice(request):
    return render(request, "dashboard/notice.html", _notice_context(request))


@require_GET
def notice_docx(request):
    """The same draft as a Word document in the official layout, for the office to edit and issue."""
    from core.documents import DOCX_CONTENT_TYPE

    context = _notice_context(request)
    content, filename = exports.notice_docx(context, mechanism_name=context["mechanism"].name)
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


@require_POST
def press_all(request):
    _require_overseer(request)
    try:
        report = services.overdue_press_all(by=request.user)
    except DomainError as e:
        messages.error(request, str(e))
        return redirect("dashboard:index")
    if report.created:
        messages.success(
            request,
            f"已向 {report.units} 个逾期单位的 {report.recipients} 名联络员发出催办（{report.created} 条消息）。"
            f"{report.summary()}",
        )
    elif report.units:
        messages.success(
            request,
            f"今天已向这 {report.units} 个逾期单位催办过，同一单位每个工作日只催办一次，未重复发送。{report.summary()}",
        )
    else:
        messages.success(request, "目前没有逾期单位，无需催办。")
    return redirect("dashboard:index")


@require_http_methods(["GET", "POST"])
def calendar_feeds(request):
    """我的日历订阅: the user's own private address, create / replace / revoke."""
    request.nav_active = "calendar-feed"
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                token = get_object_or_404(FeedToken, pk=request.POST.get("token") or 0, user=request.user)
                services.feed_token_revoke(token=token, by=request.user)
                messages.success(request, "订阅地址已停用，日历程序将无法再读取。")
            else:
                services.feed_token_create(user=request.user, by=request.user)
                messages.success(request, "已生成新的订阅地址，旧地址（如有）已停用。")
        except DomainError as e:
            messages.error(request, str(e))
        return redirect("dashboard:calendar")
    live = FeedToken.objects.filter(user=request.user, revoked_at__isnull=True).first()
    url = request.build_absolute_uri(reverse("calendar-feed", args=[live.token])) if live else ""
    return render(request, "dashboard/calendar.html", {"live": live, "feed_url": url})


@login_not_required
@require_GET
def calendar_feed(request, token):
    """The .ics itself: no session (calendar programs have none); the token is the credential."""
    user = feed.token_user_or_404(token)
    response = HttpResponse(feed.feed_ics(user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
