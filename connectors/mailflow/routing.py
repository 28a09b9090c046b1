"""Which outbound connector Office 365 uses for a recipient (docs/routing.md). Plain functions over plain
data: no Django here, so the explorer, the `route` command and the benchmark share one engine.

Candidates are the enabled connectors not scoped to transport rules. With the order
`most_specific` (the seed article's example) the first of these that applies wins:

0. centralized mail transport: when the recipient domain is not an accepted domain (nor a
   subdomain of one that accepts its subdomains), an OnPremises connector with
   RouteAllMessagesViaOnPremises takes the message to your organization's email server, ahead of
   every connector by domain and of MX — unless the message came into Office 365 from that server,
   which centralized transport doesn't send it back to;
1. an exact recipient-domain match (`contoso.com`);
2. the wildcard with the longest suffix (`*.contoso.com` covers contoso.com itself and every
   subdomain, and beats `*.com`);
3. a connector for all accepted domains, when the recipient domain is an accepted domain or a
   subdomain of one that accepts its subdomains (match_subdomains);
4. a connector for `*` (every recipient domain);
5. none: Office 365 delivers by the domain's MX record.

The order `documented` swaps 2 and 3, as the article's numbered list reads.

Ties (two centralized connectors, two connectors with the same exact domain, the same wildcard
suffix, both for all accepted domains, or both for `*`) go to the connector whose name sorts
first, compared case-insensitively (`str.casefold`), then by id. Exchange Server's Send connector
selection ends its tie-breaks on the name too, and an admin can see the outcome in the connector
list and change it by renaming.

`Router` indexes the connectors once, so a decision costs a few dictionary lookups per label of
the recipient domain however many connectors the tenant has; `naive_decide` scans every connector
and is kept as the obviously-correct reference the tests and the benchmark compare it with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from eac.values import MAX_DOMAIN_LENGTH, parse_domain, parse_domain_pattern

MOST_SPECIFIC = "most_specific"
DOCUMENTED = "documented"
ORDERS = (MOST_SPECIFIC, DOCUMENTED)

ON_PREMISES = "OnPremises"  # connectors.endpoints.ConnectorType, without importing Django

Rule = Literal["centralized", "exact", "wildcard", "all_accepted", "any", "none"]


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
    route_all_messages_via_on_premises: bool = False,
) -> bool:
    """Whether mail to `domain` (canonical) can go through this outbound connector at all."""
    if is_transport_rule_scoped:
        return True  # a mail flow rule may send any recipient through it
    accepted = list(accepted)
    if all_accepted_domains and is_accepted(domain, accepted):
        return True
    if route_all_messages_via_on_premises and not is_accepted(domain, accepted):
        return True  # centralized mail transport: every recipient outside the organization
    return any(parse_domain_pattern(pattern).matches(domain) for pattern in recipient_domains)


# --- selection -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorFact:
    """An outbound connector as selection sees it. `recipient_domains` are canonical patterns,
    as `str(parse_domain_pattern(text))` gives and OutboundConnector.clean() stores them."""

    id: str
    name: str
    enabled: bool
    is_transport_rule_scoped: bool
    all_accepted_domains: bool
    recipient_domains: tuple[str, ...]
    connector_type: str
    # RouteAllMessagesViaOnPremises: centralized mail transport (docs/routing.md).
    route_all_messages_via_on_premises: bool = False

    @property
    def is_candidate(self) -> bool:
        return self.enabled and not self.is_transport_rule_scoped

    @property
    def is_centralized(self) -> bool:
        """A candidate that takes every message to a recipient outside the organization to your
        email server. Exchange allows the setting only on an OnPremises connector ("requires
        OnPremises for the ConnectorType value"); on any other it is ignored."""
        return (
            self.is_candidate
            and self.route_all_messages_via_on_premises
            and self.connector_type == ON_PREMISES
        )


@dataclass(frozen=True)
class Decision:
    connector: ConnectorFact | None
    rule: Rule
    reason: str
    domain: str  # the recipient domain, canonical


def _tie_key(connector: ConnectorFact) -> tuple[str, str]:
    return connector.name.casefold(), connector.id


# A name already in canonical form (lower-case letter-digit-hyphen labels, none an A-label, no
# trailing dot) is what parse_domain returns unchanged; recognising it costs a tenth of the UTS #46
# mapping, and most recipient domains arrive that way. A test holds the two to the same answers.
_LABEL = r"(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_CANONICAL_ASCII = re.compile(rf"(?:{_LABEL}\.)+(?![0-9]+\Z){_LABEL}")


def canonical_domain(text: str) -> str:
    """The canonical recipient domain of `user@domain` or a bare domain, as parse_domain gives it.
    Raises InvalidValue for anything that isn't one. The local part plays no part in selection,
    so it isn't checked here."""
    domain = text.rpartition("@")[2]
    if len(domain) <= MAX_DOMAIN_LENGTH and _CANONICAL_ASCII.fullmatch(domain):
        return domain
    return parse_domain(domain)


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f"Unknown selection order {order!r}; use one of {', '.join(ORDERS)}.")


