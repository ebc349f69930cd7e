"""`{% division_panel item %}`: 二次交办 and 成员审核 on the item page (docs/divisions.md), read by
`tasks.division_selectors.division_panel` so the item's own view needs no change."""

from django import template

from tasks.division_selectors import division_panel as panel

register = template.Library()


@register.inclusion_tag("tasks/_division_panel.html", takes_context=True)
def division_panel(context, item):
    request = context["request"]
    return {
        **panel(request.user, item),
        "item": item,
        "posted": context.get("posted") or {},
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
