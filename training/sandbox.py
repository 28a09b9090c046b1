"""A trainee's sandbox tenant: built from a scenario's starting state, and put back to it on reset.

Building goes through the same services the console uses (so the starting connectors pass the
same checks as ones a trainee adds), and reset removes everything the trainee could have made in
the tenant before building again: what the tenant holds after a reset is what it held new.

A class builds its first sandbox that way and copies it for the other trainees
(`sandboxes_copy`): the same rows, audit trail included, in a few queries for the whole class
rather than some sixty per sandbox (docs/training.md, "Creating a class quickly").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from connectors.mailflow.facts import configuration_changed
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import inbound_connector_create, outbound_connector_create
from eac import services as tenant_services
from eac.models import AcceptedDomain, AuditEvent, DomainType, Mailbox, Tenant
from lab.models import LabDomain, LabMessage, TracedMessage
from training.scenarios import Scenario
from validation.models import ValidationRun

# The rows a new sandbox holds besides its tenant (tenant_create and sandbox_build write them,
# and the audit trail of doing so): what sandboxes_copy copies. A test fails if building starts
# writing rows of another model.
SANDBOX_ROWS: tuple[type[models.Model], ...] = (
    AcceptedDomain,
    Mailbox,
    OutboundConnector,
    InboundConnector,
    LabDomain,
)


@transaction.atomic
def sandbox_build(tenant: Tenant, scenario: Scenario) -> None:
    """Adds the scenario's starting state to a tenant that has only its initial domain."""
    tenant.connector_selection_order = scenario.selection_order
    tenant.save(update_fields=["connector_selection_order"])
    for spec in scenario.domains:
        domain = tenant_services.accepted_domain_add(
            tenant=tenant,
            actor=None,
            name=spec.name,
            domain_type=spec.domain_type,
            match_subdomains=spec.match_subdomains,
        )
        if spec.is_default:
            tenant_services.accepted_domain_make_default(domain=domain, actor=None)
    Mailbox.objects.bulk_create(
        Mailbox(tenant=tenant, display_name=m.display_name, address=m.address, location=m.location)
        for m in scenario.mailboxes
    )
    configuration_changed(tenant.pk)  # bulk_create sends no signal
    for fields in scenario.outbound:
        outbound_connector_create(tenant=tenant, actor=None, **fields)
    for fields in scenario.inbound:
        inbound_connector_create(tenant=tenant, actor=None, **fields)
    accepted = {d.name for d in scenario.domains}
    LabDomain.objects.bulk_create(
        LabDomain(tenant=tenant, name=name)
        for name in sorted({h.domain for h in scenario.lab} - accepted)
    )


@transaction.atomic
def sandboxes_copy(reference: Tenant, new: Sequence[tuple[str, str]]) -> list[Tenant]:
    """New tenants, one per `(name, initial label)`, each holding what `reference` holds: a
    sandbox that tenant_create and sandbox_build have just built, so every rule of the services
    has been applied to it. The copies differ only in what makes a tenant itself: its name, its
    initial domain, and the ids of its rows."""
    tenants = Tenant.objects.bulk_create(
        Tenant(
            name=name,
            initial_domain=tenant_services.initial_domain_for(label),
            connector_selection_order=reference.connector_selection_order,
        )
        for name, label in new
    )
    copied: list[dict[tuple[str, str], str]] = [{} for _ in tenants]  # per tenant: old → new id
    for model in SANDBOX_ROWS:
        rows = list(model._default_manager.filter(tenant=reference).order_by("pk"))
        copies = [
            (ids, row, _copy_row(row, reference, tenant))
            for tenant, ids in zip(tenants, copied, strict=True)
            for row in rows
        ]
        model._default_manager.bulk_create([c for _, _, c in copies])
        for ids, row, c in copies:
            ids[(model._meta.model_name or "", str(row.pk))] = str(c.pk)
    trail = list(AuditEvent.objects.filter(tenant=reference).order_by("pk"))
    AuditEvent.objects.bulk_create(
        _copy_event(event, reference, tenant, ids)
        for tenant, ids in zip(tenants, copied, strict=True)
        for event in trail
    )
    return tenants


def _is_timestamp(field: models.Field[Any, Any]) -> bool:
    """When the row was written: a copy gets its own."""
    return isinstance(field, models.DateTimeField) and (
        field.auto_now or field.auto_now_add or field.default is timezone.now
    )


def _copy_row(row: models.Model, reference: Tenant, tenant: Tenant) -> Any:
    values = {
        field.attname: _retarget(getattr(row, field.attname), reference, tenant)
        for field in row._meta.concrete_fields
        if not (field.primary_key or field.name == "tenant" or _is_timestamp(field))
    }
    return type(row)(tenant=tenant, **values)


def _copy_event(
    event: AuditEvent, reference: Tenant, tenant: Tenant, ids: dict[tuple[str, str], str]
) -> AuditEvent:
    copied: AuditEvent = _copy_row(event, reference, tenant)
    copied.target_id = ids.get((event.target_type, event.target_id), event.target_id)
    return copied


def _retarget(value: Any, reference: Tenant, tenant: Tenant) -> Any:
    """A value of the reference sandbox, as the copy has it: its initial domain's name, and in a
    snapshot (eac.audit) its tenant's id, become the copy's."""
    if isinstance(value, str):
        return tenant.initial_domain if value == reference.initial_domain else value
    if isinstance(value, list):
        return [_retarget(item, reference, tenant) for item in value]
    if isinstance(value, dict):
        return {
            key: tenant.pk
            if key == "tenant" and item == reference.pk
            else _retarget(item, reference, tenant)
            for key, item in value.items()
        }
    return value


@transaction.atomic
def sandbox_clear(tenant: Tenant) -> None:
    """Everything a trainee can make or change in the tenant, gone; the initial domain stays."""
    ConnectorDraft.objects.filter(tenant=tenant).delete()
    ValidationRun.objects.filter(tenant=tenant).delete()
    TracedMessage.objects.filter(tenant=tenant).delete()  # the trace of what the trainee sent
    OutboundConnector.objects.filter(tenant=tenant).delete()
    InboundConnector.objects.filter(tenant=tenant).delete()
    Mailbox.objects.filter(tenant=tenant).delete()
    LabMessage.objects.filter(tenant=tenant).delete()
    LabDomain.objects.filter(tenant=tenant).delete()
    AuditEvent.objects.filter(tenant=tenant).delete()
    AcceptedDomain.objects.filter(tenant=tenant).exclude(name=tenant.initial_domain).delete()
    AcceptedDomain.objects.filter(tenant=tenant, name=tenant.initial_domain).update(
        is_default=True, domain_type=DomainType.AUTHORITATIVE, match_subdomains=False
    )
    configuration_changed(tenant.pk)  # QuerySet.update sends no signal
