"""The front door: one SMTP server on 127.0.0.1 playing Office 365's inbound edge for every
organization (docs/front-door.md). Plain Python, no Django: what Office 365 decides is asked of an
`Office` (lab.office wires it to the database), and this module only speaks SMTP.

    door = FrontDoor(files, office, port=2526).start()
    ...  # smtplib.SMTP("127.0.0.1", door.port)
    door.stop()

The dialogue, as Exchange Online's:

- STARTTLS with the lab CA's good certificate, which names `mail.protection.outlook.com` and
  `*.mail.protection.outlook.com`; a client certificate is asked for (optional) and, when the
  client sends one, it must come from the lab CA or a CA the system trusts: Python's TLS can't
  read a certificate it didn't verify, so one from an unknown CA fails the handshake.
- `XCLIENT ADDR=203.0.113.10` (Postfix's command) says which address the client plays: the lab
  can't bind 203.0.113.10, so a connector's SenderIPAddresses are tested this way. Anyone on this
  machine may use it; the front door listens on loopback only and exists to be played with.
  `XCLIENT XTENANT=<token>` names the organization for the console's own senders (the token is
  signed with the console's secret key, so no one else can make one; see lab.office). As in
  Postfix, XCLIENT starts the session again: the server greets with 220, the client says EHLO.
- `XCLIENT LOGIN=bob@contoso.com XTENANT=<token>` submits as a mailbox in Office 365, the lab's
  stand-in for Outlook's authenticated submission: the office takes it only with a token it
  signed and for a cloud mailbox of that organization (else 535 5.7.3, and nothing changes), and
  MAIL FROM must then be that mailbox (else 550 5.7.60), as Exchange Online holds an
  authenticated client to the addresses it may send as.
- RCPT TO is answered per recipient by `Office.admit` (accepted, or refused with Exchange Online's
  code); DATA by `Office.receive`, which writes the trace and returns the deliveries to make.
  Those run after the 250, on a pool of threads, so the client never waits for the relay out.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
import ssl
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session, syntax
from cryptography import x509
from cryptography.x509.oid import NameOID

from lab.ca import FRONT_DOOR_ZONE, LabFiles
from lab.loop_thread import LoopThread
from lab.office_words import SEND_AS_DENIED

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DEFAULT_FRONT_DOOR_PORT = 2526
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_RECIPIENTS = 100
IDLE_TIMEOUT_SECONDS = 60
DELIVERY_THREADS = 4  # relays out wait on the network; a handful at once is plenty for a lab
GREETING_NAME = f"lab.{FRONT_DOOR_ZONE}"
# Attributes of Postfix's XCLIENT the front door takes but has no use for.
IGNORED_XCLIENT_ATTRIBUTES = frozenset({"NAME", "HELO", "PROTO", "PORT", "DESTADDR", "DESTPORT"})
UNAVAILABLE = "[UNAVAILABLE]"  # Postfix's XCLIENT value for "no such attribute"

T = TypeVar("T")


@dataclass(frozen=True)
class Connection:
    """What Office 365 knows of the sending server when a recipient is asked for."""

    peer_address: str  # the TCP peer (always on 127.0.0.0/8)
    client_address: str  # the address the client plays (XCLIENT ADDR), else the peer's
    helo: str
    tls_version: str  # "TLSv1.3"; "" when the session isn't encrypted
    certificate_subject: str  # the client certificate's, "" without one
    certificate_names: tuple[str, ...]  # its DNS names (SANs, else the CN)
    tenant_token: str = ""  # XCLIENT XTENANT: the console's own sender names the organization
    login: str = ""  # XCLIENT LOGIN: the cloud mailbox submitting, already checked by the office

    @property
    def encrypted(self) -> bool:
        return bool(self.tls_version)


class Office(Protocol):
    """Office 365's decisions; called on the front door's threads, never on its event loop."""

    def check_login(self, tenant_token: str, login: str) -> str:
        """ "" when `login` may submit as a mailbox of the organization the token names, else
        the reply refusing it."""
        ...

    def admit(self, connection: Connection, sender: str, recipient: str) -> Admission: ...

    def receive(
        self, connection: Connection, sender: str, admitted: Sequence[Admission], content: bytes
    ) -> Sequence[Callable[[], None]]: ...


@dataclass(frozen=True)
class Admission:
    """The answer to one RCPT TO: `reply` as sent, and what the office needs to route it later."""

    reply: str
    recipient: str = ""
    ticket: Any = None  # the office's own facts about this recipient

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("250")


@dataclass
class _Played:
    """What XCLIENT set for one session."""

    address: str = ""
    tenant_token: str = ""
    login: str = ""


@dataclass
class _Transaction:
    admitted: list[Admission] = field(default_factory=list)


def client_certificate(ssl_object: Any) -> tuple[str, tuple[str, ...]]:
    """The client certificate's subject and DNS names (SANs, else the CN), or ("", ())."""
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return "", ()
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return "", ()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    if not names:
        names = tuple(
            str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        )
    return cert.subject.rfc4514_string(), names


