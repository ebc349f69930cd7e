"""The table rows of 我的待办 and 工作台, drawn in Python.

A list page shows 50 rows of ten cells; through the template engine each row cost ~0.3 ms (a variable
lookup, a filter and an escape per cell), more than the page's SQL. `format_html` escapes every value
the same way the template would. The markup of the rest of each page stays in its template."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

_SENTINEL = 987654321


def _detail_href():
    """`/items/{}/` with the project's URL configuration and script prefix, reversed once per table."""
    return reverse("items:detail", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")


@register.simple_tag
def inbox_rows(rows):
    href = _detail_href()
    return format_html_join("\n", (
        '<tr class="row-{}"><td><a href="{}#task-{}">{}</a></td><td class="nowrap">{}</td>'
        '<td class="nowrap">{}</td><td class="nowrap"><span class="tag">{}</span></td>'
        '<td class="nowrap">{}</td><td><span class="ladder ladder-{}" title="{}">{}</span></td></tr>'),
        ((row.colour, href.format(row.item_id), row.pk, row.title, row.unit_name, row.role_label, row.status_label,
          row.due_date.isoformat(), row.colour, row.colour_label, row.days_label) for row in rows))


def _unit_tag(unit_name, role, role_label, status_label):
    return format_html('<span class="tag{}" title="{}">{}·{}</span>', " tag-lead" if role == "lead" else "",
                       role_label, unit_name, status_label)


@register.simple_tag
def queue_rows(rows):
    href = _detail_href()
    # A page repeats a few dozen (unit, role, status) combinations: each tag is drawn once.
    tags = {}

    def unit_tags(units):
        out = []
        for u in units:
            key = (u.unit_name, u.role, u.role_label, u.status_label)
            if key not in tags:
                tags[key] = _unit_tag(*key)
            out.append(tags[key])
        return mark_safe("".join(out))  # noqa: S308 — every part came from format_html

    return format_html_join("\n", (
        '<tr class="row-{}"><td><a href="{}">{}</a></td><td class="nowrap"><span class="tag">{}</span></td>'
        '<td>{}</td><td class="nowrap">{}</td>'
        '<td><span class="ladder ladder-{}" title="{}">{}</span></td></tr>'),
        ((row.colour, href.format(row.pk), row.title, row.status_label, unit_tags(row.units),
          row.due_date.isoformat(), row.colour, row.colour_label, row.days_label) for row in rows))
