"""The audit trail: one AuditEvent per change, written inside the change's transaction."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.forms.models import model_to_dict

from eac.models import AuditEvent, Tenant, User


def snapshot(instance: Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's field values as JSON-friendly data, for before/after columns."""
    data = model_to_dict(instance, fields=fields)
    return {key: _jsonable(value) for key, value in data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)


def audit_record(
    *,
    tenant: Tenant,
    actor: User | None,
    action: str,
    target: Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=actor,
        actor_label=actor.email if actor else "system",
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        target_label=str(target)[:255],
        before=before,
        after=after,
    )
