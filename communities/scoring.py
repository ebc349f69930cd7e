"""The creation standards and the two ways of judging a community against them.

A province's standard is data (communities/standards/<code>.yaml, its texts word for word from the
seed); this module reads it and computes. `engine_for(code)` gives Guizhou's 16-item checklist or
Zhejiang's 100-point score, whatever `settings.MECHANISM` says, so both can be tested anywhere.

Both engines take a flat dict of entered facts (JSON-safe: bools, ints, strings, decimal strings),
`clean()` it — refusing bad values with a Chinese message, never clamping silently — and
`evaluate()` it into a `Result` with one line per item, the total and the verdict. Arithmetic is
exact (Fraction): 29.9% is below 30%, not “about” 30%."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path

from core.errors import DomainError
from core.yamlfile import yaml_data, yaml_read

STANDARDS_DIR = Path(__file__).resolve().parent / "standards"


class StandardError(DomainError):
    code = "standard_invalid"


@cache
def standard_read(code: str) -> dict:
    """The parsed standards file of a province (cached: the files ship with the code)."""
    path = STANDARDS_DIR / f"{code}.yaml"
    if not path.exists():
        raise StandardError(f"没有 {code} 的创建标准文件（communities/standards/{code}.yaml）。")
    return yaml_data(yaml_read(path, error=StandardError))


# --- Results -----------------------------------------------------------------------------------


@dataclass
class ItemResult:
    no: int
    area: str
    standard: str
    scoring: str = ""
    points: int = 0  # the item's full value (0 for a checklist item)
    deduction: int = 0
    score: int = 0
    met: bool | None = None  # checklist only
    notes: list[str] = field(default_factory=list)


@dataclass
class Result:
    engine: str
    items: list[ItemResult]
    total: int
    passed: bool
    max_total: int
    pass_line: str

    def as_dict(self) -> dict:
        return {
            "engine": self.engine,
            "total": self.total,
            "passed": self.passed,
            "max_total": self.max_total,
            "pass_line": self.pass_line,
            "items": [
                {
                    "no": i.no,
                    "points": i.points,
                    "deduction": i.deduction,
                    "score": i.score,
                    "met": i.met,
                    "notes": i.notes,
                }
                for i in self.items
            ],
        }


# --- Field description (for forms and for clean) -------------------------------------------------


@dataclass
class FactField:
    """One value the assessor enters. `kind` is bool, int, percent or choice."""

    key: str
    label: str
    kind: str
    item_no: int
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    help_text: str = ""


def _percent(value, label) -> Fraction:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise StandardError(f"“{label}”应为 0 到 100 之间的数字。") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise StandardError(f"“{label}”应为 0 到 100 之间的数字。")
    return Fraction(d)


def _int(value, label, *, min_value=0, max_value=None) -> int:
    if isinstance(value, bool):
        raise StandardError(f"“{label}”应为整数。")
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise StandardError(f"“{label}”应为整数。") from None
    if n < min_value or (max_value is not None and n > max_value):
        upper = f"到 {max_value}" if max_value is not None else "以上"
        raise StandardError(
            f"“{label}”应在 {min_value} {upper}之间。"
            if max_value is not None
            else f"“{label}”应为 {min_value} 或以上的整数。"
        )
    return n


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "on", "yes", "是"}


class Engine:
    code: str
    kind: str

    def __init__(self, code: str):
        self.code = code
        self.spec = standard_read(code)

    # Targets are the same shape for both provinces.
    def targets(self) -> list[dict]:
        return sorted(self.spec.get("targets", []), key=lambda t: t["year"])

    def report_years(self, until: int) -> list[int]:
        """The years reported on: every configured target year, then each later year up to `until` (the
        ledger goes on after the plan's last target: a community confirmed in 2026 counts in 2026)."""
        years = [t["year"] for t in self.targets()]
        if not years:
            return [until]
        return years + list(range(years[-1] + 1, until + 1))

    def target_for(self, year: int) -> dict | None:
        """The target in force for `year`: the latest one whose year is not after it (the 2022
        share still applies in 2023); None before the first target year."""
        current = None
        for t in self.targets():
            if t["year"] <= year:
                current = t
        return current

    @property
    def renovated_share(self) -> int | None:
        rule = self.spec.get("renovated_estates")
        return rule["share"] if rule else None

    @property
    def report_by_county(self) -> bool:
        return bool(self.spec.get("report_by_county"))

    def items(self):
        for area in self.spec["areas"]:
            for item in area["items"]:
                yield area["name"], item


class ChecklistEngine(Engine):
    """Guizhou: 16 items in 5 areas, each met or not; all 16 met is the standard (the trial
    standard gives no scores, so nothing weaker can be read into it)."""

    kind = "checklist"

    def fields(self) -> list[FactField]:
        return [
            FactField(key=f"item_{item['number']}", label=item["standard"], kind="bool", item_no=item["number"])
            for _area, item in self.items()
        ]

    def clean(self, facts: dict) -> dict:
        return {f.key: _bool(facts.get(f.key, False)) for f in self.fields()}

    def evaluate(self, facts: dict) -> Result:
        facts = self.clean(facts)
        items = []
        for area, item in self.items():
            met = facts[f"item_{item['number']}"]
            items.append(
                ItemResult(
                    no=item["number"],
                    area=area,
                    standard=item["standard"],
                    met=met,
                    score=1 if met else 0,
                    notes=[] if met else ["未达到"],
                )
            )
        total = sum(i.score for i in items)
        return Result(
            engine=self.kind,
            items=items,
            total=total,
            passed=total == len(items),
            max_total=len(items),
            pass_line=f"{len(items)} 项全部达到",
        )


class ScoreEngine(Engine):
    """Zhejiang: 16 items × 6 points, deductions per the 评分标准 column, plus item 17 (bonus, at
    most 4); a total of `pass_score` (80) or more is a green community."""

    kind = "score"

    @property
    def partial_step_counts(self) -> bool:
        return self.spec.get("partial_step", "counts") == "counts"

    def _steps(self, shortfall: Fraction, step: int) -> int:
        if shortfall <= 0:
            return 0
        ratio = shortfall / step
        return math.ceil(ratio) if self.partial_step_counts else math.floor(ratio)

    def fields(self) -> list[FactField]:
        out = []
        for _area, item in self.items():
            for rule in item["rules"]:
                key, label, kind, no = rule["key"], rule["label"], rule["kind"], item["number"]
                if kind == "flag":
                    out.append(FactField(key, label, "bool", no, help_text=f"扣{rule['deduct']}分"))
                elif kind == "judgement":
                    out.append(
                        FactField(
                            key,
                            label,
                            "int",
                            no,
                            min_value=0,
                            max_value=rule["max"],
                            help_text=f"由评估人认定，0–{rule['max']}分",
                        )
                    )
                elif kind == "count":
                    out.append(
                        FactField(
                            key,
                            label,
                            "int",
                            no,
                            min_value=0,
                            max_value=rule.get("max"),
                            help_text=f"每{'处' if 'per' in rule else ''}扣{rule['per']}分，最高扣{rule['cap']}分",
                        )
                    )
                elif kind == "shortfall":
                    out.append(
                        FactField(
                            key,
                            label,
                            "int",
                            no,
                            required=True,
                            min_value=0,
                            help_text=f"至少{rule['required']}次，每少1次扣{rule['per']}分，最高扣{rule['cap']}分",
                        )
                    )
                elif kind == "rate":
                    out.append(FactField(f"{key}_received", f"{label}件数", "int", no, min_value=0))
                    out.append(
                        FactField(
                            f"{key}_handled",
                            f"{label}已处理件数",
                            "int",
                            no,
                            min_value=0,
                            help_text="无投诉按处理率100%计",
                        )
                    )
                elif kind == "threshold":
                    out.append(
                        FactField(
                            key,
                            label,
                            "percent",
                            no,
                            required=True,
                            min_value=0,
                            max_value=100,
                            help_text=f"不低于{rule['threshold']}%，每降低{rule['step']}%扣{rule['per_step']}分，最高扣{rule['cap']}分",
                        )
                    )
                elif kind == "choice":
                    out.append(
                        FactField(
                            key,
                            label,
                            "choice",
                            no,
                            required=True,
                            choices=[(o["value"], o["label"]) for o in rule["options"]],
                        )
                    )
                else:  # pragma: no cover - the shipped files are tested
                    raise StandardError(f"未知的评分规则类型：{kind}")
        bonus = self.spec.get("bonus")
        if bonus:
            out.append(
                FactField(
                    "bonus",
                    bonus["label"],
                    "int",
                    bonus["number"],
                    min_value=0,
                    help_text=f"{bonus['scoring']}（上限{bonus['points']}分）",
                )
            )
        return out

    def clean(self, facts: dict) -> dict:
        out = {}
        for f in self.fields():
            raw = facts.get(f.key)
            empty = raw is None or (isinstance(raw, str) and raw.strip() == "")
            if f.kind == "bool":
                out[f.key] = _bool(raw) if not empty else False
            elif empty:
                if f.required:
                    raise StandardError(f"请填写第{f.item_no}项“{f.label}”。", field=f.key)
                out[f.key] = 0
            elif f.kind == "int":
                try:
                    out[f.key] = _int(raw, f.label, min_value=f.min_value or 0, max_value=f.max_value)
                except StandardError as e:
                    raise StandardError(f"第{f.item_no}项：{e.message}", field=f.key) from None
            elif f.kind == "percent":
                try:
                    _percent(raw, f.label)
                    out[f.key] = str(Decimal(str(raw).strip()))
                except StandardError as e:
                    raise StandardError(f"第{f.item_no}项：{e.message}", field=f.key) from None
            elif f.kind == "choice":
                if raw not in {v for v, _ in f.choices}:
                    raise StandardError(f"第{f.item_no}项“{f.label}”的选项无效。", field=f.key)
                out[f.key] = raw
        for _area, item in self.items():
            for rule in item["rules"]:
                if rule["kind"] == "rate" and out[f"{rule['key']}_handled"] > out[f"{rule['key']}_received"]:
                    raise StandardError(
                        f"第{item['number']}项：已处理件数不能多于投诉件数。", field=f"{rule['key']}_handled"
                    )
        return out

    def _rule(self, rule: dict, facts: dict, points: int) -> tuple[int, str | None]:
        """(deduction, explanation) of one rule."""
        kind, key = rule["kind"], rule["key"]
        if kind == "flag":
            return (rule["deduct"], f"{rule['label']}，扣{rule['deduct']}分") if facts[key] else (0, None)
        if kind == "judgement":
            n = facts[key]
            return (n, f"{rule['label'].removesuffix('（扣分）')}，扣{n}分") if n else (0, None)
        if kind == "count":
            n = facts[key]
            d = min(rule["cap"], n * rule["per"])
            if not n:
                return 0, None
            capped = "（已达上限）" if n * rule["per"] > rule["cap"] else ""
            return d, f"{rule['label']} {n}，扣{d}分{capped}"
        if kind == "shortfall":
            missing = max(0, rule["required"] - facts[key])
            d = min(rule["cap"], missing * rule["per"])
            return (d, f"{rule['label']} {facts[key]}，少{missing}次，扣{d}分") if d else (0, None)
        if kind == "rate":
            received, handled = facts[f"{key}_received"], facts[f"{key}_handled"]
            rate = Fraction(100) if received == 0 else Fraction(handled * 100, received)
            shown = f"{float(rate):.1f}%"
            if rate < rule["zero_below"]:
                return points, f"投诉处理率{shown}，低于{rule['zero_below']}%，此项不得分"
            d = min(points, self._steps(100 - rate, rule["step"]) * rule["per_step"])
            return (d, f"投诉处理率{shown}，扣{d}分") if d else (0, None)
        if kind == "threshold":
            value = Fraction(Decimal(facts[key]))
            d = min(rule["cap"], self._steps(rule["threshold"] - value, rule["step"]) * rule["per_step"])
            return (d, f"{rule['label']}{facts[key]}%，扣{d}分") if d else (0, None)
        if kind == "choice":
            option = next(o for o in rule["options"] if o["value"] == facts[key])
            return (option["deduct"], f"{option['label']}，扣{option['deduct']}分") if option["deduct"] else (0, None)
        raise StandardError(f"未知的评分规则类型：{kind}")  # pragma: no cover

    def evaluate(self, facts: dict) -> Result:
        facts = self.clean(facts)
        items = []
        for area, item in self.items():
            points = item["points"]
            deduction, notes = 0, []
            for rule in item["rules"]:
                d, note = self._rule(rule, facts, points)
                deduction += d
                if note:
                    notes.append(note)
            if deduction > points:
                notes.append(f"本项最多扣{points}分")
                deduction = points
            items.append(
                ItemResult(
                    no=item["number"],
                    area=area,
                    standard=item["standard"],
                    scoring=item["scoring"],
                    points=points,
                    deduction=deduction,
                    score=points - deduction,
                    notes=notes,
                )
            )
        bonus = self.spec.get("bonus")
        max_total = sum(i.points for i in items)
        if bonus:
            entered = facts["bonus"]
            score = min(entered, bonus["points"])
            notes = [f"认定附加分{entered}分，按上限{bonus['points']}分计"] if entered > bonus["points"] else []
            items.append(
                ItemResult(
                    no=bonus["number"],
                    area=bonus["area"],
                    standard=bonus["standard"],
                    scoring=bonus["scoring"],
                    points=bonus["points"],
                    score=score,
                    notes=notes,
                )
            )
            max_total += bonus["points"]
        total = sum(i.score for i in items)
        line = self.spec["pass_score"]
        return Result(
            engine=self.kind,
            items=items,
            total=total,
            passed=total >= line,
            max_total=max_total,
            pass_line=f"{line}分以上",
        )


ENGINES = {"checklist": ChecklistEngine, "score": ScoreEngine}


def engine_for(code: str) -> Engine:
    """The engine a province's standards file names (guizhou → checklist, zhejiang → score)."""
    spec = standard_read(code)
    return ENGINES[spec["engine"]](code)


def share_reached(met: int, total: int, share) -> bool:
    """Exact: met/total ≥ share%. An empty ledger reaches no target."""
    if total <= 0:
        return False
    return Fraction(met * 100, total) >= Fraction(str(share))
