"""Writes to connectors. Atomic, audited, and name-unique across both directions per tenant."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from connectors.models import Connector, ConnectorDraft, InboundConnector, OutboundConnector
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


@transaction.atomic
def connector_create_from_draft(*, draft: ConnectorDraft, actor: User | None) -> Connector:
    """Every step checked again, then the connector, its validation result and the audit row,
    all in one transaction."""
    from connectors import wizard  # the wizard's table imports this module's models
    from validation.models import ValidationRun

    draft = ConnectorDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.created_connector_id is not None:
        raise ValidationError("This connector has already been created.")
    values = wizard.revalidate(draft)
    model, fields = wizard.connector_fields(values)
    if model is OutboundConnector:
        run = draft.validation_run
        fields["validation_recipients"] = draft.data.get("validation", {}).get("recipients", [])
        if (
            run is not None
            and run.finished_at is not None
            and run.status in ("succeeded", "failed")
        ):
            fields["is_validated"] = run.status == "succeeded"
            fields["last_validation_timestamp"] = run.finished_at
    connector: Connector = _create(model, tenant=draft.tenant, actor=actor, fields=fields)
    if model is OutboundConnector and draft.validation_run_id:
        ValidationRun.objects.filter(pk=draft.validation_run_id).update(connector=connector)
    draft.created_connector_id = connector.pk
    draft.created_direction = model.direction
    draft.save(update_fields=["created_connector_id", "created_direction", "changed_at"])
    return connector