def _centralized(connector: ConnectorFact, domain: str) -> Decision:
    why = f"{domain} isn't an accepted domain, so the message goes through your email server first"
    return Decision(connector, "centralized", f"centralized mail transport: {why}", domain)


def _exact(connector: ConnectorFact, domain: str) -> Decision:
    return Decision(connector, "exact", f"exact match on {domain}", domain)


def _wildcard(connector: ConnectorFact, suffix: str, domain: str) -> Decision:
    return Decision(connector, "wildcard", f"wildcard *.{suffix}", domain)


def _all_accepted(connector: ConnectorFact, accepted_as: str, domain: str) -> Decision:
    if accepted_as == domain:
        why = f"{domain} is an accepted domain"
    else:
        why = f"{domain} is a subdomain of {accepted_as}, which accepts its subdomains"
    return Decision(connector, "all_accepted", f"all accepted domains ({why})", domain)


def _any(connector: ConnectorFact, domain: str) -> Decision:
    return Decision(connector, "any", "* (all recipient domains)", domain)


def _none(domain: str) -> Decision:
    return Decision(None, "none", "no connector: delivered by MX", domain)


def _suffixes(domain: str) -> Iterable[str]:
    """contoso.com's parents, nearest first: a.b.contoso.com → b.contoso.com, contoso.com, com."""
    start = domain.find(".") + 1
    while start:
        yield domain[start:]
        start = domain.find(".", start) + 1


class Router:
    """Selection over indexes built once: exact domain → connector, wildcard suffix → connector,
    the accepted domains, and the winning centralized, all-accepted and `*` connectors."""

    def __init__(
        self,
        connectors: Iterable[ConnectorFact],
        accepted: Iterable[AcceptedDomainFact],
        order: str = MOST_SPECIFIC,
    ) -> None:
        _check_order(order)
        self.order = order
        self._exact: dict[str, ConnectorFact] = {}
        self._wildcard: dict[str, ConnectorFact] = {}
        self._any: ConnectorFact | None = None
        self._all_accepted: ConnectorFact | None = None
        self._centralized: ConnectorFact | None = None
        for connector in connectors:
            if connector.is_candidate:
                self._index(connector)
        self._accepted: set[str] = set()
        self._accepts_subdomains: set[str] = set()
        for domain in accepted:
            self._accepted.add(domain.name)
            if domain.match_subdomains:
                self._accepts_subdomains.add(domain.name)

    def _index(self, connector: ConnectorFact) -> None:
        for pattern in connector.recipient_domains:
            if pattern == "*":
                self._any = _first(self._any, connector)
            elif pattern.startswith("*."):
                suffix = pattern[2:]
                self._wildcard[suffix] = _first(self._wildcard.get(suffix), connector)
            else:
                self._exact[pattern] = _first(self._exact.get(pattern), connector)
        if connector.all_accepted_domains:
            self._all_accepted = _first(self._all_accepted, connector)
        if connector.is_centralized:
            self._centralized = _first(self._centralized, connector)

    @property
    def centralized(self) -> ConnectorFact | None:
        """The connector centralized mail transport uses, if it is on."""
        return self._centralized

    def decide(self, address_or_domain: str, *, from_on_premises: bool = False) -> Decision:
        """The connector for `user@domain` or `domain`; InvalidValue if it isn't one.
        `from_on_premises`: the message came into Office 365 from your organization's email
        server, so centralized mail transport doesn't send it back there."""
        return self.decide_domain(
            canonical_domain(address_or_domain), from_on_premises=from_on_premises
        )

    def decide_domain(self, domain: str, *, from_on_premises: bool = False) -> Decision:
        """The connector for a domain already in canonical form."""
        centralized = None if from_on_premises else self._centralized
        if centralized is not None and self.accepted_as(domain) is None:
            return _centralized(centralized, domain)
        exact = self._exact.get(domain)
        if exact is not None:
            return _exact(exact, domain)
        if self.order == MOST_SPECIFIC:
            decision = self._by_wildcard(domain) or self._by_all_accepted(domain)
        else:
            decision = self._by_all_accepted(domain) or self._by_wildcard(domain)
        if decision is not None:
            return decision
        if self._any is not None:
            return _any(self._any, domain)
        return _none(domain)

    def _by_wildcard(self, domain: str) -> Decision | None:
        if not self._wildcard:
            return None
        # The longest suffix is the most specific, and the domain itself comes first.
        for suffix in (domain, *_suffixes(domain)):
            connector = self._wildcard.get(suffix)
            if connector is not None:
                return _wildcard(connector, suffix, domain)
        return None

    def _by_all_accepted(self, domain: str) -> Decision | None:
        if self._all_accepted is None:
            return None
        accepted_as = self.accepted_as(domain)
        return (
            None if accepted_as is None else _all_accepted(self._all_accepted, accepted_as, domain)
        )

    def accepted_as(self, domain: str) -> str | None:
        """The accepted domain that makes `domain` accepted (itself, or the nearest parent that
        accepts its subdomains), or None."""
        if domain in self._accepted:
            return domain
        if self._accepts_subdomains:
            for parent in _suffixes(domain):
                if parent in self._accepts_subdomains:
                    return parent
        return None


