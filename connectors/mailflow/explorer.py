"""The mail flow explorer (docs/routing.md, "The explorer"): for a sender and a recipient, where each mailbox lives, the
hops a message takes, the connector on each hop and the rule that chose it — or why no connector
is needed, or why the message won't flow. Plain functions over plain data; the view gathers it.
The page's diagram is laid out by `connectors.mailflow.diagram`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connectors.mailflow.routing import AcceptedDomainFact, Decision, Router, is_accepted
from eac.values import DomainPattern, parse_domain_pattern

OFFICE_365 = "office365"
YOUR_ORG = "your_org"
INTERNET = "internet"
PARTNER = "partner"
PLACE_NAMES = {
    OFFICE_365: "Office 365",
    YOUR_ORG: "Your organization's email server",
    INTERNET: "Internet",
    PARTNER: "Partner organization",
}


@dataclass(frozen=True)
class Party:
    address: str
    domain: str
    place: str  # one of the four places above
    how_known: str  # "mailbox in Office 365", "Internal relay domain", ...


@dataclass(frozen=True)
class InboundFact:
    name: str
    enabled: bool
    connector_type: str  # OnPremises | Partner
    sender_domains: tuple[str, ...]
    identified_by: str  # "certificate mail.contoso.com" or "IP addresses 203.0.113.0/24"
    # AssociatedAcceptedDomains: when any, the connector takes only senders from these accepted
    # domains (and the subdomains of one that accepts its subdomains); none, any sender.
    associated_domains: tuple[AcceptedDomainFact, ...] = ()

    def is_associated_with(self, sender_domain: str) -> bool:
        return not self.associated_domains or is_accepted(sender_domain, self.associated_domains)

    @property
    def associated_names(self) -> str:
        return ", ".join(a.name for a in self.associated_domains)


@dataclass(frozen=True)
class Hop:
    source: str
    target: str
    connector: str  # its name, or "" when no connector is involved
    why: str
    problem: str = ""  # set when this hop breaks the flow

    @property
    def source_name(self) -> str:
        return PLACE_NAMES[self.source]

    @property
    def target_name(self) -> str:
        return PLACE_NAMES[self.target]


@dataclass(frozen=True)
class Path:
    sender: Party
    recipient: Party
    hops: tuple[Hop, ...]
    summary: str

    @property
    def flows(self) -> bool:
        return not any(hop.problem for hop in self.hops)


def _covers(patterns: Iterable[str], domain: str) -> bool:
    parsed: list[DomainPattern] = [parse_domain_pattern(p) for p in patterns]
    return any(p.matches(domain) for p in parsed)


def _inbound_covering(
    inbound: Iterable[InboundFact], kind: str, sender_domain: str
) -> list[InboundFact]:
    """The enabled connectors of this kind whose sender domains cover `sender_domain`, by name."""
    return [
        fact
        for fact in sorted(inbound, key=lambda f: f.name.casefold())
        if fact.enabled
        and fact.connector_type == kind
        and _covers(fact.sender_domains, sender_domain)
    ]


def _inbound_for(
    inbound: Iterable[InboundFact], kind: str, sender_domain: str
) -> InboundFact | None:
    covering = _inbound_covering(inbound, kind, sender_domain)
    return next((fact for fact in covering if fact.is_associated_with(sender_domain)), None)


def _not_associated(inbound: Iterable[InboundFact], kind: str, sender_domain: str) -> str:
    """Why a connector that names the sender's domain still doesn't take its mail: its
    associated accepted domains leave the sender out ("" when no connector was left out so)."""
    for fact in _inbound_covering(inbound, kind, sender_domain):
        if not fact.is_associated_with(sender_domain):
            return (
                f"{fact.name} would take it, but its associated accepted domains "
                f"({fact.associated_names}) restrict it to senders from those domains, and "
                f"{sender_domain} isn't one."
            )
    return ""


def _with_reason(text: str, reason: str) -> str:
    """`text`, ending with `reason` when there is one."""
    return f"{text.removesuffix('.')}: {reason}" if reason else text


def _into_office_365(sender: Party, inbound: list[InboundFact]) -> Hop:
    """The hop that brings the message into Office 365, named after the connector that accepts it."""
    if sender.place == INTERNET:
        return Hop(
            INTERNET,
            OFFICE_365,
            "",
            f"{sender.domain} mail reaches Office 365 through your MX record; no connector is needed.",
        )
    if sender.place == PARTNER:
        fact = _inbound_for(inbound, "Partner", sender.domain)
        if fact is None:
            return Hop(
                PARTNER,
                OFFICE_365,
                "",
                _with_reason(
                    "Arrives like any internet mail; no partner connector restricts it.",
                    _not_associated(inbound, "Partner", sender.domain),
                ),
            )
        return Hop(
            PARTNER,
            OFFICE_365,
            fact.name,
            f"Partner connector for {sender.domain}, identified by {fact.identified_by}.",
        )
    fact = _inbound_for(inbound, "OnPremises", sender.domain)
    if fact is None:
        return Hop(
            YOUR_ORG,
            OFFICE_365,
            "",
            _with_reason(
                "No connector from your organization's email server to Office 365.",
                _not_associated(inbound, "OnPremises", sender.domain),
            ),
            problem="Without a connector from your email server, Office 365 treats this mail as anonymous internet mail and won't relay it; create one (Your organization's email server → Office 365).",
        )
    return Hop(
        YOUR_ORG,
        OFFICE_365,
        fact.name,
        f"Accepted from your email server, identified by {fact.identified_by}.",
    )


def _onward_from_your_server(recipient: Party) -> Hop:
    """Centralized mail transport's second hop: your server delivers what Office 365 handed it."""
    return Hop(
        YOUR_ORG,
        recipient.place,
        "",
        f"Your email server sends it on to {recipient.domain} (centralized mail transport: "
        "Office 365 doesn't deliver it there itself).",
    )


