"""A wizard draft's answers, typed step by step: what each step's form keeps on the draft
(`ConnectorDraft.data`, step key → that step's answers), and what the details panel's edit pages
and the Classic window read back. The words are the EAC's; the properties they become are those
of New-OutboundConnector and New-InboundConnector
(https://learn.microsoft.com/en-us/powershell/module/exchange/new-outboundconnector,
https://learn.microsoft.com/en-us/powershell/module/exchange/new-inboundconnector)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict, cast

from connectors.models import ConnectorDraft


class ScenarioAnswers(TypedDict):
    """Step 1, "New connector": Connection from → Connection to."""

    source: str
    target: str


class NameAnswers(TypedDict):
    name: str
    description: str
    turn_on: bool
    retain_headers: bool  # only shown for your own email server; kept as it was otherwise


class UseAnswers(TypedDict):
    use: str  # USE_ALL_ACCEPTED, USE_TRANSPORT_RULE or USE_DOMAINS
    recipient_domains: list[str]  # empty unless `use` is USE_DOMAINS


class RoutingAnswers(TypedDict):
    route: str  # ROUTE_MX or ROUTE_SMART_HOSTS
    smart_hosts: list[str]  # empty for ROUTE_MX


class SecurityAnswers(TypedDict):
    """Office 365 → your server or a partner: "Security restrictions"."""

    tls: bool
    certificate: str  # CERT_ANY or CERT_TRUSTED_CA; "" without TLS
    match_domain: bool
    tls_domain: str


class IdentityAnswers(TypedDict):
    """ "Authenticating sent email". Which lists it holds depends on the sender: a certificate
    domain for your own server, sender domains for a partner, IP addresses for either. The
    Classic window keeps `identify` alone first ("How do you want to identify the partner
    organization?"), then the list on its next page."""

    identify: str  # IDENTIFY_CERTIFICATE, IDENTIFY_DOMAINS or IDENTIFY_IP
    certificate_domain: NotRequired[str]
    sender_domains: NotRequired[list[str]]
    sender_ips: NotRequired[list[str]]


class InboundSecurityAnswers(TypedDict):
    """Partner → Office 365: "Security restrictions"."""

    require_tls: bool
    restrict_to_certificate: bool
    certificate_domain: str
    restrict_to_ips: bool
    restricted_ips: list[str]


class ValidationAnswers(TypedDict):
    """ "Validation email": the addresses the test message goes to."""

    recipients: list[str]


StepAnswers = (
    ScenarioAnswers
    | NameAnswers
    | UseAnswers
    | RoutingAnswers
    | SecurityAnswers
    | IdentityAnswers
    | InboundSecurityAnswers
    | ValidationAnswers
)


class Answers(TypedDict, total=False):
    """A whole draft: each step's answers under its key, once the step has been answered."""

    scenario: ScenarioAnswers
    name: NameAnswers
    use: UseAnswers
    routing: RoutingAnswers
    security: SecurityAnswers
    validation: ValidationAnswers
    identity: IdentityAnswers
    inbound_security: InboundSecurityAnswers


def answers_in(draft: ConnectorDraft) -> Answers:
    """The draft's answers, typed. Only the steps' forms write them (`steps.save_step`), and
    Create checks every step again (`steps.revalidate`), so an old or forged draft is refused
    there rather than trusted here."""
    return cast(Answers, draft.data)


def as_answers(values: Mapping[str, object]) -> Answers:
    """Step answers gathered under their step keys (a draft's, or a saved connector's)."""
    return cast(Answers, values)


def with_step(answers: Answers, key: str, values: StepAnswers) -> Answers:
    """The answers with one step's swapped in."""
    return as_answers({**answers, key: values})
