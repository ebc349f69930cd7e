"""Numbers typed or posted by people (or forged): parsed once, refused in Chinese, never a 500.

`int("")`, `int("a\\x00b")` raise ValueError, and a number beyond PostgreSQL's bigint fails in the
database; views and services parse posted numbers here instead."""

from .errors import DomainError

BIGINT_MAX = 2**63 - 1


def int_or_none(value, *, min_value: int = 0, max_value: int = BIGINT_MAX) -> int | None:
    """The integer `value` spells, if it is one within [min_value, max_value]; otherwise None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text or len(text) > 20 or not text.lstrip("-").isdigit() or not text.isascii():
            return None
        number = int(text)
    return number if min_value <= number <= max_value else None


def version_parse(value, *, label: str = "页面") -> int | None:
    """The `version` a form was drawn from (hidden field). Absent means "not checked" (API clients
    may leave it out); anything else that is not a whole number is refused."""
    if value is None:
        return None
    number = int_or_none(value)
    if number is None:
        raise DomainError(f"{label}版本号无效，请刷新页面后重试。", code="bad_version", field="version")
    return number


def text_clean(value, *, label: str, field: str, max_length: int = 3000, required: bool = True) -> str:
    """A text typed into a form, stripped; refused in Chinese when missing (if `required`), longer
    than `max_length`, or holding a NUL (PostgreSQL cannot store it; never typed by a person)."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}。", code="required", field=field)
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 字（当前 {len(value)} 字）。", code="too_long", field=field)
    if "\x00" in value:
        raise DomainError(f"{label}含有无效字符（空字符），请删除后重试。", code="invalid", field=field)
    return value
