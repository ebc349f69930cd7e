from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import AuditEntry, Heartbeat


def audit_record(*, actor, action: str, obj, reason: str = "", changes: dict | None = None) -> AuditEntry:
    """Record a state change. Call inside the transaction that makes the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        reason=reason,
        changes=changes or {},
    )


def heartbeat_touch(*, name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
