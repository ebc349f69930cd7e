"""The work lists: 我的待办 (liaisons, members) and 工作台 / 督办事项 (office, convener). The item
pages themselves are in `tasks.views`."""


from django.http import Http404
from django.shortcuts import render

from members.access import access_for
from members.selectors import is_overseer, unit_choices, unit_names
from tasks import selectors
from tasks.models import Assignment, Item


def _nav(request, key):
    request.nav_active = key


# --- lists -------------------------------------------------------------------------------------------


def inbox(request):
    """我的待办: the open tasks of the user's units, soonest due first."""
    _nav(request, "inbox")
    filters = selectors.Filters.from_query(request.GET)
    access, names = access_for(request.user), unit_names()
    rows, cursor = selectors.inbox(request.user, filters, unit_ids=access.unit_ids)
    return render(request, "workflow/inbox.html", {
        # Names from the unit-name cache, not the snapshot: a renamed unit shows its new name.
        "my_unit_names": [names[pk] for pk in access.unit_ids if pk in names],
        "rows": rows, "next_cursor": cursor, "filters": filters,
        "statuses": [(s.value, s.label) for s in Assignment.Status if s in Assignment.OPEN],
        "query": _query_without_cursor(request),
    })


def queue(request):
    """工作台 (office) / 督办事项 (convener): every item, with the same filters, and decisions waiting."""
    if not is_overseer(request.user):
        raise Http404
    _nav(request, "queue")
    filters = selectors.Filters.from_query(request.GET)
    rows, cursor = selectors.queue(request.user, filters)
    return render(request, "workflow/queue.html", {
        "rows": rows, "next_cursor": cursor, "filters": filters,
        "statuses": [*Item.Status.choices, ("all", "全部")],
        "units": unit_choices(),  # the unit filter
        "pending": selectors.pending_requests(request.user),
        "may_dispatch": request.user.has_perm("members.dispatch"),
        "query": _query_without_cursor(request),
    })


def _query_without_cursor(request):
    q = request.GET.copy()
    q.pop("after", None)
    return q.urlencode()
