"""我的待办: every open step of every flow for the person signed in (workflow.inbox, docs/inbox.md).
Thin: parse the filters, ask the registry, render."""

from django.shortcuts import render

from members.access import access_for
from members.models import ReportingUnit
from members.selectors import is_overseer, mechanism_id_for, unit_choices, unit_names

from .inbox import EXTRA_NAMES, InboxContext, InboxFilters, inbox_page, source_for


def unit_filter_choices(user, ctx: InboxContext) -> list[tuple[str, str]]:
    """The 单位 filter: the person's own units, or every unit of the joint meeting for an overseer."""
    if is_overseer(user):
        units = [(f"mu:{u['pk']}", u["name"]) for u in unit_choices()]
        prefectures = (
            ReportingUnit.objects.current()
            .filter(mechanism_id=mechanism_id_for(user))
            .order_by("order", "pk")
            .values_list("pk", "name")
        )
        return units + [(f"ru:{pk}", name) for pk, name in prefectures]
    names = unit_names()
    access = access_for(user)
    return [(f"mu:{pk}", names[pk]) for pk in ctx.unit_ids if pk in names] + [
        (f"ru:{pk}", name) for pk, name in zip(access.reporting_unit_ids, access.reporting_unit_names)
    ]


def query_without(request, *names) -> str:
    q = request.GET.copy()
    for name in ("after", *names):
        q.pop(name, None)
    return q.urlencode()


def inbox(request):
    request.nav_active = "inbox"
    filters = InboxFilters.from_query(request.GET)
    ctx = InboxContext.for_user(request.user)
    page = inbox_page(request.user, filters, ctx=ctx)
    units = unit_filter_choices(request.user, ctx)
    # The chosen kind's own filters (the 督办事项' 状态 and 分工), as its source declares them.
    source = source_for(filters.kind)
    extra = (
        [
            (name, label, options, filters.extra.get(name, ""))
            for name, (label, options) in getattr(source, "extra_filters", {}).items()
        ]
        if source
        else []
    )
    return render(
        request,
        "workflow/inbox.html",
        {
            "my_unit_names": [] if is_overseer(request.user) else [name for _, name in units],
            "rows": page.entries,
            "next_cursor": page.next_cursor,
            "filters": filters,
            "counts": page.counts,
            "total": page.total,
            "kinds": page.kinds,
            "units": units,
            "extra": extra,
            "query": query_without(request),
            "kind_query": query_without(request, "kind", *EXTRA_NAMES),
        },
    )