def _out_of_office_365(recipient: Party, decision: Decision) -> Hop:
    """The hop out of Office 365: the outbound connector Office 365 chooses for the recipient."""
    chosen = decision.connector
    destination = recipient.place
    if chosen is not None:
        target = YOUR_ORG if chosen.connector_type == "OnPremises" else PARTNER
        return Hop(OFFICE_365, target, chosen.name, f"Chosen by {decision.reason}.")
    if destination == YOUR_ORG:
        return Hop(
            OFFICE_365,
            YOUR_ORG,
            "",
            decision.reason,
            problem="Without connectors, email will not flow: this mailbox is on your own email server, and no enabled connector routes its domain there.",
        )
    return Hop(
        OFFICE_365,
        INTERNET if destination == INTERNET else destination,
        "",
        f"{decision.reason}.",
    )


def explore(sender: Party, recipient: Party, *, router: Router, inbound: list[InboundFact]) -> Path:
    if sender.place == recipient.place and sender.place in (YOUR_ORG, INTERNET, PARTNER):
        where = (
            PLACE_NAMES[sender.place].lower()
            if sender.place != YOUR_ORG
            else "your own email server"
        )
        return Path(
            sender,
            recipient,
            (),
            f"Both mailboxes are on {where}: Office 365 isn't involved, so no connector is needed.",
        )
    hops: list[Hop] = []
    if sender.place != OFFICE_365:
        hops.append(_into_office_365(sender, inbound))
    if recipient.place == OFFICE_365:
        hops.append(Hop(OFFICE_365, OFFICE_365, "", "Delivered to the mailbox in Office 365."))
    else:
        # Mail that came from your server isn't sent back there by centralized mail transport.
        decision = router.decide(recipient.address, from_on_premises=sender.place == YOUR_ORG)
        hops.append(_out_of_office_365(recipient, decision))
        if decision.rule == "centralized" and recipient.place != YOUR_ORG:
            hops.append(_onward_from_your_server(recipient))
    needs = [hop for hop in hops if hop.connector]
    if any(hop.problem for hop in hops):
        summary = "This message will not flow as configured."
    elif not needs:
        summary = "No connector is needed for this message."
    else:
        summary = (
            "This message flows through " + ", then ".join(hop.connector for hop in needs) + "."
        )
    return Path(sender, recipient, tuple(hops), summary)
