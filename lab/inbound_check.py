"""Validate an inbound connector, which the EAC can't: the lab plays the sending server the
connector describes (its IP address, its certificate name, over TLS), sends a message from a
sender the connector covers to a mailbox of the organization through the front door, and reads
from the trace whether Office 365 accepted it and attributed it to this connector
(docs/front-door.md, "Validate an inbound connector")."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.endpoints import ConnectorType
from connectors.mailflow.facts import TenantMailFlow
from connectors.models import InboundConnector
from eac.models import MailboxLocation, Tenant
from lab.ca import LAB_ZONE
from lab.test_message import (
    SendingServer,
    Sent,
    place_of,
    send_through_front_door,
    server_for_connector,
)
from lab.trace_reading import Observed

SUBJECT = "Test message validating an inbound connector"
PARTNER_STAND_IN = f"partner.{LAB_ZONE}"  # a partner connector for every domain (*)


@dataclass(frozen=True)
class Plan:
    """What the lab sends to validate the connector, and as which server."""

    sender: str
    recipient: str
    server: SendingServer


@dataclass(frozen=True)
class Verdict:
    passed: bool
    headline: str
    cause: str = ""
    fix: str = ""


def plan_for(connector: InboundConnector) -> Plan:
    flow = TenantMailFlow.current(connector.tenant)
    return Plan(
        sender=f"test@{sender_domain(connector, flow)}",
        recipient=recipient_in(flow),
        server=server_for_connector(connector, place_of(connector)),
    )


def sender_domain(connector: InboundConnector, flow: TenantMailFlow) -> str:
    """A domain the connector takes mail from: its first sender domain that names one (a
    wildcard's parent, which it covers too); for `*`, a domain its associated accepted domains
    allow or the organization's default (else first) accepted domain of its own (your server),
    or a stand-in partner."""
    named = [d for d in connector.sender_domains if d != "*"]
    plain = [d for d in named if not d.startswith("*.")]
    if plain or named:
        return str((plain or named)[0]).removeprefix("*.")
    if connector.connector_type == ConnectorType.PARTNER:
        return PARTNER_STAND_IN
    if connector.associated_accepted_domains:
        return str(connector.associated_accepted_domains[0])
    # Your server sends from your own domains, not from the initial *.onmicrosoft.com one.
    initial = connector.tenant.initial_domain
    domains = sorted(
        flow.accepted_domains, key=lambda d: (d.name == initial, not d.is_default, d.name)
    )
    return domains[0].name if domains else connector.tenant.initial_domain


def recipient_in(flow: TenantMailFlow) -> str:
    """A mailbox in Office 365 (Office 365 delivers it there, nothing goes on to another server);
    else any mailbox of the organization; else its initial domain's postmaster."""
    mailboxes = sorted(flow.mailbox_list, key=lambda m: m.address)
    cloud = [m for m in mailboxes if m.location == MailboxLocation.OFFICE_365]
    chosen = cloud or mailboxes
    return chosen[0].address if chosen else f"postmaster@{flow.tenant.initial_domain}"


def validate_inbound(connector: InboundConnector) -> Sent:
    """Sends the plan's message. Raises FrontDoorUnavailable."""
    plan = plan_for(connector)
    tenant: Tenant = connector.tenant
    return send_through_front_door(tenant, plan.server, plan.sender, [plan.recipient], SUBJECT)


def verdict(connector: InboundConnector, observed: Observed) -> Verdict:
    """Whether Office 365 accepted the message and attributed it to this connector, and if not,
    why and what to change. Attribution is decided before the front door answers, so a Pending
    message already says it."""
    name = connector.name
    if observed.inbound_connector == name:
        how = observed.inbound.detail if observed.inbound else ""
        return Verdict(
            True, f"Office 365 accepted the test message and attributed it to {name}.", how
        )
    if observed.refused_on_arrival:
        cause, fix = observed.failure_cause_and_fix
        return Verdict(
            False,
            f"Office 365 refused the test message ({observed.failure_code}), so it wasn't "
            f"attributed to {name}.",
            cause,
            fix,
        )
    if observed.inbound_connector:
        return _taken_by_another(connector, observed)
    return _taken_by_none(connector)


def _taken_by_another(connector: InboundConnector, observed: Observed) -> Verdict:
    other = observed.inbound_connector
    how = observed.inbound.detail if observed.inbound else ""
    return Verdict(
        False,
        f"Office 365 accepted the test message, but attributed it to {other}, not to "
        f"{connector.name}.",
        f"{how} Office 365 tries OnPremises connectors before partner connectors, and connectors "
        "of one kind by name, so the first that recognizes the server takes its mail.",
        f"Give each connector its own IP addresses or certificate name, or turn {other} off if "
        "it is left over.",
    )


def _taken_by_none(connector: InboundConnector) -> Verdict:
    headline = (
        f"Office 365 accepted the test message as anonymous internet mail: {connector.name} "
        "didn't take it."
    )
    if not connector.enabled:
        return Verdict(False, headline, "The connector is turned off.", "Turn it on.")
    if connector.connector_type == ConnectorType.ON_PREMISES:
        return Verdict(
            False,
            headline,
            "An OnPremises connector recognizes your server only by an IP address in "
            "SenderIPAddresses or by a certificate name in TlsSenderCertificateName, and the "
            "server the lab played matched neither (or the sender's domain isn't among its "
            "associated accepted domains).",
            "Set the IP addresses your server sends from, or the name on its certificate.",
        )
    return Verdict(
        False,
        headline,
        "A partner connector takes mail from the domains in SenderDomains; the sender's domain "
        "wasn't covered, or its associated accepted domains leave it out.",
        "Add the partner's domain to the connector's sender domains.",
    )
