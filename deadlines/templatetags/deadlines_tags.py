"""Template tags of the deadlines app for other apps' pages (the office's front page)."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("deadlines/_calendar_front_notice.html", takes_context=True)
def calendar_front_notice(context):
    """The office's reminder to enter a year's holidays: this year if missing, and from 1 November the
    next year too (the State Council publishes it around then). Nothing for anyone else."""
    user = context.get("user")
    if user is None or not selectors.may_edit_calendar(user):
        return {"missing_years": []}
    return {"missing_years": selectors.front_page_warning_years()}
