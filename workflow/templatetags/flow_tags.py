"""`{% load flow_tags %}` … `{% if meeting|may:"schedule" and office %}`: templates ask the model's
transition table whether an action is open now, never compare status strings."""

from django import template

from workflow.transitions import transition_allowed

register = template.Library()


@register.filter
def may(obj, action: str) -> bool:
    """Is `action` of the object's TRANSITIONS table open from its current status?"""
    return obj is not None and transition_allowed(obj, action)
