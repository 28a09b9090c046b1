"""Mail the lab really sends through its Office 365 front door, playing the sending server: the
Mail flow explorer's "Send a test message" and "Validate this connector" for an inbound connector
(docs/front-door.md, "Test messages from the console").

The lab plays the server the sender's place says: the internet (from 127.0.0.1, nothing
declared), your organization's email server or a partner's (the address and the certificate the
inbound connector expects: `XCLIENT ADDR` from its SenderIPAddresses, a client certificate from
the lab CA for its TlsSenderCertificateName); for a mailbox in Office 365, the mailbox itself,
submitting with `XCLIENT LOGIN` as Outlook would (the front door honours it only with the token). Every message names its organization with the signed
`XCLIENT XTENANT`, so a training sandbox's test never lands in the demo's trace.

    ids = send_test_message(tenant, "sun@wingtiptoys.com", "john@contoso.com")

The front door writes the trace before it answers, so the ids are known as soon as the SMTP
dialogue ends; delivery goes on in the front door's threads (status Pending until it ends).
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import trustme
from django.conf import settings
from django.utils import timezone

from connectors.endpoints import ConnectorType
from connectors.mailflow import explorer
from connectors.mailflow.facts import TenantMailFlow
from connectors.models import InboundConnector
from eac.models import MailboxLocation, Tenant
from lab.ca import LAB_ZONE, ensure_ca
from lab.flow_check import predicted_inbound
from lab.front_door import xtext_encoded
from lab.models import TracedMessage
from lab.office import tenant_token

# Every socket operation with the front door: it answers at once or isn't there. Bounded, so a
# page that sends never hangs (the whole dialogue is a handful of operations).
SMTP_TIMEOUT_SECONDS = 10
EXPLORER_SUBJECT = "Test message from the Mail flow explorer"
# Refused recipients are traced without a Message-ID (lab.office traces them at RCPT TO): they are
# found by sender and recipient among the rows written since the dialogue began, with this margin
# for the clock between the console and the front door (one machine, one clock).
REFUSED_LOOKBACK = timedelta(seconds=2)


class FrontDoorUnavailable(Exception):
    """The front door isn't answering, or broke off the dialogue; the message says what to do."""


@dataclass(frozen=True)
class SendingServer:
    """The server the lab plays: the address it declares, the certificate it shows, TLS or not,
    and the inbound connector whose identity that is ("" for the internet)."""

    place: str  # explorer.INTERNET, YOUR_ORG, PARTNER or OFFICE_365
    address: str = ""  # XCLIENT ADDR; "" sends from 127.0.0.1 with nothing declared
    certificate_name: str = ""  # a lab CA client certificate for this name; "" none
    tls: bool = True
    connector: str = ""
    login: str = ""  # XCLIENT LOGIN: the cloud mailbox that submits the message itself

    @property
    def helo(self) -> str:
        """The name it greets with: its certificate's when it has one (a wildcard's parent)."""
        name = self.certificate_name.removeprefix("*.")
        return (
            f"mail.{name}"
            if self.certificate_name.startswith("*.")
            else name or f"sender.{LAB_ZONE}"
        )

    def describe(self) -> str:
        """What the lab did, in one sentence, for the page."""
        if self.login:
            tls = "over TLS (STARTTLS)" if self.tls else "without TLS"
            return (
                f"The lab submits it as {self.login}'s mailbox in Office 365, as Outlook would "
                f"(XCLIENT LOGIN, with the console's signed XTENANT), {tls}."
            )
        who = {
            explorer.INTERNET: "a server on the internet",
            explorer.YOUR_ORG: "your organization's email server",
            explorer.PARTNER: "the partner's email server",
            # An address placed in Office 365 by its domain only: no mailbox to submit as.
            explorer.OFFICE_365: "the console, handing it to Office 365 at its front door from outside",
        }[self.place]
        facts = [f"from {self.address}" if self.address else "from 127.0.0.1"]
        if self.certificate_name:
            facts.append(f"with a lab CA client certificate for {self.certificate_name}")
        facts.append("over TLS (STARTTLS)" if self.tls else "without TLS")
        known = f", the way {self.connector} recognizes it" if self.connector else ""
        return f"The lab sends it as {who}{known}: {', '.join(facts)}."


@dataclass(frozen=True)
class Sent:
    """The traced messages one send made (one per recipient) and the replies to those refused."""

    ids: tuple[uuid.UUID, ...]
    refused: dict[str, str] = field(default_factory=dict)


# --- Which server to play ------------------------------------------------------------------------


