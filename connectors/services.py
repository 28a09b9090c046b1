"""Writes to connectors. Atomic, audited, and name-unique across both directions per tenant."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Lower
from django.utils import timezone

from connectors.mailflow.facts import configuration_changed
from connectors.models import Connector, InboundConnector, OutboundConnector
from eac.audit import audit_record, snapshot
from eac.models import Tenant, User


def connector_name_taken(*, tenant: Tenant, name: str, exclude_id: uuid.UUID | None = None) -> bool:
    """Exchange keeps one namespace for inbound and outbound connectors of a tenant. Compared as
    the unique constraints compare (lower(name)), so their index answers it."""
    others = [
        model.objects.alias(folded=Lower("name")).filter(tenant=tenant, folded=Lower(Value(name)))
        for model in (OutboundConnector, InboundConnector)
    ]
    if exclude_id is not None:
        others = [queryset.exclude(pk=exclude_id) for queryset in others]
    return any(queryset.exists() for queryset in others)


def connector_create(
    model: type[Connector], *, tenant: Tenant, actor: User | None, fields: dict[str, Any]
) -> Any:
    """The one way a connector comes into being (the two below, the wizard, the import)."""
    # Lock the tenant row so two creations with the same name cannot both pass the check.
    Tenant.objects.select_for_update().get(pk=tenant.pk)
    connector = model(tenant=tenant, **fields)
    connector.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    if connector_name_taken(tenant=tenant, name=connector.name):
        raise ValidationError({"name": f"A connector named {connector.name} already exists."})
    connector.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action=f"{model.direction}_connector.create",  # type: ignore[attr-defined]
        target=connector,
        after=snapshot(connector),
    )
    return connector


@transaction.atomic
def outbound_connector_create(
    *, tenant: Tenant, actor: User | None, **fields: Any
) -> OutboundConnector:
    connector: OutboundConnector = connector_create(
        OutboundConnector, tenant=tenant, actor=actor, fields=fields
    )
    return connector


@transaction.atomic
def inbound_connector_create(
    *, tenant: Tenant, actor: User | None, **fields: Any
) -> InboundConnector:
    connector: InboundConnector = connector_create(
        InboundConnector, tenant=tenant, actor=actor, fields=fields
    )
    return connector


# --- Changes to a saved connector: edit (optimistic locking), turn on/off, delete -------------

AnyConnector = OutboundConnector | InboundConnector

# Not settings: what identifies the row, the lock itself, and what validation records (a run
# finishing doesn't bump `version`, so it never invalidates an edit open elsewhere).
NOT_SETTINGS = frozenset(
    {"tenant", "version", "validation_recipients", "is_validated", "last_validation_timestamp"}
)


# Where and how an outbound connector delivers: what a validation run proves.
ROUTE_AND_TLS = frozenset({"use_mx_record", "smart_hosts", "tls_settings", "tls_domain"})
VALIDATION_RESULT = frozenset({"is_validated", "last_validation_timestamp"})


def connector_settings(connector: AnyConnector) -> dict[str, Any]:
    """The connector's settings as JSON-friendly data: what an edit page was opened with."""
    return {k: v for k, v in snapshot(connector).items() if k not in NOT_SETTINGS}


class ConnectorConflict(Exception):
    """Someone else saved the connector after this edit was opened; nothing was written."""

    def __init__(self, *, current: AnyConnector, changed: list[str]) -> None:
        self.current = current  # the connector as it is now saved
        self.changed = changed  # properties that differ from what the edit was opened with
        super().__init__(f"{current.name} was changed by someone else: {', '.join(changed)}")


def _changed_since(opened: dict[str, Any] | None, current: AnyConnector) -> list[str]:
    if opened is None:
        return []
    return [k for k, v in connector_settings(current).items() if k in opened and opened[k] != v]


