from django import template

from deadlines.ladder import countdown as countdown_words

register = template.Library()


@register.filter
def countdown(due):
    """`{{ due|countdown }}`: 剩余 N 天 / 今日到期 / 逾期 N 天 (deadlines.ladder.countdown). Show it only
    for open work: `{% if a.is_open %}`."""
    return countdown_words(due) if due else ""
