"""The one way from the database to the selection engine's and the explorer's plain facts.

`connectors.mailflow.routing` and `connectors.mailflow.explorer` take plain values and never query;
this module reads a tenant's accepted domains, mailboxes and connectors and hands them over. The
Connectors page's checks, the `route` command, the explorer page, validation (which recipients a
connector carries) and the training checks all read through here (docs/routing.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import cached_property

from connectors.endpoints import ConnectorType
from connectors.mailflow import explorer
from connectors.mailflow.routing import AcceptedDomainFact, ConnectorFact, Router
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, DomainType, Mailbox, MailboxLocation, Tenant
from eac.values import parse_domain_pattern, parse_validation_recipient

# What selection needs of an outbound connector, after its id, in ConnectorFact's order.
_FACT_FIELDS = (
    "name",
    "enabled",
    "is_transport_rule_scoped",
    "all_accepted_domains",
    "recipient_domains",
    "connector_type",
)


def _connector_fact(
    pk: uuid.UUID,
    name: str,
    enabled: bool,
    scoped: bool,
    all_accepted: bool,
    domains: list[str],
    kind: str,
) -> ConnectorFact:
    return ConnectorFact(str(pk), name, enabled, scoped, all_accepted, tuple(domains), kind)


def accepted_domain_facts(tenant: Tenant) -> list[AcceptedDomainFact]:
    """One query."""
    return [
        AcceptedDomainFact(name, match_subdomains)
        for name, match_subdomains in AcceptedDomain.objects.filter(tenant=tenant).values_list(
            "name", "match_subdomains"
        )
    ]


def router_for_tenant(tenant: Tenant, order: str | None = None) -> Router:
    """Two queries, for a caller that asks only which connector wins. `order` defaults to the
    tenant's connector selection order setting."""
    rows = OutboundConnector.objects.filter(tenant=tenant).values_list("id", *_FACT_FIELDS)
    return Router(
        [_connector_fact(*row) for row in rows],
        accepted_domain_facts(tenant),
        order or tenant.connector_selection_order,
    )


class TenantMailFlow:
    """A tenant's mail-flow configuration, read once on first use (four queries: accepted
    domains, mailboxes, outbound and inbound connectors), then asked as often as needed — the
    training checks ask several questions of one sandbox in a row."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    @classmethod
    def for_tenants(cls, tenants: Iterable[Tenant]) -> dict[int, TenantMailFlow]:
        """Flows for many tenants, read in the same four queries whatever their number (the
        trainer's table asks about every sandbox of a class at once). Keyed by tenant id."""
        flows = {tenant.pk: cls(tenant) for tenant in tenants}
        for name, rows in (
            ("accepted_domains", AcceptedDomain.objects.filter(tenant__in=flows)),
            ("mailbox_list", Mailbox.objects.filter(tenant__in=flows)),
            ("outbound", OutboundConnector.objects.filter(tenant__in=flows)),
            ("inbound", InboundConnector.objects.filter(tenant__in=flows)),
        ):
            for flow in flows.values():
                flow.__dict__[name] = []  # fills the cached property: no query of its own
            for row in rows:
                flows[row.tenant_id].__dict__[name].append(row)
        return flows

    @cached_property
    def accepted_domains(self) -> list[AcceptedDomain]:
        return list(AcceptedDomain.objects.filter(tenant=self.tenant))

    @cached_property
    def mailbox_list(self) -> list[Mailbox]:
        return list(Mailbox.objects.filter(tenant=self.tenant))

    @cached_property
    def mailboxes(self) -> dict[str, Mailbox]:
        return {m.address.lower(): m for m in self.mailbox_list}

    @cached_property
    def outbound(self) -> list[OutboundConnector]:
        return list(OutboundConnector.objects.filter(tenant=self.tenant))

    @cached_property
    def inbound(self) -> list[InboundConnector]:
        return list(InboundConnector.objects.filter(tenant=self.tenant))

    def accepted_facts(self) -> list[AcceptedDomainFact]:
        return [AcceptedDomainFact(d.name, d.match_subdomains) for d in self.accepted_domains]

    def router(self, order: str | None = None) -> Router:
        """`order` defaults to the tenant's connector selection order setting."""
        return Router(
            [_connector_fact(c.pk, *(getattr(c, f) for f in _FACT_FIELDS)) for c in self.outbound],
            self.accepted_facts(),
            order or self.tenant.connector_selection_order,
        )

    def explore(self, sender: str, recipient: str) -> explorer.Path:
        """The path a message from `sender` to `recipient` takes, as configured now. Raises
        InvalidValue for an address that isn't one, or a stored pattern that no longer parses."""
        return explorer.explore(
            self.locate(parse_validation_recipient(sender)),
            self.locate(parse_validation_recipient(recipient)),
            router=self.router(),
            inbound=self.inbound_facts(),
        )

    def partner_domains(self) -> list[str]:
        patterns = [
            *(
                p
                for c in self.outbound
                if c.connector_type == ConnectorType.PARTNER
                for p in c.recipient_domains
            ),
            *(
                p
                for c in self.inbound
                if c.connector_type == ConnectorType.PARTNER
                for p in c.sender_domains
            ),
        ]
        return [p for p in patterns if p != "*"]

    def locate(self, address: str) -> explorer.Party:
        """Where this address's mailbox lives, as Office 365 would see it."""
        domain = address.rsplit("@", 1)[1]
        mailbox = self.mailboxes.get(address.lower())
        if mailbox is not None:
            place = {
                MailboxLocation.OFFICE_365: explorer.OFFICE_365,
                MailboxLocation.YOUR_ORG: explorer.YOUR_ORG,
            }.get(
                mailbox.location,
                explorer.INTERNET,  # type: ignore[call-overload]
            )
            return explorer.Party(
                address,
                domain,
                place,
                f"{mailbox.display_name}'s mailbox: {mailbox.get_location_display()}",
            )
        for d in self.accepted_domains:
            if domain == d.name or (d.match_subdomains and domain.endswith(f".{d.name}")):
                if d.domain_type == DomainType.INTERNAL_RELAY:
                    return explorer.Party(
                        address,
                        domain,
                        explorer.YOUR_ORG,
                        f"{d.name} is an Internal relay domain: recipients not in Office 365 are on your email server",
                    )
                return explorer.Party(
                    address,
                    domain,
                    explorer.OFFICE_365,
                    f"{d.name} is an Authoritative domain: its mailboxes are in Office 365",
                )
        if any(parse_domain_pattern(p).matches(domain) for p in self.partner_domains()):
            return explorer.Party(
                address, domain, explorer.PARTNER, "a partner domain named by a partner connector"
            )
        return explorer.Party(
            address, domain, explorer.INTERNET, "not a domain of this organization"
        )

    def inbound_facts(self) -> list[explorer.InboundFact]:
        facts = []
        for c in self.inbound:
            if c.tls_sender_certificate_name:
                how = f"its TLS certificate ({c.tls_sender_certificate_name})"
            elif c.sender_ip_addresses:
                how = f"its IP address ({', '.join(c.sender_ip_addresses)})"
            else:
                how = f"its sender domain ({', '.join(c.sender_domains)})"
            facts.append(
                explorer.InboundFact(
                    c.name, c.enabled, c.connector_type, tuple(c.sender_domains), how
                )
            )
        return facts
