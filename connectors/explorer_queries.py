"""What the mail flow explorer needs from the database: where an address's mailbox lives and
which inbound connectors exist, gathered for `connectors.explorer`'s plain functions. Used by the
explorer page and by the training checks ("mail from Bob to John flows")."""

from __future__ import annotations

from connectors import explorer
from connectors.models import InboundConnector, OutboundConnector
from connectors.routing import AcceptedDomainFact
from connectors.routing_queries import router_for_tenant
from connectors.scenarios import ConnectorType
from connectors.values import parse_domain_pattern, parse_validation_recipient
from eac.models import AcceptedDomain, DomainType, Mailbox, MailboxLocation, Tenant


def explore_addresses(tenant: Tenant, sender: str, recipient: str) -> explorer.Path:
    """The path a message from `sender` to `recipient` takes in this tenant, as configured now.
    Raises ValidationError for an address that isn't one, or a stored pattern that no longer parses."""
    sender_party = locate(parse_validation_recipient(sender), tenant)
    recipient_party = locate(parse_validation_recipient(recipient), tenant)
    return explorer.explore(
        sender_party,
        recipient_party,
        router=router_for_tenant(tenant),
        inbound=inbound_facts(tenant),
    )


def _partner_domains(tenant: Tenant) -> list[str]:
    patterns = [
        p
        for c in OutboundConnector.objects.filter(
            tenant=tenant, connector_type=ConnectorType.PARTNER
        )
        for p in c.recipient_domains
    ] + [
        p
        for c in InboundConnector.objects.filter(
            tenant=tenant, connector_type=ConnectorType.PARTNER
        )
        for p in c.sender_domains
    ]
    return [p for p in patterns if p != "*"]


def locate(address: str, tenant: Tenant) -> explorer.Party:
    """Where this address's mailbox lives, as Office 365 would see it."""
    domain = address.rsplit("@", 1)[1]
    mailbox = Mailbox.objects.filter(tenant=tenant, address__iexact=address).first()
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
    accepted = list(AcceptedDomain.objects.filter(tenant=tenant))
    facts = [AcceptedDomainFact(d.name, d.match_subdomains) for d in accepted]
    for d, fact in zip(accepted, facts, strict=True):
        if domain == d.name or (fact.match_subdomains and domain.endswith(f".{d.name}")):
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
    if any(parse_domain_pattern(p).matches(domain) for p in _partner_domains(tenant)):
        return explorer.Party(
            address, domain, explorer.PARTNER, "a partner domain named by a partner connector"
        )
    return explorer.Party(address, domain, explorer.INTERNET, "not a domain of this organization")


def inbound_facts(tenant: Tenant) -> list[explorer.InboundFact]:
    facts = []
    for c in InboundConnector.objects.filter(tenant=tenant):
        if c.tls_sender_certificate_name:
            how = f"its TLS certificate ({c.tls_sender_certificate_name})"
        elif c.sender_ip_addresses:
            how = f"its IP address ({', '.join(c.sender_ip_addresses)})"
        else:
            how = f"its sender domain ({', '.join(c.sender_domains)})"
        facts.append(
            explorer.InboundFact(c.name, c.enabled, c.connector_type, tuple(c.sender_domains), how)
        )
    return facts
