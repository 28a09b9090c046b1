"""Writes to connectors. Atomic, audited, and name-unique across both directions per tenant."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from connectors.models import Connector, InboundConnector, OutboundConnector
from eac.audit import audit_record, snapshot
from eac.models import Tenant, User


def connector_name_taken(*, tenant: Tenant, name: str, exclude_id: uuid.UUID | None = None) -> bool:
    """Exchange keeps one namespace for inbound and outbound connectors of a tenant."""
    others = [
        model.objects.filter(tenant=tenant, name__iexact=name)
        for model in (OutboundConnector, InboundConnector)
    ]
    if exclude_id is not None:
        others = [queryset.exclude(pk=exclude_id) for queryset in others]
    return any(queryset.exists() for queryset in others)


def _create(
    model: type[Connector], *, tenant: Tenant, actor: User | None, fields: dict[str, Any]
) -> Any:
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
    connector: OutboundConnector = _create(
        OutboundConnector, tenant=tenant, actor=actor, fields=fields
    )
    return connector


@transaction.atomic
def inbound_connector_create(
    *, tenant: Tenant, actor: User | None, **fields: Any
) -> InboundConnector:
    connector: InboundConnector = _create(
        InboundConnector, tenant=tenant, actor=actor, fields=fields
    )
    return connector