def played_address(entries: Iterable[str]) -> str:
    """An address the connector lists: the first entry's, or the first host of its range."""
    for entry in entries:
        network = ipaddress.ip_network(entry, strict=False)
        if network.num_addresses == 1:
            return str(network.network_address)
        return str(next(iter(network.hosts()), network.network_address))
    return ""


def server_for_connector(
    connector: InboundConnector | None, place: str, *, tls: bool = True
) -> SendingServer:
    """The server an inbound connector expects, as the lab plays it; with no connector, one that
    declares nothing (the internet, or a server no connector knows)."""
    if connector is None:
        return SendingServer(place, tls=tls)
    return SendingServer(
        place,
        address=played_address(connector.sender_ip_addresses),
        # A certificate only counts over TLS; without it the lab shows none.
        certificate_name=connector.tls_sender_certificate_name if tls else "",
        tls=tls,
        connector=connector.name,
    )


def connector_played(flow: TenantMailFlow, path: explorer.Path) -> InboundConnector | None:
    """The inbound connector whose server the lab plays: the one the explorer says takes the
    message into Office 365, for a sender on your server or a partner's."""
    name = predicted_inbound(path)
    if not name or path.sender.place not in (explorer.YOUR_ORG, explorer.PARTNER):
        return None
    return next((c for c in flow.inbound if c.name == name), None)


def is_cloud_mailbox(flow: TenantMailFlow, address: str) -> bool:
    """Whether `address` is a mailbox of the organization in Office 365, which the front door
    lets the console submit as (an address the explorer only places there by its domain isn't)."""
    mailbox = flow.mailboxes.get(address.lower())
    return mailbox is not None and mailbox.location == MailboxLocation.OFFICE_365


def server_for_sender(
    flow: TenantMailFlow, path: explorer.Path, *, tls: bool = True
) -> SendingServer:
    """The server that sends the sender's mail, by where the explorer places the sender; a
    mailbox in Office 365 submits its own mail."""
    if path.sender.place == explorer.OFFICE_365 and is_cloud_mailbox(flow, path.sender.address):
        return SendingServer(explorer.OFFICE_365, tls=tls, login=path.sender.address)
    return server_for_connector(connector_played(flow, path), path.sender.place, tls=tls)


def can_play(flow: TenantMailFlow, path: explorer.Path) -> str:
    """ "" when the lab can send this message for real, else why not (for the page)."""
    leaves = path.recipient.place not in (explorer.OFFICE_365, explorer.YOUR_ORG)
    cloud_sender = path.sender.place == explorer.OFFICE_365
    if cloud_sender and leaves and not is_cloud_mailbox(flow, path.sender.address):
        # Without a mailbox to submit as, the lab could only hand the message in from outside,
        # and Office 365 would refuse that relay (5.7.64): nothing a mailbox would see.
        return (
            f"{path.sender.address} isn't one of the organization's mailboxes in Office 365, only "
            "an address in one of its domains, so the lab can't submit a message as it. Pick a "
            "mailbox in Office 365 (Bob in the demo) to send outside the organization."
        )
    if not path.hops:
        return "Office 365 isn't involved in this message, so there is nothing to send through it."
    return ""


# --- Sending -------------------------------------------------------------------------------------


def send_test_message(
    tenant: Tenant, sender: str, recipient: str, *, tls: bool = True
) -> list[uuid.UUID]:
    """Sends one message from `sender` to `recipient` through the front door, as the server the
    sender's place says, and returns its traced messages' ids (one; none if the front door
    refused it before tracing). Raises FrontDoorUnavailable, or InvalidValue for a bad address."""
    flow = TenantMailFlow.current(tenant)
    path = flow.explore(sender, recipient)
    server = server_for_sender(flow, path, tls=tls)
    sent = send_through_front_door(
        tenant, server, path.sender.address, [path.recipient.address], EXPLORER_SUBJECT
    )
    return list(sent.ids)


def send_through_front_door(
    tenant: Tenant,
    server: SendingServer,
    sender: str,
    recipients: Sequence[str],
    subject: str,
) -> Sent:
    """One SMTP dialogue with the front door, as `server`, and the traced messages it made."""
    message_id = make_msgid(idstring=uuid.uuid4().hex, domain=LAB_ZONE)
    message = _message(sender, recipients, subject, message_id, server)
    since = timezone.now() - REFUSED_LOOKBACK
    refused = _dialogue(tenant, server, sender, recipients, message)
    return Sent(_traced_ids(tenant, message_id, sender, refused, since), refused)


