"""The Configuration check panel on the Connectors page (docs/routing.md, "Configuration checks"): connectors the tenant needs but
lacks, given where its mailboxes live and its domain types, and risky settings — judged with the
same selection engine the explorer uses."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.endpoints import ConnectorType
from connectors.mailflow.facts import PerConfiguration, TenantMailFlow
from connectors.mailflow.routing import ConnectorFact, Decision, Router
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, DomainType, Mailbox, MailboxLocation, Tenant

INTERNET_PROBE = "example-internet-recipient.com"  # stands for "any domain not your own"


@dataclass(frozen=True)
class Finding:
    level: str  # "error": mail won't flow; "warning": it flows, perhaps not as intended
    text: str


def configuration_findings(tenant: Tenant) -> list[Finding]:
    """The findings for the tenant as configured now: worked out once per configuration and
    kept until it changes (facts.PerConfiguration), so the Connectors page doesn't read every
    connector on every visit."""
    return _findings.get(tenant)


def findings_for(flow: TenantMailFlow) -> list[Finding]:
    router = flow.router()
    on_premises = [m for m in flow.mailbox_list if m.location == MailboxLocation.YOUR_ORG]
    relay = [d for d in flow.accepted_domains if d.domain_type == DomainType.INTERNAL_RELAY]
    return [
        *_missing_outbound(router, on_premises, relay),
        *_missing_inbound(flow.inbound, on_premises),
        *_star_routes(flow.outbound),
        *_overlaps(flow.outbound, flow.inbound),
        *_never_chosen(router, flow.outbound, [d.name for d in flow.accepted_domains]),
    ]


_findings = PerConfiguration(lambda tenant, order: findings_for(TenantMailFlow.current(tenant)))


def _missing_outbound(
    router: Router, mailboxes: list[Mailbox], relay: list[AcceptedDomain]
) -> list[Finding]:
    findings = []
    for mailbox in mailboxes:
        if not _to_your_server(router.decide(mailbox.address)):
            findings.append(
                Finding(
                    "error",
                    f"{mailbox.display_name}'s mailbox ({mailbox.address}) is on your email server, but no enabled "
                    "connector from Office 365 to your organization's email server carries its domain: mail to "
                    f"{mailbox.display_name} won't reach it.",
                )
            )
    for domain in relay:
        if not _to_your_server(router.decide_domain(domain.name)):
            findings.append(
                Finding(
                    "error",
                    f"{domain.name} is an Internal relay domain, so recipients who aren't in Office 365 are on your "
                    "email server, but no enabled connector from Office 365 to your organization's email server "
                    "carries it.",
                )
            )
    return findings


def _to_your_server(decision: Decision) -> bool:
    """Office 365 would send this mail through a connector to your organization's server."""
    return (
        decision.connector is not None
        and decision.connector.connector_type == ConnectorType.ON_PREMISES
    )


def _missing_inbound(inbound: list[InboundConnector], mailboxes: list[Mailbox]) -> list[Finding]:
    if not mailboxes or any(
        c.enabled and c.connector_type == ConnectorType.ON_PREMISES for c in inbound
    ):
        return []
    names = ", ".join(m.display_name for m in mailboxes)
    return [
        Finding(
            "error",
            f"Mailboxes on your email server ({names}) send through Office 365, but there's no enabled connector "
            "from your organization's email server to Office 365: their mail to Office 365 and the internet "
            "won't be accepted as yours.",
        )
    ]


def _star_routes(outbound: list[OutboundConnector]) -> list[Finding]:
    return [
        Finding(
            "warning",
            f"{c.name} uses * as a recipient domain: all mail to the internet is routed through "
            f"{'your email server' if c.connector_type == ConnectorType.ON_PREMISES else 'that partner'}.",
        )
        for c in outbound
        if c.enabled and not c.is_transport_rule_scoped and "*" in c.recipient_domains
    ]


def _overlaps(outbound: list[OutboundConnector], inbound: list[InboundConnector]) -> list[Finding]:
    findings = []
    seen: dict[str, str] = {}
    for c in sorted(inbound, key=lambda c: c.name.casefold()):
        if not (c.enabled and c.connector_type == ConnectorType.PARTNER):
            continue
        for pattern in c.sender_domains:
            if pattern in seen:
                findings.append(
                    Finding(
                        "warning",
                        f"Partner connectors {seen[pattern]} and {c.name} both identify senders from {pattern}; "
                        "keep one connector per partner, or mail may be rejected by the stricter one.",
                    )
                )
            seen.setdefault(pattern, c.name)
    return findings


def _probes(connector: OutboundConnector, accepted: list[str]) -> list[str]:
    """Recipient domains for which this connector ought to be a candidate."""
    probes = []
    for pattern in connector.recipient_domains:
        if pattern == "*":
            probes.append(INTERNET_PROBE)
        elif pattern.startswith("*."):
            probes += [pattern[2:], f"any-subdomain.{pattern[2:]}"]
        else:
            probes.append(pattern)
    if connector.all_accepted_domains:
        probes += accepted
    return probes


def _never_chosen(
    router: Router, outbound: list[OutboundConnector], accepted: list[str]
) -> list[Finding]:
    findings = []
    for connector in outbound:
        if not connector.enabled or connector.is_transport_rule_scoped:
            continue
        winners = [router.decide_domain(probe).connector for probe in _probes(connector, accepted)]
        if winners and all(w is not None and w.id != str(connector.pk) for w in winners):
            names = sorted(
                {w.name for w in winners if isinstance(w, ConnectorFact)}, key=str.casefold
            )
            findings.append(
                Finding(
                    "warning",
                    f"{connector.name} is never chosen: for every domain it covers, {' or '.join(names)} wins.",
                )
            )
    return findings
