"""The selection engine fed from the database: a tenant's outbound connectors and accepted domains
as the plain facts `connectors.mailflow.routing` works on."""

from __future__ import annotations

from connectors.mailflow.routing import AcceptedDomainFact, ConnectorFact, Router
from connectors.models import OutboundConnector
from eac.models import AcceptedDomain, Tenant

_CONNECTOR_FIELDS = (
    "id",
    "name",
    "enabled",
    "is_transport_rule_scoped",
    "all_accepted_domains",
    "recipient_domains",
    "connector_type",
)


def router_for_tenant(tenant: Tenant, order: str | None = None) -> Router:
    """Two queries. `order` defaults to the tenant's connector selection order setting."""
    connectors = [
        ConnectorFact(str(pk), name, enabled, scoped, all_accepted, tuple(domains), kind)
        for pk, name, enabled, scoped, all_accepted, domains, kind in (
            OutboundConnector.objects.filter(tenant=tenant).values_list(*_CONNECTOR_FIELDS)
        )
    ]
    accepted = [
        AcceptedDomainFact(name, match_subdomains)
        for name, match_subdomains in AcceptedDomain.objects.filter(tenant=tenant).values_list(
            "name", "match_subdomains"
        )
    ]
    return Router(connectors, accepted, order or tenant.connector_selection_order)
