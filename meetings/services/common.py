"""What every meetings service shares: text checks, locks, who may act, running the flow."""


from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.errors import Conflict, DomainError, NotAllowed
from members.models import MemberUnit, Role
from members.selectors import roles_for_user, units_for_user

from ..selectors import is_decider, is_office


TEXT_MAX = 3000


# --- helpers ------------------------------------------------------------------------------------------


def _move(obj, to, *, label: str):
    """The one place a status changes: through the model's TRANSITIONS table."""
    if to not in obj.TRANSITIONS.get(obj.status, set()):
        raise Conflict(f"{label}当前为“{obj.get_status_display()}”，不能变为“{type(obj).Status(to).label}”。"
                       "页面可能已过期，请刷新后重试。", code="bad_transition")
    obj.status = to
    if hasattr(obj, "version"):
        obj.version += 1


def _text(value, *, label: str, field: str, max_length: int = TEXT_MAX, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}。", code="required", field=field)
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 字（当前 {len(value)} 字）。", code="too_long", field=field)
    return value


def _check_version(obj, version, *, label: str):
    if version is not None and str(version) != str(obj.version):
        raise Conflict(f"{label}已被他人修改（您看到的是旧版本），请刷新页面后重试。", code="stale")


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


def _flow_run(flow_class, node, obj, **data):
    """Run the open Handle task `node` of the process whose artifact is `obj`, under the flow lock."""
    process = flow_class.process_class.objects.get(
        artifact_content_type__app_label=obj._meta.app_label, artifact_content_type__model=obj._meta.model_name,
        artifact_object_id=obj.pk, flow_class=flow_class)
    with flow_class.lock(process.pk):
        task = Task.objects.filter(process=process, flow_task=node, status=STATUS.NEW).first()
        if task is None:
            raise Conflict("流程状态已变化，请刷新页面后重试。", code="stale_flow")
        node.run(task, **data)


def open_flow_task(obj, flow_class):
    """The node a process waits on (for pages), or None."""
    task = (Task.objects.filter(process__artifact_object_id=obj.pk, process__flow_class=flow_class,
                                status=STATUS.NEW).order_by("-pk").first())
    return task.flow_task if task else None