def server_context(files: LabFiles) -> ssl.SSLContext:
    """Office 365's TLS: the good certificate, and a client certificate asked for, not required."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.good.certificate, files.good.key)
    context.load_verify_locations(cafile=str(files.ca))
    context.verify_mode = ssl.CERT_OPTIONAL
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def parse_xclient(arg: str) -> tuple[dict[str, str], str]:
    """XCLIENT's attributes, upper-cased names, and "" or the reply refusing them."""
    attributes: dict[str, str] = {}
    for item in arg.split():
        name, equals, value = item.partition("=")
        name = name.upper()
        if not equals or not value:
            return {}, "501 5.5.4 Syntax: XCLIENT attribute=value ..."
        if name not in {"ADDR", "LOGIN", "XTENANT", *IGNORED_XCLIENT_ATTRIBUTES}:
            return {}, f"501 5.5.4 Bad XCLIENT attribute name: {name}"
        attributes[name] = xtext_decoded(value)
    address = attributes.get("ADDR", "")
    if address and address.upper() != UNAVAILABLE:
        try:
            attributes["ADDR"] = str(ipaddress.ip_address(address.removeprefix("IPV6:")))
        except ValueError:
            return {}, f"501 5.5.4 Bad XCLIENT address: {address}"
    return attributes, ""


def xtext_decoded(value: str) -> str:
    """XCLIENT values are xtext (RFC 3461): `+2B` is "+", so an address may carry any character."""
    return re.sub(r"\+([0-9A-Fa-f]{2})", lambda hexed: chr(int(hexed[1], 16)), value)


def xtext_encoded(value: str) -> str:
    """The xtext of `value`, as a client writes an XCLIENT value."""
    return "".join(c if "!" <= c <= "~" and c not in "+=" else f"+{ord(c):02X}" for c in value)


class _FrontDoorSmtp(SMTP):
    """aiosmtpd with Postfix's XCLIENT, and the session facts the office needs."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.played = _Played()
        self.transaction = _Transaction()

    @syntax("XCLIENT attribute=value ...")
    async def smtp_XCLIENT(self, arg: str | None) -> None:
        if self.envelope is not None and self.envelope.mail_from:
            await self.push("503 5.5.1 Error: MAIL transaction in progress")
            return
        attributes, refusal = parse_xclient(arg or "")
        if refusal or not attributes:
            await self.push(refusal or "501 5.5.4 Syntax: XCLIENT attribute=value ...")
            return
        address = attributes.get("ADDR", "")
        login = attributes.get("LOGIN", self.played.login)
        played = _Played(
            address=address if address.upper() != UNAVAILABLE else "",
            tenant_token=attributes.get("XTENANT", self.played.tenant_token),
            login=login if login.upper() != UNAVAILABLE else "",
        )
        refusal = await self._login_refusal(played)
        if refusal:  # a refused XCLIENT changes nothing, as in Postfix
            await self.push(refusal)
            return
        self.played = played
        # Postfix's XCLIENT: the session starts again, greeting included; EHLO comes next.
        self._set_rset_state()  # type: ignore[no-untyped-call]  # aiosmtpd ships no types
        self.transaction = _Transaction()
        if self.session is not None:
            self.session.host_name = None
            self.session.extended_smtp = False
        await self.push(f"220 {self.hostname} {self.__ident__}")

    async def _login_refusal(self, played: _Played) -> str:
        """A LOGIN is the office's to grant, asked at once so the client hears why at XCLIENT."""
        if not played.login:
            return ""
        door = self.event_handler.door
        try:
            return str(
                await door.in_thread(door.office.check_login, played.tenant_token, played.login)
            )
        except Exception:
            logger.exception("The front door couldn't check XCLIENT LOGIN=%s", played.login)
            return "451 4.3.0 Temporary server error; try again later"

    def connection_facts(self, session: Session) -> Connection:
        ssl_object = self.transport.get_extra_info("ssl_object") if self.transport else None
        subject, names = client_certificate(ssl_object)
        peer = session.peer[0] if isinstance(session.peer, tuple) else ""
        return Connection(
            peer_address=str(peer),
            client_address=self.played.address or str(peer),
            helo=session.host_name or "",
            tls_version=(ssl_object.version() or "") if ssl_object is not None else "",
            certificate_subject=subject,
            certificate_names=names,
            tenant_token=self.played.tenant_token,
            login=self.played.login,
        )


