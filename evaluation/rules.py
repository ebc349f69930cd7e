"""The `evaluation:` section of a mechanism file: checked here, in Chinese, naming the field.

    evaluation:
      full_marks: 100
      subjects: [member_units, reporting_units]
      indicators:
        ontime_rate: {weight: 40}
        overdue_days: {weight: 20, per_day: 0.5}
        returns: {weight: 10, per_return: 2}
        quality: {weight: 20, marks: {优: 100, 良: 85, 中: 70, 差: 40}}
        matters_done: {weight: 10}
      grades: [{min: 90, label: 优秀}, …]

Numbers are kept as text of Decimals in the stored rules, so a score is reproduced exactly."""

from decimal import Decimal, InvalidOperation

from deadlines.models import Submission
from members.mechanism_config import ConfigError

INDICATORS = {
    "ontime_rate": "按时完成率",
    "overdue_days": "逾期天数",
    "returns": "退回修改",
    "quality": "报送质量",
    "matters_done": "议定事项落实",
}
# What each indicator needs beside its weight.
PARAMETERS = {"overdue_days": ("per_day",), "returns": ("per_return",), "quality": ("marks",)}
SUBJECTS = {"member_units": "成员单位", "reporting_units": "市州"}
# Supervised items and agreed matters are given to member units only: for a prefecture
# matters_done does not apply and its total is scaled over the weights that do.
MEMBER_ONLY = {"matters_done"}
MARK_LABELS = {str(label): code for code, label in Submission.QUALITY_MARKS}


def indicator_codes(rules: dict) -> list[str]:
    """The rules' indicators in the fixed order of INDICATORS (stored JSON keeps no order)."""
    return [code for code in INDICATORS if code in rules["indicators"]]


def _number(value, path, *, filename, minimum=Decimal(0), maximum=Decimal(1000)) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{filename} 字段 {path}：应为数字，实际为 {value!r}。", field=path)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{filename} 字段 {path}：应为数字，实际为 {value!r}。", field=path) from None
    if not number.is_finite() or not (minimum <= number <= maximum):
        raise ConfigError(f"{filename} 字段 {path}：应在 {minimum} 到 {maximum} 之间，实际为 {value!r}。", field=path)
    return number


def _mapping(value, path, *, filename, allowed) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{filename} 字段 {path}：应为键值对（映射）。", field=path)
    unknown = [str(k) for k in value if k not in allowed]
    if unknown:
        raise ConfigError(
            f"{filename} 字段 {path}.{unknown[0]}：未知字段（允许的字段：{'、'.join(allowed)}）。", field=path
        )
    return value


def rules_parse(section, *, filename: str = "配置文件") -> dict | None:
    """The checked rules as plain JSON (numbers as text), or None when the file has no section."""
    if section is None:
        return None
    top = _mapping(section, "evaluation", filename=filename, allowed=("full_marks", "subjects", "indicators", "grades"))
    for key in ("full_marks", "subjects", "indicators", "grades"):
        if key not in top:
            raise ConfigError(f"{filename} 字段 evaluation.{key}：缺少必填字段。", field=f"evaluation.{key}")
    full = _number(top["full_marks"], "evaluation.full_marks", filename=filename, minimum=Decimal(1))
    subjects = top["subjects"]
    if (
        not isinstance(subjects, list)
        or not subjects
        or any(s not in SUBJECTS for s in subjects)
        or len(set(subjects)) != len(subjects)
    ):
        raise ConfigError(
            f"{filename} 字段 evaluation.subjects：应为 member_units、reporting_units 中的一个或两个。",
            field="evaluation.subjects",
        )
    indicators = _mapping(top["indicators"], "evaluation.indicators", filename=filename, allowed=tuple(INDICATORS))
    if not indicators:
        raise ConfigError(f"{filename} 字段 evaluation.indicators：至少需要一项指标。", field="evaluation.indicators")
    out_indicators = {}
    for code, spec in indicators.items():
        path = f"evaluation.indicators.{code}"
        spec = _mapping(spec, path, filename=filename, allowed=("weight", *PARAMETERS.get(code, ())))
        if "weight" not in spec:
            raise ConfigError(f"{filename} 字段 {path}.weight：缺少必填字段。", field=f"{path}.weight")
        item = {"weight": str(_number(spec["weight"], f"{path}.weight", filename=filename))}
        for name in PARAMETERS.get(code, ()):
            if name not in spec:
                raise ConfigError(f"{filename} 字段 {path}.{name}：缺少必填字段。", field=f"{path}.{name}")
            if name == "marks":
                marks = _mapping(spec[name], f"{path}.marks", filename=filename, allowed=tuple(MARK_LABELS))
                if set(marks) != set(MARK_LABELS):
                    raise ConfigError(
                        f"{filename} 字段 {path}.marks：应为优、良、中、差各自的分值（0–100）。", field=f"{path}.marks"
                    )
                item["marks"] = {
                    MARK_LABELS[label]: str(
                        _number(v, f"{path}.marks.{label}", filename=filename, maximum=Decimal(100))
                    )
                    for label, v in marks.items()
                }
            else:
                item[name] = str(_number(spec[name], f"{path}.{name}", filename=filename))
        out_indicators[code] = item
    total = sum(Decimal(i["weight"]) for i in out_indicators.values())
    if total != full:
        raise ConfigError(
            f"{filename} 字段 evaluation.indicators：各项权重之和为 {total}，应等于满分 {full}。",
            field="evaluation.indicators",
        )
    grades = top["grades"]
    if not isinstance(grades, list) or not grades:
        raise ConfigError(f"{filename} 字段 evaluation.grades：应为等次列表。", field="evaluation.grades")
    out_grades = []
    for i, g in enumerate(grades):
        path = f"evaluation.grades[{i}]"
        g = _mapping(g, path, filename=filename, allowed=("min", "label"))
        if "min" not in g or not isinstance(g.get("label"), str) or not g["label"].strip():
            raise ConfigError(f"{filename} 字段 {path}：需要 min（分数线）和 label（等次名称）。", field=path)
        out_grades.append(
            {
                "min": str(_number(g["min"], f"{path}.min", filename=filename, maximum=full)),
                "label": g["label"].strip()[:10],
            }
        )
    mins = [Decimal(g["min"]) for g in out_grades]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] != 0:
        raise ConfigError(
            f"{filename} 字段 evaluation.grades：分数线应从高到低排列、互不相同，最后一档为 0。",
            field="evaluation.grades",
        )
    return {"full_marks": str(full), "subjects": list(subjects), "indicators": out_indicators, "grades": out_grades}
