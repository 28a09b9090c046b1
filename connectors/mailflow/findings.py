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
    accepted = [d.name for d in flow.accepted_domains]
    return [
        *_missing_outbound(router, on_premises, relay),
        *_missing_inbound(flow.inbound, on_premises),
        *_unusable_centralized(router, flow.outbound),
        *([] if router.centralized else _star_routes(flow.outbound)),
        *_overlaps(flow.outbound, flow.inbound),
        *_stale_associations(flow.inbound, accepted),
        *_never_chosen(router, flow.outbound, accepted),
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


def _unusable_centralized(router: Router, outbound: list[OutboundConnector]) -> list[Finding]:
    """RouteAllMessagesViaOnPremises on a connector selection never uses: turned off, or used
    only when a mail flow rule sends mail to it."""
    findings = []
    for c in outbound:
        if not c.route_all_messages_via_on_premises or (
            c.enabled and not c.is_transport_rule_scoped
        ):
            continue
        why = "it is turned off" if not c.enabled else "it is scoped to transport rules"
        text = f"{c.name} routes all messages via on-premises (centralized mail transport), but {why}: "
        if router.centralized is not None:
            text += f"{router.centralized.name} takes internet mail to your email server instead."
        else:
            text += (
                "mail from Office 365 to the internet won't go through your email server first. "
                "Microsoft warns that centralized mail transport without a usable connector to your "
                "email server (turned on, not scoped to transport rules) can loop or bounce mail."
            )
        findings.append(Finding("warning", text))
    return findings


def _star_routes(outbound: list[OutboundConnector]) -> list[Finding]:
    """Left out while centralized mail transport is on (findings_for): internet mail from
    Office 365 then goes to your email server by design, whatever `*` says."""
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


def _stale_associations(inbound: list[InboundConnector], accepted: list[str]) -> list[Finding]:
    """AssociatedAcceptedDomains naming a domain the tenant no longer accepts: the cmdlet takes
    only accepted domains there, and the connector still takes senders from only those listed."""
    names = set(accepted)
    return [
        Finding(
            "warning",
            f"{c.name} is associated with {domain}, which isn't an accepted domain: the connector "
            "takes only senders from its associated accepted domains, so remove it from the "
            f"connector or add {domain} back as an accepted domain.",
        )
        for c in inbound
        for domain in c.associated_accepted_domains
        if domain not in names
    ]


def _accepted_under(accepted: list[str]) -> dict[str, list[str]]:
    """The accepted domains under each suffix (a domain is under itself): those a wildcard
    covers, found without comparing every wildcard with every accepted domain."""
    under: dict[str, list[str]] = {}
    for name in accepted:
        labels = name.split(".")
        for start in range(len(labels)):
            under.setdefault(".".join(labels[start:]), []).append(name)
    return under


def _probes(
    connector: OutboundConnector, accepted: list[str], under: dict[str, list[str]]
) -> list[str]:
    """Recipient domains for which this connector ought to be a candidate. A wildcard's accepted
    subdomains are among them: with centralized mail transport on, they are all it can still
    win, since any other subdomain is outside the organization."""
    probes = []
    if connector.route_all_messages_via_on_premises:
        probes.append(INTERNET_PROBE)
    for pattern in connector.recipient_domains:
        if pattern == "*":
            probes.append(INTERNET_PROBE)
        elif pattern.startswith("*."):
            suffix = pattern[2:]
            probes += [suffix, f"any-subdomain.{suffix}", *under.get(suffix, [])]
        else:
            probes.append(pattern)
    if connector.all_accepted_domains:
        probes += accepted
    return probes


_BY_CENTRALIZED = (
    " (centralized mail transport: only mail that came from your email server can still take it)."
)


def _never_chosen(
    router: Router, outbound: list[OutboundConnector], accepted: list[str]
) -> list[Finding]:
    findings = []
    under = _accepted_under(accepted)
    for connector in outbound:
        if not connector.enabled or connector.is_transport_rule_scoped:
            continue
        probes = _probes(connector, accepted, under)
        decisions = [router.decide_domain(probe) for probe in probes]
        winners = [d.connector for d in decisions]
        if winners and all(w is not None and w.id != str(connector.pk) for w in winners):
            names = sorted(
                {w.name for w in winners if isinstance(w, ConnectorFact)}, key=str.casefold
            )
            centralized = any(d.rule == "centralized" for d in decisions)
            findings.append(
                Finding(
                    "warning",
                    f"{connector.name} is never chosen: for every domain it covers, {' or '.join(names)} wins"
                    + (_BY_CENTRALIZED if centralized else "."),
                )
            )
    return findings
