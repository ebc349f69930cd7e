from django import template

from deadlines.ladder import LABELS

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key, 0) if mapping else 0


@register.filter
def mul(value, n):
    return int(value) * int(n)


@register.filter
def sub(value, n):
    return int(value) - int(n)


@register.filter
def ladder_label(colour):
    return LABELS.get(colour, "正常")
