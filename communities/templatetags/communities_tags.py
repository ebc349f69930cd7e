from decimal import ROUND_DOWN, Decimal

from django import template

register = template.Library()


@register.filter
def percent(ratio):
    """0.299 → “29.9%”. Rounded down, so a share just short of a target never shows as reaching it."""
    if ratio is None:
        return "—"
    value = (Decimal(str(ratio)) * 100).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{value}%"


@register.filter
def percent_width(ratio):
    return f"{min(100.0, max(0.0, float(ratio or 0) * 100)):.1f}"


@register.simple_tag
def progress_chart(rows, province, target_share):
    """创建进度 as a picture: one bar per prefecture (and the province), the target as a dashed line.
    Drawn on the server as SVG; the numbers are in the table beneath it. Bars under the target are
    hatched as well as coloured, so the picture does not rely on colour alone."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    rows = list(rows) + [province]
    label_w, bar_w, row_h = 84, 260, 22
    height = row_h * len(rows) + 28
    width = label_w + bar_w + 56
    target = float(target_share) if target_share not in (None, "") else None
    parts = [
        f'<svg class="chart progress-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="各市州达到创建标准的社区比例{"与目标" if target is not None else ""}：数据见下表">',
        '<defs><pattern id="below-target" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="bar-below"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>',
    ]
    for i, r in enumerate(rows):
        y = 6 + i * row_h
        pct = min(100.0, max(0.0, float(r.ratio or 0) * 100))
        below = target is not None and r.ratio is not None and pct < target
        fill = 'fill="url(#below-target)"' if below else 'class="bar-met"'
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" class="axis">{escape(r.label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{bar_w * pct / 100:.1f}" height="16" {fill}/>'
            f'<text x="{label_w + bar_w * pct / 100 + 4:.1f}" y="{y + 13}" class="value">'
            f"{percent(r.ratio)}</text>"
        )
    if target is not None:
        x = label_w + bar_w * target / 100
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{height - 20}" class="target-line"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" class="target-label">目标 {target:g}%</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — labels escaped, numbers formatted
