"""The arithmetic of the annual evaluation, on counts alone (no database): figures → points.

Each indicator gives points out of its weight (evaluation.rules):
- ontime_rate: weight × on time / due (nothing due: the full weight);
- overdue_days: weight − per_day × overdue days, not below 0;
- returns: weight − per_return × returns for revision, not below 0;
- quality: weight × the mean mark value (优 100 …) / 100 of the marked reports (none marked: the weight);
- matters_done: weight × agreed-matter shares done / due (none due: the weight; member units only).
Each part is rounded half-up to 0.01; the total is their sum scaled to full marks over the weights
that apply to the subject (a prefecture has no agreed matters), rounded the same way."""

from decimal import ROUND_HALF_UP, Decimal

from .rules import MEMBER_ONLY, indicator_codes

CENT = Decimal("0.01")
ZERO = Decimal(0)


def q2(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def empty_figures() -> dict:
    return {"due": 0, "ontime": 0, "overdue_days": 0, "returns": 0, "marks": {}, "matters_due": 0, "matters_done": 0}


def indicator_points(code: str, spec: dict, f: dict) -> Decimal:
    w = Decimal(spec["weight"])
    if code == "ontime_rate":
        return w if not f["due"] else w * f["ontime"] / f["due"]
    if code == "overdue_days":
        return max(ZERO, w - Decimal(spec["per_day"]) * f["overdue_days"])
    if code == "returns":
        return max(ZERO, w - Decimal(spec["per_return"]) * f["returns"])
    if code == "quality":
        counted = sum(f["marks"].values())
        if not counted:
            return w
        total = sum(Decimal(spec["marks"][mark]) * n for mark, n in f["marks"].items())
        return w * total / (Decimal(100) * counted)
    if code == "matters_done":
        return w if not f["matters_due"] else w * f["matters_done"] / f["matters_due"]
    raise ValueError(code)


def applies(code: str, kind: str) -> bool:
    return not (kind == "ru" and code in MEMBER_ONLY)


def score(figures: dict, rules: dict, kind: str) -> tuple[dict, Decimal]:
    """(indicator → points, total) of one subject ("mu" member unit, "ru" prefecture)."""
    parts, weights = {}, ZERO
    for code in indicator_codes(rules):
        spec = rules["indicators"][code]
        if not applies(code, kind):
            continue
        weights += Decimal(spec["weight"])
        parts[code] = q2(indicator_points(code, spec, figures))
    full = Decimal(rules["full_marks"])
    total = q2(sum(parts.values(), ZERO) * full / weights) if weights else full
    return parts, total


def grade_for(points: Decimal, rules: dict) -> str:
    for g in rules["grades"]:
        if points >= Decimal(g["min"]):
            return g["label"]
    return rules["grades"][-1]["label"]


def ranks(values: list[Decimal]) -> list[int]:
    """Competition ranking, highest first: 95, 90, 90, 80 → 1, 2, 2, 4."""
    ordered = sorted(values, reverse=True)
    first = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return [first[v] for v in values]
