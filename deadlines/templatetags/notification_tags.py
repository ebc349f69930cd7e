"""The unread badge in the header of every page (templates/base.html); the name of a notification's kind."""

from django import template

from deadlines import events
from deadlines.selectors import unread_count

register = template.Library()


@register.inclusion_tag("deadlines/_unread_badge.html", takes_context=True)
def unread_badge(context):
    """One count over the partial index `message_unread`, whatever the number of notifications."""
    user = context.get("user")
    return {"count": unread_count(user) if user is not None and user.is_authenticated else 0}


@register.filter
def kind_label(kind: str) -> str:
    """`{{ message.kind|kind_label }}`: the Chinese name of an outbox kind, from the event catalogue."""
    return events.kind_label(kind)
