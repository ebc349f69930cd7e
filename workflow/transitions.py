"""The one way a status changes.

Every stateful model declares its moves as a table on the class::

    TRANSITIONS = {
        "submit": ({Status.OPEN, Status.RETURNED}, Status.SUBMITTED),   # action -> (from states, to state)
        ...
    }

and services move it with `transition_apply(obj, "submit", ...)`: the move is refused with a
`Conflict` (code ``bad_transition``, a Chinese message naming both states) when the object is not in
one of the action's from-states; the version the caller's form was drawn from is checked first
(``stale``) and bumped, where the model has a `version`; and, given `audit`, the audit row is written
through `core.services.audit_record` in the caller's transaction. Nothing else assigns `.status`
(tests/workflow/test_kernel.py greps the product code for it)."""

from core.errors import Conflict
from core.parsing import version_parse
from core.services import audit_record

BAD_TRANSITION = "bad_transition"
STALE = "stale"


def _noun(obj, label: str | None) -> str:
    return label or f"该{type(obj)._meta.verbose_name}"


def _status_label(model, value) -> str:
    return str(dict(model._meta.get_field("status").flatchoices).get(value, value))


def version_check(obj, version, *, label: str | None = None) -> None:
    """Refuse a form drawn from an older version of `obj` (None: the caller did not say; not checked)."""
    noun = _noun(obj, label)
    if version_parse(version, label=noun) not in (None, obj.version):
        raise Conflict(f"{noun}已被他人修改（您看到的是旧版本），请刷新页面后重试。", code=STALE)


def transition_allowed(obj, action: str) -> bool:
    """May `obj` take `action` now (its status is one of the action's from-states)?"""
    sources, _target = type(obj).TRANSITIONS[action]
    return obj.status in sources


def transition_apply(
    obj,
    action: str,
    *,
    by=None,
    version=None,
    label: str | None = None,
    audit: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> str:
    """Move `obj` by `action` of its model's TRANSITIONS table; returns the new status.

    Checks `version` (when given and the model has one), refuses a move the table does not allow,
    sets the status, bumps the version, and records `audit` (an action name such as
    "minutes.submit") for `by` when given. The caller saves `obj` (it usually changes other fields
    in the same save) inside its own transaction."""
    model = type(obj)
    sources, target = model.TRANSITIONS[action]
    if version is not None and hasattr(obj, "version"):
        version_check(obj, version, label=label)
    if obj.status not in sources:
        raise Conflict(
            f"{_noun(obj, label)}当前为“{_status_label(model, obj.status)}”，"
            f"不能改为“{_status_label(model, target)}”。页面可能已过期，请刷新后重试。",
            code=BAD_TRANSITION,
        )
    obj.status = target
    if hasattr(obj, "version"):
        obj.version += 1
    if audit:
        audit_record(actor=by, action=audit, obj=obj, reason=reason, changes=changes)
    return target


def transition_targets(model) -> set:
    """Every status some action of `model` leads to (tests check each status is reachable)."""
    return {target for _sources, target in model.TRANSITIONS.values()}
