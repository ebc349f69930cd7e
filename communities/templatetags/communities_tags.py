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