def connector_conflict(
    *, connector: AnyConnector, expected_version: int, opened: dict[str, Any] | None
) -> ConnectorConflict | None:
    """The conflict a save would meet now, if someone saved since the edit was opened: lets an
    edit that goes on to validation say so before, not only at Save."""
    if connector.version == expected_version:
        return None
    return ConnectorConflict(current=connector, changed=_changed_since(opened, connector))


@transaction.atomic
def connector_update(
    *,
    connector: AnyConnector,
    actor: User | None,
    fields: dict[str, Any],
    expected_version: int,
    opened: dict[str, Any] | None = None,
) -> AnyConnector:
    """Swaps in new settings at once, and only if nobody saved since `expected_version` was read
    (optimistic locking): until this commits the live connector keeps its settings, and a save
    made meanwhile is never overwritten. `opened` (the settings the edit started from) lets the
    conflict say which properties the other save changed.

    Raises ConnectorConflict, ValidationError, or DoesNotExist if the connector was deleted."""
    model = type(connector)
    # Lock the tenant row, as creation does, so a rename can't race another connector's name.
    Tenant.objects.select_for_update().get(pk=connector.tenant_id)
    current = model.objects.get(pk=connector.pk)
    if current.version != expected_version:
        raise ConnectorConflict(current=current, changed=_changed_since(opened, current))
    if not fields:
        return current  # Save with nothing changed: no new version, nothing to audit
    if ROUTE_AND_TLS.intersection(fields) and not VALIDATION_RESULT.intersection(fields):
        # A validation proved the old route; until the new one is validated, none is claimed.
        fields = fields | {"is_validated": False, "last_validation_timestamp": None}
    before = snapshot(current)
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    if "name" in fields and connector_name_taken(
        tenant=current.tenant, name=current.name, exclude_id=current.pk
    ):
        raise ValidationError({"name": f"A connector named {current.name} already exists."})
    values = {name: getattr(current, name) for name in fields}  # canonical, as clean() left them
    updated = model.objects.filter(pk=current.pk, version=expected_version).update(
        **values, version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:  # saved by someone else between the read above and this write
        fresh = model.objects.get(pk=current.pk)
        raise ConnectorConflict(current=fresh, changed=_changed_since(opened, fresh))
    configuration_changed(current.tenant_id)  # QuerySet.update sends no signal
    current.refresh_from_db()
    audit_record(
        tenant=current.tenant,
        actor=actor,
        action=f"{current.direction}_connector.update",
        target=current,
        before=before,
        after=snapshot(current),
    )
    return current


@transaction.atomic
def connector_set_enabled(
    *, connector: AnyConnector, actor: User | None, enabled: bool
) -> AnyConnector:
    """Turn on / Turn off. The wanted state is explicit, so a repeated click changes nothing."""
    model = type(connector)
    current = model.objects.select_for_update().get(pk=connector.pk)
    if current.enabled == enabled:
        return current
    model.objects.filter(pk=current.pk).update(
        enabled=enabled, version=F("version") + 1, changed_at=timezone.now()
    )
    configuration_changed(current.tenant_id)  # QuerySet.update sends no signal
    current.refresh_from_db()
    audit_record(
        tenant=current.tenant,
        actor=actor,
        action=f"{current.direction}_connector.{'enable' if enabled else 'disable'}",
        target=current,
        before={"enabled": not enabled},
        after={"enabled": enabled},
    )
    return current


@transaction.atomic
def connector_delete(*, connector: AnyConnector, actor: User | None) -> None:
    model = type(connector)
    current = model.objects.select_for_update().filter(pk=connector.pk).first()
    if current is None:
        return  # deleted meanwhile by someone else: already what was asked
    audit_record(
        tenant=current.tenant,
        actor=actor,
        action=f"{current.direction}_connector.delete",
        target=current,
        before=snapshot(current),
    )
    current.delete()


@transaction.atomic
def connectors_delete(*, connectors: list[AnyConnector], actor: User | None) -> None:
    """Several connectors chosen in the list: all of them, or none."""
    for connector in connectors:
        connector_delete(connector=connector, actor=actor)
