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


# Line colours that stay apart for the common colour-vision deficiencies (Okabe–Ito), each with its own
# marker shape: a line is never told from another by colour alone.
SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MARKERS = ["circle", "square", "diamond", "triangle", "circle", "square", "diamond"]


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}L{x - 5:.1f} {y:.1f}Z" fill="{colour}"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}L{x - 5:.1f} {y + 4:.1f}Z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


@register.simple_tag
def rate_lines(rows, quarters, title="按时办结率（%）"):
    """On-time rate per quarter, one line per unit, drawn on the server as SVG (no script, no CDN).
    Quarters without anything due leave a gap. The numbers are in the table beneath the chart."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    left, top, step, height = 36, 12, 90, 150
    width = left + step * max(len(quarters) - 1, 1) + 150
    parts = [
        f'<svg class="chart chart-lines" viewBox="0 0 {width} {height + 40}" role="img" '
        f'aria-label="{escape(title)}：数据见下表">'
    ]
    for pct in (0, 50, 100):
        y = top + height * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" x2="{left + step * (len(quarters) - 1)}" y1="{y:.1f}" y2="{y:.1f}" class="grid-line"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{pct}</text>'
        )
    for i, q in enumerate(quarters):
        parts.append(
            f'<text x="{left + step * i}" y="{top + height + 22}" text-anchor="middle" class="axis">'
            f"{q.year}Q{q.q}</text>"
        )
    for n, row in enumerate(rows):
        colour, shape = SERIES_COLOURS[n % len(SERIES_COLOURS)], MARKERS[n % len(MARKERS)]
        points, segment, last = [], [], None
        for i, q in enumerate(quarters):
            rate = row.quarters.get(q.code, {}).get("rate")
            if rate is None:
                if segment:
                    points.append(segment)
                segment = []
                continue
            xy = (left + step * i, top + height * (1 - rate / 100))
            segment.append(xy)
            last = xy
        if segment:
            points.append(segment)
        for seg in points:
            if len(seg) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts += [_marker(shape, x, y, colour) for x, y in seg]
        if last:
            parts.append(
                f'<text x="{last[0] + 8:.1f}" y="{last[1] + 4:.1f}" fill="{colour}" class="series-label">'
                f"{escape(row.name)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — names escaped, numbers formatted
