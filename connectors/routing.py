"""Which recipient domains a connector carries mail for (SPEC §5). Plain functions over plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connectors.values import parse_domain_pattern


@dataclass(frozen=True)
class AcceptedDomainFact:
    name: str
    match_subdomains: bool


def is_accepted(domain: str, accepted: Iterable[AcceptedDomainFact]) -> bool:
    """An accepted domain, or a subdomain of one that accepts mail for all subdomains."""
    return any(
        domain == a.name or (a.match_subdomains and domain.endswith(f".{a.name}")) for a in accepted
    )


def connector_carries(
    domain: str,
    *,
    recipient_domains: Iterable[str],
    all_accepted_domains: bool,
    is_transport_rule_scoped: bool,
    accepted: Iterable[AcceptedDomainFact],
) -> bool:
    """Whether mail to `domain` (canonical) can go through this outbound connector at all."""
    if is_transport_rule_scoped:
        return True  # a mail flow rule may send any recipient through it
    if all_accepted_domains and is_accepted(domain, accepted):
        return True
    return any(parse_domain_pattern(pattern).matches(domain) for pattern in recipient_domains)