def _first(current: ConnectorFact | None, candidate: ConnectorFact) -> ConnectorFact:
    if current is None or _tie_key(candidate) < _tie_key(current):
        return candidate
    return current


# --- the reference scan ----------------------------------------------------------------------

_TIERS: dict[str, dict[Rule, int]] = {
    MOST_SPECIFIC: {"centralized": 0, "exact": 1, "wildcard": 2, "all_accepted": 3, "any": 4},
    DOCUMENTED: {"centralized": 0, "exact": 1, "all_accepted": 2, "wildcard": 3, "any": 4},
}


def naive_decide(
    connectors: Iterable[ConnectorFact],
    accepted: Iterable[AcceptedDomainFact],
    address_or_domain: str,
    order: str = MOST_SPECIFIC,
    *,
    from_on_premises: bool = False,
) -> Decision:
    """What Router decides, by looking at every connector and every accepted domain in turn."""
    _check_order(order)
    domain = canonical_domain(address_or_domain)
    accepted_as = _naive_accepted_as(domain, accepted)
    tiers = _TIERS[order]
    best: tuple[tuple[int, int, str, str], Decision] | None = None
    for connector in connectors:
        if not connector.is_candidate:
            continue
        matches = _naive_matches(connector, domain, accepted_as)
        if connector.is_centralized and accepted_as is None and not from_on_premises:
            matches = [(_centralized(connector, domain), 0), *matches]
        for decision, specificity in matches:
            key = (tiers[decision.rule], -specificity, *_tie_key(connector))
            if best is None or key < best[0]:
                best = (key, decision)
    return _none(domain) if best is None else best[1]


def _naive_matches(
    connector: ConnectorFact, domain: str, accepted_as: str | None
) -> Iterable[tuple[Decision, int]]:
    for pattern in connector.recipient_domains:
        if pattern == "*":
            yield _any(connector, domain), 0
        elif pattern.startswith("*."):
            suffix = pattern[2:]
            if domain == suffix or domain.endswith("." + suffix):
                yield _wildcard(connector, suffix, domain), len(suffix)
        elif pattern == domain:
            yield _exact(connector, domain), 0
    if connector.all_accepted_domains and accepted_as is not None:
        yield _all_accepted(connector, accepted_as, domain), 0


def _naive_accepted_as(domain: str, accepted: Iterable[AcceptedDomainFact]) -> str | None:
    accepted = list(accepted)
    if any(a.name == domain for a in accepted):
        return domain
    parents = [a.name for a in accepted if a.match_subdomains and domain.endswith(f".{a.name}")]
    return max(parents, key=len, default=None)
