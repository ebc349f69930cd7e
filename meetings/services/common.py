"""What every meetings service shares: locks and who may act (the flow and status moves are the
kernel's: `workflow.steps`, `workflow.transitions`)."""

from core.errors import DomainError, NotAllowed
from members.models import MemberUnit, Role
from members.selectors import roles_for_user, units_for_user

from ..selectors import is_decider, is_office

# --- helpers ------------------------------------------------------------------------------------------


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def _require_office(user, what: str):
    if not is_office(user):
        raise NotAllowed(f"只有联席会议办公室可以{what}。")


def _require_decider(user, what: str) -> bool:
    """Only the convener or the deputy convener decides. Returns True when the deputy acts on the
    convener's behalf (受召集人委托), which the record must show."""
    if not is_decider(user):
        raise NotAllowed(f"只有召集人或副召集人可以{what}。")
    roles = {a.role for a in roles_for_user(user)}
    return Role.CONVENER not in roles and Role.DEPUTY_CONVENER in roles


def _require_unit(user, unit, what: str):
    if not units_for_user(user).filter(pk=unit.pk).exists():
        raise NotAllowed(f"只有{unit.name}的联络员或成员可以{what}。")


def _current_units(units, *, field: str, mechanism_id: int) -> list[MemberUnit]:
    units = list(dict.fromkeys(units))
    current = set(MemberUnit.objects.current().filter(mechanism_id=mechanism_id).values_list("pk", flat=True))
    gone = [u.name for u in units if u.pk not in current]
    if gone:
        raise DomainError(f"{'、'.join(gone)}已不是成员单位。", field=field)
    return units