def _message(
    sender: str, recipients: Sequence[str], subject: str, message_id: str, server: SendingServer
) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(recipients), subject
    message["Message-ID"] = message_id
    message.set_content(
        f"A test message the EAC console's lab sent through its Office 365.\n{server.describe()}\n"
    )
    return message


def _dialogue(
    tenant: Tenant,
    server: SendingServer,
    sender: str,
    recipients: Sequence[str],
    message: EmailMessage,
) -> dict[str, str]:
    """The SMTP dialogue; returns the refused recipients with the front door's replies."""
    port = settings.EAC_FRONT_DOOR_PORT
    declared = f"XTENANT={tenant_token(tenant)}"
    if server.address:
        declared = f"ADDR={server.address} {declared}"
    if server.login:
        declared = f"LOGIN={xtext_encoded(server.login)} {declared}"
    try:
        with smtplib.SMTP(
            "127.0.0.1", port, local_hostname=server.helo, timeout=SMTP_TIMEOUT_SECONDS
        ) as client:
            client.ehlo()
            code, reply = client.docmd("XCLIENT", declared)
            if code != 220:  # Postfix's XCLIENT greets again; anything else is a refusal
                raise FrontDoorUnavailable(
                    f"The front door refused XCLIENT: {code} {reply.decode()}"
                )
            client.ehlo()
            if server.tls:
                with _client_context(server) as context:
                    client.starttls(context=context)
                client.ehlo()
            try:
                refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
            except smtplib.SMTPRecipientsRefused as every:
                refused = every.recipients
    except (OSError, smtplib.SMTPException) as exc:
        raise FrontDoorUnavailable(_unavailable_words(port, exc)) from exc
    return {to: f"{code} {reply.decode(errors='replace')}" for to, (code, reply) in refused.items()}


def _unavailable_words(port: int, exc: Exception) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"The lab's Office 365 front door isn't answering on 127.0.0.1:{port}. Start the lab "
            "(make run, or python manage.py lab) and try again."
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        reply = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"The front door answered {exc.smtp_code} {reply}."
    return f"The conversation with the front door on 127.0.0.1:{port} broke off: {exc}."


class _client_context:
    """TLS as the played server speaks it: it trusts the lab CA (the front door's certificate
    names Office 365's hosts, not 127.0.0.1, so the name isn't checked) and, when it plays a
    connector's certificate, presents one the lab CA issues for that name. The key lives in a
    temporary file only while the context loads it."""

    def __init__(self, server: SendingServer) -> None:
        self.server = server
        self.folder = tempfile.TemporaryDirectory(prefix="eac-test-message-")

    def __enter__(self) -> ssl.SSLContext:
        ca_file = ensure_ca(settings.VAR_DIR)
        context = ssl.create_default_context(cafile=str(ca_file))
        context.check_hostname = False
        if self.server.certificate_name:
            pem = Path(self.folder.name) / "client.pem"
            pem.write_bytes(_client_certificate(ca_file, self.server.certificate_name))
            context.load_cert_chain(pem)
        return context

    def __exit__(self, *exc_info: object) -> None:
        self.folder.cleanup()


def _client_certificate(ca_file: Path, name: str) -> bytes:
    """Key and chain of a certificate the lab CA issues for `name` (lab/ca.py keeps the CA's key
    beside its certificate, as ca.key)."""
    ca = trustme.CA.from_pem(ca_file.read_bytes(), ca_file.with_name("ca.key").read_bytes())
    leaf = ca.issue_cert(
        name,
        common_name=name,
        organization_name="EAC console lab",
        organization_unit_name="Played sending server",
    )
    return leaf.private_key_and_cert_chain_pem.bytes()


def _traced_ids(
    tenant: Tenant, message_id: str, sender: str, refused: dict[str, str], since: datetime
) -> tuple[uuid.UUID, ...]:
    """The rows the front door wrote: accepted recipients carry the Message-ID; refused ones,
    traced at RCPT TO before the message was sent, are the newest for their recipient."""
    rows = TracedMessage.objects.filter(tenant=tenant)
    ids = list(rows.filter(message_id=message_id).values_list("pk", flat=True))
    for recipient in refused:
        found = (
            rows.filter(
                sender=sender, recipient__iexact=recipient, message_id="", received_at__gte=since
            )
            .order_by("-received_at")
            .values_list("pk", flat=True)
            .first()
        )
        if found is not None:
            ids.append(found)
    return tuple(ids)


def place_of(connector: InboundConnector) -> str:
    """The explorer's place of the server an inbound connector describes."""
    if connector.connector_type == ConnectorType.ON_PREMISES:
        return explorer.YOUR_ORG
    return explorer.PARTNER
