"""A trainee's sandbox tenant: built from a scenario's starting state, and put back to it on reset.

Building goes through the same services the console uses (so the starting connectors pass the
same checks as ones a trainee adds), and reset removes everything the trainee could have made in
the tenant before building again: what the tenant holds after a reset is what it held new.
"""

from __future__ import annotations

from django.db import transaction

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import inbound_connector_create, outbound_connector_create
from eac import services as tenant_services
from eac.models import AcceptedDomain, AuditEvent, DomainType, Mailbox, Tenant
from lab.models import LabDomain, LabMessage
from training.scenarios import Scenario
from validation.models import ValidationRun


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
def sandbox_clear(tenant: Tenant) -> None:
    """Everything a trainee can make or change in the tenant, gone; the initial domain stays."""
    ConnectorDraft.objects.filter(tenant=tenant).delete()
    ValidationRun.objects.filter(tenant=tenant).delete()
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
