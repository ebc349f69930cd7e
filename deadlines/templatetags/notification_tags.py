"""The unread badge in the header of every page (templates/base.html)."""

from django import template

from deadlines.selectors import unread_count

register = template.Library()


@register.inclusion_tag("deadlines/_unread_badge.html", takes_context=True)
def unread_badge(context):
    """One count over the partial index `message_unread`, whatever the number of notifications."""
    user = context.get("user")
    return {"count": unread_count(user) if user is not None and user.is_authenticated else 0}
