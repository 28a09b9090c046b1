"""Office 365 for every organization, as the front door (lab.front_door) asks it: which
organization a recipient belongs to, which inbound connector takes the connection, whether the
message may be relayed, where it goes out and what the trace says (docs/front-door.md).

The console's own sender may also submit as a mailbox in Office 365 (XCLIENT LOGIN with a signed
XTENANT, `check_login`): such a message starts in Office 365, so there is no inbound attribution
and no relay check; each recipient is routed as Office 365 routes its own mailboxes' mail.

Every answer is read from the connectors as they are in the database when the message arrives,
through the same adapter and engines the console's pages use: `TenantMailFlow` (facts.py) places
each address and gives the selection engine (`Router.decide`), and validation's probe sends the
message on (lab.relay). Nothing here is a second routing engine; the only new rules are those
of the inbound edge, which the explorer only predicts: attribution by IP address or certificate,
and the partner connectors' restrictions.
"""

from __future__ import annotations

import email.parser
import email.policy
import ipaddress
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial

from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from connectors.endpoints import ConnectorType
from connectors.mailflow import explorer
from connectors.mailflow.facts import TenantMailFlow
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, DomainType, Mailbox, MailboxLocation, Tenant
from eac.values import InvalidValue, parse_domain, parse_domain_pattern, parse_validation_recipient
from lab import relay
from lab.ca import LAB_ZONE
from lab.front_door import Admission, Connection
from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus
from lab.office_words import (
    LOGIN_REFUSED,
    LOOP,
    PARTNER_NEEDS_TLS,
    PARTNER_RESTRICTED,
    RECIPIENT_NOT_FOUND,
    RELAY_DENIED,
    SEND_AS_DENIED,
    UNKNOWN_RECIPIENT,
    UNSIGNED_TENANT,
    words,
)
from lab.services import TRACE_HEADER, header_block
from validation.certificates import name_matches
from validation.probe import TlsMode

logger = logging.getLogger(__name__)

TENANT_SALT = "lab.front_door.tenant"  # salted_hmac key_salt, not a secret
ACCEPTED = "250 2.1.5 Recipient OK"
INTERNET_HOST = f"mail.{LAB_ZONE}"  # the lab's good server, playing every server on the internet


# --- Which organization ------------------------------------------------------------------------


def tenant_token(tenant: Tenant) -> str:
    """The XCLIENT XTENANT value that names `tenant` to the front door: only code holding the
    console's secret key can make one, so the console's own senders can pick a sandbox that
    shares the demo's domains, and nobody else can write into a tenant they choose."""
    return f"{tenant.pk}-{_token_mac(tenant.pk)}"


def tenant_from_token(token: str) -> int | None:
    number, _, mac = token.partition("-")
    if not number.isdigit() or not constant_time_compare(mac.lower(), _token_mac(int(number))):
        return None
    return int(number)


def _token_mac(tenant_id: int) -> str:
    return salted_hmac(TENANT_SALT, str(tenant_id), algorithm="sha256").hexdigest()[:32]


def tenants_accepting(domains: Iterable[str]) -> list[Tenant]:
    """Tenants with one of `domains` as an accepted domain (or a parent of it that accepts its
    subdomains). Training sandboxes copy the demo's domains, so several tenants may: the one that
    isn't a sandbox comes first, then by age, so the choice never depends on the database's mood."""
    wanted = {d for d in domains if d}
    candidates = {parent for d in wanted for parent in _self_and_parents(d)}
    rows = AcceptedDomain.objects.filter(name__in=candidates).values_list(
        "tenant_id", "name", "match_subdomains"
    )
    ids = {
        tenant_id
        for tenant_id, name, match_subdomains in rows
        if name in wanted or (match_subdomains and any(d.endswith(f".{name}") for d in wanted))
    }
    # A sandbox is a tenant a training Seat owns (training.models.Seat.tenant, related "seat");
    # the lab sits below training, so it asks through the relation rather than importing it.
    sandboxes = set(
        Tenant.objects.filter(pk__in=ids, seat__isnull=False).values_list("pk", flat=True)
    )
    tenants = Tenant.objects.filter(pk__in=ids)
    return sorted(tenants, key=lambda t: (t.pk in sandboxes, t.pk))