class _Handler:
    def __init__(self, door: FrontDoor) -> None:
        self.door = door

    async def handle_EHLO(
        self,
        server: _FrontDoorSmtp,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        server.transaction = _Transaction()
        return [*responses[:-1], "250-XCLIENT ADDR LOGIN XTENANT", responses[-1]]

    async def handle_MAIL(
        self,
        server: _FrontDoorSmtp,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        login = server.played.login
        if login and address.casefold() != login.casefold():
            # A submitting mailbox sends as itself; the lab grants no Send As permission.
            return SEND_AS_DENIED
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        server.transaction = _Transaction()
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(
        self,
        server: _FrontDoorSmtp,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        connection = server.connection_facts(session)
        sender = envelope.mail_from or ""
        try:
            admission = await self.door.in_thread(
                self.door.office.admit, connection, sender, address
            )
        except Exception:
            logger.exception("The front door couldn't decide on <%s>", address)
            return "451 4.3.0 Temporary server error; try again later"
        if admission.accepted:
            envelope.rcpt_tos.append(address)
            server.transaction.admitted.append(replace(admission, recipient=address))
        return admission.reply

    async def handle_DATA(
        self, server: _FrontDoorSmtp, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        content = content if isinstance(content, bytes) else content.encode()
        admitted = list(server.transaction.admitted)
        server.transaction = _Transaction()
        connection = server.connection_facts(session)
        try:
            deliveries = await self.door.in_thread(
                self.door.office.receive, connection, envelope.mail_from or "", admitted, content
            )
        except Exception:
            logger.exception("The front door couldn't keep a message from %s", envelope.mail_from)
            return "451 4.3.0 Temporary server error; try again later"
        # The trace says Pending from now on; delivery happens after the client hears 250.
        for delivery in deliveries:
            self.door.deliver_later(delivery)
        return "250 2.6.0 Queued mail for delivery"


class FrontDoor:
    """The front door's server. `start()` binds 127.0.0.1:`port` (0: a free port; OSError when
    taken) and serves on a background thread until `stop()`, which waits for deliveries under way."""

    def __init__(self, files: LabFiles, office: Office, *, port: int = DEFAULT_FRONT_DOOR_PORT):
        self.office = office
        self._context = server_context(files)
        self._requested_port = port
        self._port = 0
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[_FrontDoorSmtp] = weakref.WeakSet()
        self._loop = LoopThread("front-door")
        # Office decisions touch the database: a few threads, so one slow write doesn't stall all.
        self._decisions = ThreadPoolExecutor(max_workers=2, thread_name_prefix="front-door")
        self._deliveries = ThreadPoolExecutor(
            max_workers=DELIVERY_THREADS, thread_name_prefix="front-door-out"
        )

    @property
    def port(self) -> int:
        assert self._port, "start() first"
        return self._port

    def use_certificates(self, files: LabFiles) -> None:
        """Present these certificates from the next connection on."""
        self._context = server_context(files)

    def start(self) -> FrontDoor:
        self._loop.start()
        try:
            self._loop.call(self._bind())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if not self._loop.stop(self._shut_down):
            return
        self._decisions.shutdown(wait=True)
        self._deliveries.shutdown(wait=True)  # a relay under way ends (its timeouts are bounded)

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._decisions, function, *args)

    def deliver_later(self, delivery: Callable[[], None]) -> None:
        self._deliveries.submit(self._logged, delivery)

    @staticmethod
    def _logged(delivery: Callable[[], None]) -> None:
        try:
            delivery()
        except Exception:
            # The office writes its own failures to the trace; this is for its bugs.
            logger.exception("A delivery from the front door failed")

    async def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, host=LOOPBACK, port=self._requested_port
        )
        self._port = int(self._server.sockets[0].getsockname()[1])

    def _protocol(self) -> _FrontDoorSmtp:
        protocol = _FrontDoorSmtp(
            _Handler(self),
            hostname=GREETING_NAME,
            ident="Microsoft ESMTP MAIL Service ready (EAC console lab, playing Office 365)",
            tls_context=self._context,
            data_size_limit=MAX_MESSAGE_BYTES,
            timeout=IDLE_TIMEOUT_SECONDS,
        )
        self._sessions.add(protocol)
        return protocol

    async def _shut_down(self) -> None:
        if self._server is not None:
            self._server.close()
        # A client still connected doesn't hold up the stop.
        for protocol in list(self._sessions):
            if isinstance(protocol.transport, asyncio.Transport):
                protocol.transport.abort()
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), timeout=5)
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def front_door_port_free(port: int) -> bool:
    """Whether the front door could listen on 127.0.0.1:`port` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_front_door_port() -> int:
    """A port the system hands out as free on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])
