"""The sidebar, drawn in Python: it is on every page, and through the template engine its twenty-odd
links cost more than many pages' own content (members.context_processors builds the entries)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def sidebar(context):
    active = context.get("nav_active", "")
    out = []
    for title, items in context.get("nav_groups", ()):
        out.append(f'<div class="nav-group">{escape(title)}</div>\n<ul>')
        for key, label, href in items:
            current = ' class="active" aria-current="page"' if key == active else ' class=""'
            out.append(f'<li><a href="{escape(href)}"{current}>{escape(label)}</a></li>')
        out.append("</ul>")
    return mark_safe("\n".join(out))  # noqa: S308 — every value above is escaped
