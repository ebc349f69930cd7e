"""The work lists: 我的待办 (liaisons, members) and 工作台 / 督办事项 (office, convener). The item
pages themselves are in `tasks.views`."""

from django.http import Http404
from django.shortcuts import render

from members.selectors import is_overseer, unit_choices
from tasks import selectors
from tasks.models import Item

from .inbox import inbox_page

STEPS_ON_QUEUE = 10


def _nav(request, key):
    request.nav_active = key


# --- lists -------------------------------------------------------------------------------------------


def queue(request):
    """工作台 (office) / 督办事项 (convener): every item, with the same filters, and decisions waiting."""
    if not is_overseer(request.user):
        raise Http404
    _nav(request, "queue")
    filters = selectors.Filters.from_query(request.GET)
    rows, cursor = selectors.queue(request.user, filters)
    return render(
        request,
        "workflow/queue.html",
        {
            "rows": rows,
            "next_cursor": cursor,
            "filters": filters,
            "statuses": [*Item.Status.choices, ("all", "全部")],
            "units": unit_choices(),  # the unit filter
            "pending": selectors.pending_requests(request.user),
            # The person's own open steps of every flow (reports to accept, reviews, decisions), most urgent
            # first: the first few of 我的待办, the same rows (workflow.inbox).
            "steps": inbox_page(request.user, limit=STEPS_ON_QUEUE, with_counts=False).entries,
            "may_dispatch": request.user.has_perm("members.dispatch"),
            "query": _query_without_cursor(request),
        },
    )


def _query_without_cursor(request):
    q = request.GET.copy()
    q.pop("after", None)
    return q.urlencode()