def _self_and_parents(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


# --- Which inbound connector -------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """The inbound connector that takes a connection, or why the connection is refused."""

    kind: str = ""  # ConnectorType.ON_PREMISES / PARTNER; "" for anonymous internet mail
    connector: str = ""
    how: str = ""  # "its TLS certificate (mail.contoso.com)"
    refusal: str = ""  # Exchange Online's reply, when a partner connector's restriction refuses
    cause: str = ""
    fix: str = ""


def attribute(flow: TenantMailFlow, connection: Connection, sender_domain: str) -> Attribution:
    """As Exchange Online does: an enabled OnPremises connector that identifies the sending server
    by its IP address or certificate name; else an enabled partner connector for the sender's
    domain, whose RequireTls and restrictions must hold; else anonymous internet mail."""
    associated = {fact.name: fact for fact in flow.inbound_facts()}

    def applies(connector: InboundConnector) -> bool:
        fact = associated.get(connector.name)
        return fact is None or fact.is_associated_with(sender_domain)

    connectors = sorted(
        (c for c in flow.inbound if c.enabled and applies(c)), key=lambda c: c.name.casefold()
    )
    for connector in connectors:
        if connector.connector_type == ConnectorType.ON_PREMISES:
            how = identified_by(connector, connection)
            if how:
                return Attribution(ConnectorType.ON_PREMISES, connector.name, how)
    partners = [
        c
        for c in connectors
        if c.connector_type == ConnectorType.PARTNER and covers(c.sender_domains, sender_domain)
    ]
    refusals = [partner_refusal(c, connection, sender_domain) for c in partners]
    for connector, refusal in zip(partners, refusals, strict=True):
        if refusal is None:
            how = identified_by(connector, connection) or f"the sender's domain ({sender_domain})"
            return Attribution(ConnectorType.PARTNER, connector.name, how)
    return next((r for r in refusals if r is not None), Attribution())


def identified_by(connector: InboundConnector, connection: Connection) -> str:
    """How the connector recognizes the sending server, or "" when it doesn't."""
    required = connector.tls_sender_certificate_name
    if required and connection.encrypted:
        matching = [n for n in connection.certificate_names if name_matches(n, required)]
        if matching:
            return f"its TLS certificate ({matching[0]})"
    if address_listed(connection.client_address, connector.sender_ip_addresses):
        return f"its IP address ({connection.client_address})"
    return ""


def partner_refusal(
    connector: InboundConnector, connection: Connection, sender_domain: str
) -> Attribution | None:
    """The partner connector's restriction this connection breaks, as Exchange Online refuses it."""
    facts = {"connector": connector.name, "sender_domain": sender_domain}
    if connector.require_tls and not connection.encrypted:
        return _refused(PARTNER_NEEDS_TLS, "partner-tls", **facts)
    if connector.restrict_domains_to_ip_addresses and not address_listed(
        connection.client_address, connector.sender_ip_addresses
    ):
        addresses = ", ".join(connector.sender_ip_addresses) or "none"
        return _refused(
            PARTNER_RESTRICTED,
            "partner-ip",
            addresses=addresses,
            address=connection.client_address,
            **facts,
        )
    if connector.restrict_domains_to_certificate and not (
        connection.encrypted
        and any(
            name_matches(n, connector.tls_sender_certificate_name)
            for n in connection.certificate_names
        )
    ):
        presented = ", ".join(connection.certificate_names) or "no certificate"
        return _refused(
            PARTNER_RESTRICTED,
            "partner-certificate",
            required=connector.tls_sender_certificate_name,
            presented=presented,
            **facts,
        )
    return None


def _refused(code: str, key: str, **facts: object) -> Attribution:
    cause, fix = words(key, **facts)
    return Attribution(
        refusal=code, cause=cause, fix=fix, connector=str(facts.get("connector", ""))
    )


def address_listed(address: str, entries: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in entries)


def covers(patterns: Iterable[str], domain: str) -> bool:
    if not domain:
        return False
    return any(parse_domain_pattern(p).matches(domain) for p in patterns)


# --- The trace -----------------------------------------------------------------------------------


class Trace:
    """One traced message's events, numbered as they are written."""

    def __init__(self, message: TracedMessage) -> None:
        self.message = message
        self.seq = message.events.count()

    def add(self, kind: TraceEventKind, detail: str, **fields: str) -> None:
        self.seq += 1
        TraceEvent.objects.create(
            message=self.message,
            seq=self.seq,
            at=datetime.now(UTC),
            kind=kind,
            detail=detail,
            **{name: value[: field_limit(name)] for name, value in fields.items()},
        )

    def receive(self, connection: Connection, submitter: str = "") -> None:
        self.add(
            TraceEventKind.RECEIVE,
            submitted_words(connection, submitter) if submitter else received_words(connection),
            host=connection.helo or connection.client_address,
            tls=connection.tls_version,
        )

    def fail(self, code: str, cause: str, fix: str, **fields: str) -> None:
        self.add(
            TraceEventKind.FAIL, f"{code}. {cause} Fix: {fix}", code=short_code(code), **fields
        )
        self.message.status = TraceStatus.FAILED
        self.message.failure_code = short_code(code)
        self.message.save(update_fields=["status", "failure_code"])

    def delivered(self) -> None:
        self.message.status = TraceStatus.DELIVERED
        self.message.save(update_fields=["status"])


def field_limit(name: str) -> int:
    return {"connector": 64, "host": 255, "tls": 64, "code": 32}[name]


def short_code(reply: str) -> str:
    """`550 5.7.64` of `550 5.7.64 TenantAttribution; Relay Access Denied`."""
    return " ".join(reply.split()[:2])[:32]


def received_words(connection: Connection) -> str:
    where = f"{connection.helo or 'a server that gave no name'} [{connection.client_address}]"
    if connection.client_address != connection.peer_address:
        where += f" (played by the lab client at {connection.peer_address}, with XCLIENT)"
    if not connection.encrypted:
        return f"Received from {where} without TLS."
    names = list(connection.certificate_names)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    certificate = (
        f"; client certificate {connection.certificate_subject} for {shown}"
        if names
        else "; no client certificate"
    )
    return f"Received from {where} over {connection.tls_version}{certificate}."


def submitted_words(connection: Connection, submitter: str) -> str:
    """The Receive event of a message a cloud mailbox submitted: it starts in Office 365, so
    there is no sending server to describe."""
    tls = f"over {connection.tls_version}" if connection.encrypted else "without TLS"
    return (
        f"Submitted by {submitter}, a mailbox in Office 365 (the lab's console sent it as the "
        f"mailbox, with XCLIENT LOGIN, {tls})."
    )


# --- A mailbox in Office 365 submitting ------------------------------------------------------


def login_refusal(reason: str) -> str:
    return f"{LOGIN_REFUSED}: {reason}"


def submitting_mailbox(token: str, login: str) -> tuple[Mailbox | None, str]:
    """The cloud mailbox XCLIENT LOGIN names, or the reply refusing it. Only the console's own
    code holds a token, and a tenant's sandbox copies the demo's addresses: the token says whose
    mailbox it is, so one organization's console can't submit as another's mailbox."""
    if not token:
        return None, login_refusal(
            "XCLIENT LOGIN needs a signed XTENANT naming the mailbox's organization"
        )
    tenant_id = tenant_from_token(token)
    tenant = Tenant.objects.filter(pk=tenant_id).first() if tenant_id is not None else None
    if tenant is None:
        return None, login_refusal("XTENANT isn't a token this console signed")
    mailbox = TenantMailFlow.current(tenant).mailboxes.get(login.lower())
    if mailbox is None:
        return None, login_refusal(f"{login} isn't a mailbox of {tenant.name}")
    if mailbox.location != MailboxLocation.OFFICE_365:
        return None, login_refusal(
            f"{login}'s mailbox isn't in Office 365 ({mailbox.get_location_display()}); only a "
            "cloud mailbox submits to Office 365"
        )
    return mailbox, ""


# --- Office 365 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """What the office decided at RCPT TO, for DATA: the organization and the inbound side."""

    tenant_id: int
    recipient_place: str
    sender_place: str
    inbound: Attribution = field(default_factory=Attribution)
    submitter: str = ""  # "Bob <bob@contoso.com>", when a cloud mailbox submitted it


@dataclass(frozen=True)
class _Deliver:
    pass


@dataclass(frozen=True)
class _Relay:
    route: relay.Route
    connector: str


class LabOffice:
    """The `lab.front_door.Office` of this console. `lab` says where the lab's servers are (the
    relay's only destinations); `serves(domain)` whether the lab DNS answers for a domain."""

    def __init__(self, lab: relay.Lab, serves: Callable[[str], bool]) -> None:
        self.lab = lab
        self.serves = serves

    # XCLIENT LOGIN
    def check_login(self, tenant_token: str, login: str) -> str:
        return submitting_mailbox(tenant_token, login)[1]

    # RCPT TO
    def admit(self, connection: Connection, sender: str, recipient: str) -> Admission:
        try:
            address = parse_validation_recipient(recipient)
        except InvalidValue:
            return Admission("501 5.1.3 Invalid recipient address")
        if connection.login:
            return self._admit_submitted(connection, sender, address)
        domain = address.rpartition("@")[2]
        sender_domain = _domain_of(sender)
        explicit = None
        if connection.tenant_token:
            explicit = tenant_from_token(connection.tenant_token)
            if explicit is None:
                return Admission(UNSIGNED_TENANT)
        tenant = self.organization(connection, sender_domain, domain, explicit)
        if tenant is None:
            return Admission(RELAY_DENIED)  # nobody's mail: nothing to trace
        flow = TenantMailFlow.current(tenant)
        inbound = attribute(flow, connection, sender_domain)
        if inbound.refusal:
            self._refuse(
                tenant, connection, sender, address, inbound.refusal, inbound.cause, inbound.fix
            )
            return Admission(inbound.refusal)
        place = flow.locate(address).place
        refusal = self._check_relay(flow, connection, inbound, sender, sender_domain, address)
        if refusal is None and place == explorer.OFFICE_365:
            refusal = self._check_known(flow, address, domain)
        if refusal is not None:
            code, cause, fix = refusal
            self._refuse(tenant, connection, sender, address, code, cause, fix)
            return Admission(code)
        sender_place: str = {
            str(ConnectorType.ON_PREMISES): explorer.YOUR_ORG,
            str(ConnectorType.PARTNER): explorer.PARTNER,
        }.get(inbound.kind, explorer.INTERNET)
        return Admission(ACCEPTED, ticket=Arrival(tenant.pk, place, sender_place, inbound))

    def _admit_submitted(self, connection: Connection, sender: str, address: str) -> Admission:
        """A recipient of a cloud mailbox's message. The mailbox is checked again (the front door
        asked at XCLIENT, but it may have moved since); then only the recipient's place matters:
        Office 365 routes its own mailboxes' mail out without asking who may relay."""
        mailbox, refusal = submitting_mailbox(connection.tenant_token, connection.login)
        if mailbox is None:
            return Admission(refusal)
        if sender.casefold() != mailbox.address.casefold():
            return Admission(SEND_AS_DENIED)
        # Not mailbox.tenant: the mailbox is shared by every thread reading this flow.
        tenant = Tenant.objects.get(pk=mailbox.tenant_id)
        flow = TenantMailFlow.current(tenant)
        place = flow.locate(address).place
        submitter = str(mailbox)
        if place == explorer.OFFICE_365:
            found = self._check_known(flow, address, address.rpartition("@")[2], sender=submitter)
            if found is not None:
                code, cause, fix = found
                self._refuse(tenant, connection, sender, address, code, cause, fix, submitter)
                return Admission(code)
        return Admission(
            ACCEPTED,
            ticket=Arrival(tenant.pk, place, explorer.OFFICE_365, submitter=submitter),
        )

    def organization(
        self,
        connection: Connection,
        sender_domain: str,
        recipient_domain: str,
        explicit: int | None,
    ) -> Tenant | None:
        """Whose message this is. Exchange Online attributes mail from an OnPremises connector by
        the certificate's domain, then the sender's, then the recipient's; anything else belongs
        to the organization that accepts the recipient's domain. Relayed mail that no connector
        claims is traced in the sender's organization, which is who needs to see it refused."""
        if explicit is not None:
            return Tenant.objects.filter(pk=explicit).first()
        certificate_domains = [n.removeprefix("*.") for n in connection.certificate_names]
        for tenant in tenants_accepting([*certificate_domains, sender_domain]):
            if attribute(TenantMailFlow.current(tenant), connection, sender_domain).kind == (
                ConnectorType.ON_PREMISES
            ):
                return tenant
        for domains in ([recipient_domain], [sender_domain]):
            tenants = tenants_accepting(domains)
            if tenants:
                return tenants[0]
        return None

    def _check_relay(
        self,
        flow: TenantMailFlow,
        connection: Connection,
        inbound: Attribution,
        sender: str,
        sender_domain: str,
        address: str,
    ) -> tuple[str, str, str] | None:
        """Relaying to a domain outside the organization needs an OnPremises connector, and the
        certificate's or the sender's domain must be accepted (the 2023 relay requirements)."""
        router = flow.router()
        if router.accepted_as(address.rpartition("@")[2]) is not None:
            return None
        if inbound.kind != ConnectorType.ON_PREMISES:
            identity = connection.client_address
            if connection.certificate_names:
                identity += f", certificate {', '.join(connection.certificate_names)}"
            cause, fix = words(
                "relay-denied", sender=sender or "<>", recipient=address, identity=identity
            )
            return RELAY_DENIED, cause, fix
        domains = [n.removeprefix("*.") for n in connection.certificate_names] + [sender_domain]
        if not any(d and router.accepted_as(d) for d in domains):
            cause, fix = words(
                "relay-not-ours", connector=inbound.connector, sender_domain=sender_domain or "<>"
            )
            return RELAY_DENIED, cause, fix
        return None

    def _check_known(
        self, flow: TenantMailFlow, address: str, domain: str, *, sender: str = ""
    ) -> tuple[str, str, str] | None:
        """Directory-Based Edge Blocking: an Authoritative domain's unknown address is refused.
        For a cloud mailbox's message (`sender` the submitter) it is the directory lookup that
        fails instead, with the NDR Exchange Online gives its own users."""
        if address.lower() in flow.mailboxes:
            return None
        accepted_as = flow.router().accepted_as(domain)
        kinds = {d.name: d.domain_type for d in flow.accepted_domains}
        if kinds.get(accepted_as or "") != DomainType.AUTHORITATIVE:
            return None
        if sender:
            cause, fix = words(
                "recipient-not-found", recipient=address, domain=accepted_as, sender=sender
            )
            return RECIPIENT_NOT_FOUND, cause, fix
        cause, fix = words("unknown-recipient", recipient=address, domain=accepted_as)
        return UNKNOWN_RECIPIENT, cause, fix

    @transaction.atomic
    def _refuse(
        self,
        tenant: Tenant,
        connection: Connection,
        sender: str,
        recipient: str,
        code: str,
        cause: str,
        fix: str,
        submitter: str = "",
    ) -> None:
        """A refused recipient is traced too: the trainee sees why the sending server was told no."""
        message = TracedMessage.objects.create(
            tenant=tenant, sender=sender[:320], recipient=recipient[:320], from_ip=_ip(connection)
        )
        trace = Trace(message)
        trace.receive(connection, submitter)
        trace.fail(code, cause, fix)

    # DATA
    def receive(
        self, connection: Connection, sender: str, admitted: Sequence[Admission], content: bytes
    ) -> list[Callable[[], None]]:
        """Each recipient's traced message, written before the client hears 250, with what was
        decided about it; returns the deliveries to make after that."""
        parsed = email.parser.Parser(policy=email.policy.compat32).parsestr(
            header_block(content), headersonly=True
        )
        subject = " ".join(str(parsed.get("Subject", "")).split())[:998]
        message_id = str(parsed.get("Message-ID", "")).strip()[:998]
        deliveries: list[Callable[[], None]] = []
        for admission in admitted:
            arrival: Arrival = admission.ticket
            with transaction.atomic():
                message = TracedMessage.objects.create(
                    tenant_id=arrival.tenant_id,
                    sender=sender[:320],
                    recipient=admission.recipient[:320],
                    subject=subject,
                    message_id=message_id,
                    size=len(content),
                    from_ip=_ip(connection),
                )
                trace = Trace(message)
                trace.receive(connection, arrival.submitter)
                if arrival.inbound.connector:
                    trace.add(
                        TraceEventKind.CONNECTOR,
                        f"Inbound connector {arrival.inbound.connector} took the message: it "
                        f"identified the sending server by {arrival.inbound.how}.",
                        connector=arrival.inbound.connector,
                    )
                plan = self._plan(trace, arrival, sender)
            if plan is not None:
                payload = _relayed_copy(content, connection, message)
                deliveries.append(partial(self.deliver, message.pk, plan, payload))
        return deliveries

    def _plan(self, trace: Trace, arrival: Arrival, sender: str) -> _Deliver | _Relay | None:
        """Where the message goes, decided now by the selection engine; None when it can't go."""
        recipient = trace.message.recipient
        if arrival.recipient_place == explorer.OFFICE_365:
            return _Deliver()
        flow = TenantMailFlow.current(trace.message.tenant)
        # A cloud mailbox's message is "from Office 365" here: centralized mail transport applies.
        decision = flow.router().decide(
            recipient, from_on_premises=arrival.sender_place == explorer.YOUR_ORG
        )
        domain = decision.domain
        chosen = decision.connector
        if chosen is not None:
            connector = next(c for c in flow.outbound if str(c.pk) == chosen.id)
            trace.add(
                TraceEventKind.CONNECTOR,
                f"Outbound connector {connector.name}, chosen by {decision.reason}.",
                connector=connector.name,
            )
            return _Relay(route_of(connector, domain), connector.name)
        by_mx = f"No outbound connector applies, so Office 365 delivers by {domain}'s MX record."
        if arrival.recipient_place == explorer.YOUR_ORG:
            trace.add(TraceEventKind.CONNECTOR, by_mx)
            trace.fail(LOOP, *words("loop", recipient=recipient, domain=domain))
            return None
        if self.serves(domain):
            trace.add(TraceEventKind.CONNECTOR, by_mx)
            return _Relay(relay.Route(mx_domains=(domain,)), "")
        trace.add(
            TraceEventKind.CONNECTOR,
            f"{by_mx} {domain} is on the internet, which the lab plays with its own server, "
            f"{INTERNET_HOST}.",
        )
        return _Relay(relay.Route(smart_hosts=(INTERNET_HOST,)), "")

    # After the 250
    def deliver(self, message_id: uuid.UUID, plan: _Deliver | _Relay, payload: bytes) -> None:
        try:
            message = TracedMessage.objects.select_related("tenant").get(pk=message_id)
            trace = Trace(message)
            if isinstance(plan, _Deliver):
                with transaction.atomic():
                    trace.add(
                        TraceEventKind.DELIVER,
                        f"Delivered to {message.recipient}'s mailbox in Office 365.",
                    )
                    trace.delivered()
                return
            outcome = relay.relay(
                self.lab,
                plan.route,
                sender=message.sender,
                recipient=message.recipient,
                payload=payload,
            )
            with transaction.atomic():
                self._record_relay(trace, plan, outcome)
        except Exception:
            logger.exception("The front door couldn't deliver traced message %s", message_id)
            raise

    def _record_relay(self, trace: Trace, plan: _Relay, outcome: relay.Outcome) -> None:
        where = f"{outcome.host} ({outcome.address})" if outcome.address else outcome.host
        tls = f"over {outcome.tls_version}" if outcome.tls_version else "without TLS"
        through = f" through {plan.connector}" if plan.connector else ""
        if outcome.delivered:
            trace.add(
                TraceEventKind.SEND,
                f"Sent to {where} {tls}{through}; it answered {outcome.reply}.",
                connector=plan.connector,
                host=outcome.host,
                tls=outcome.tls_version,
                code=short_code(outcome.reply),
            )
            trace.delivered()
            return
        trace.fail(
            outcome.error,
            f"Sending to {where}{through} failed: {outcome.cause} (Office 365 would retry for 24 "
            "hours before returning the message; the lab gives up at once.)",
            outcome.fix,
            connector=plan.connector,
            host=outcome.host,
            tls=outcome.tls_version,
        )


def route_of(connector: OutboundConnector, domain: str) -> relay.Route:
    """An outbound connector's way to the next server, as validation probes it."""
    return relay.Route(
        smart_hosts=() if connector.use_mx_record else tuple(connector.smart_hosts),
        mx_domains=(domain,) if connector.use_mx_record else (),
        tls_mode=TlsMode(connector.tls_settings or TlsMode.OPPORTUNISTIC),
        tls_domain=connector.tls_domain or "",
    )


def _relayed_copy(content: bytes, connection: Connection, message: TracedMessage) -> bytes:
    """The message as Office 365 sends it on: a Received line, and the trace header that tells the
    lab's server which traced message (so which tenant) the copy belongs to."""
    received = (
        f"Received: from {connection.helo or 'unknown'} ([{connection.client_address}]) by "
        f"lab.mail.protection.outlook.com with {_protocol(connection)}; "
        f"{format_datetime(datetime.now(UTC), usegmt=True)}\r\n"
    )
    return f"{TRACE_HEADER}: {message.pk}\r\n{received}".encode() + content


def _protocol(connection: Connection) -> str:
    """The Received line's protocol (RFC 3848): ESMTPSA for a mailbox's authenticated submission."""
    return "ESMTP" + ("S" if connection.encrypted else "") + ("A" if connection.login else "")


def _domain_of(address: str) -> str:
    if "@" not in address:
        return ""
    try:
        return parse_domain(address.rpartition("@")[2])
    except InvalidValue:
        return ""


def _ip(connection: Connection) -> str | None:
    try:
        return str(ipaddress.ip_address(connection.client_address))
    except ValueError:
        return None
