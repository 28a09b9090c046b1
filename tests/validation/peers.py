"""Real peers for validation tests: a lab SMTP server that can misbehave on purpose, and a lab DNS.

Everything listens on loopback only. The fixtures at the bottom are registered by
tests/validation/conftest.py; another test package registers them the same way, in its conftest:
`from tests.validation.peers import dns_lab, lab_ca, loopback_policy, smtp_lab`.

    def test_something(smtp_lab, dns_lab, lab_ca):
        lab = smtp_lab(Behaviour.EXPIRED_CERTIFICATE)   # 127.0.0.1, a free port, STARTTLS
        resolver = dns_lab.resolver()                   # smarthost.lab.test -> 127.0.0.1
        ...
        assert lab.messages[0].message["Subject"] == "..."

The lab's certificates come from `lab_ca`; give the probe `lab_ca.pem_path` as its extra CA file.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import functools
import ipaddress
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import dns.resolver
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.dns import DNSError
from dnslib.server import BaseResolver, DNSHandler, DNSServer

from validation.policy import REFUSED, EgressPolicy

LAB_ZONE = "lab.test"
SMART_HOST = "smarthost.lab.test"  # A 127.0.0.1
SMART_HOST_V6 = "smarthost6.lab.test"  # AAAA ::1
# The names on the lab's good certificate: every lab host name, so any of them verifies.
LAB_CERT_NAMES = (SMART_HOST, SMART_HOST_V6, "mx1.lab.test", "localhost")


class Behaviour(StrEnum):
    """How a lab server behaves; the first ten are aiosmtpd servers (all but one offer STARTTLS)."""

    GOOD = "good"  # STARTTLS with a certificate from lab_ca for LAB_CERT_NAMES
    NO_STARTTLS = "no-starttls"
    UNTRUSTED_CA = "untrusted-ca"  # certificate from a second CA the client doesn't trust
    SELF_SIGNED = "self-signed"  # a really self-signed certificate (that CA's own)
    WRONG_NAME = "wrong-name"  # from lab_ca, but for mail.elsewhere.test only
    WILDCARD = "wildcard"  # from lab_ca, for *.lab.test only
    EXPIRED_CERTIFICATE = "expired-certificate"  # from lab_ca, expired yesterday
    REJECT_RCPT = "reject-rcpt"  # 550 5.1.1 for every recipient
    REJECT_DATA = "reject-data"  # 554 5.6.0 after the message
    # Raw sockets rather than aiosmtpd:
    TLS10_ONLY = "tls1.0-only"  # STARTTLS, then TLS 1.0 only (asyncio wouldn't send the alert)
    CLOSE_AFTER_BANNER = "close-after-banner"
    BANNER_554 = "banner-554"  # greets with "554 5.3.2 ..." instead of 220
    SILENT = "silent"  # accepts, never says a word
    TARPIT = "tarpit"  # trickles its banner one byte a second, forever
    REFUSED = "refused"  # a closed port: the connection is refused


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: email.message.EmailMessage
    raw: bytes


class LabServer(Protocol):
    host: str
    port: int
    messages: list[ReceivedMessage]

    @property
    def connections(self) -> int: ...

    def stop(self) -> None: ...


# --- Certificates ---------------------------------------------------------------------------------


@dataclass
class LabCA:
    """The lab's trusted CA, written to `pem_path` for the probe's extra CA file."""

    ca: trustme.CA
    pem_path: str
    rogue: trustme.CA = field(default_factory=trustme.CA)  # trusted by nobody

    def certificate_for(self, behaviour: Behaviour, names: tuple[str, ...]) -> trustme.LeafCert:
        if behaviour is Behaviour.UNTRUSTED_CA:
            return self.rogue.issue_cert(*names)
        if behaviour is Behaviour.SELF_SIGNED:
            return trustme.LeafCert(
                self.rogue.private_key_pem.bytes(), self.rogue.cert_pem.bytes(), []
            )
        if behaviour is Behaviour.WRONG_NAME:
            return self.ca.issue_cert("mail.elsewhere.test")
        if behaviour is Behaviour.WILDCARD:
            return self.ca.issue_cert(f"*.{LAB_ZONE}")
        if behaviour is Behaviour.EXPIRED_CERTIFICATE:
            now = datetime.now(UTC)
            return self.ca.issue_cert(
                *names, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)
            )
        return self.ca.issue_cert(*names)

    def server_context(self, behaviour: Behaviour, names: tuple[str, ...]) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.certificate_for(behaviour, names).configure_cert(context)
        if behaviour is Behaviour.TLS10_ONLY:
            _only_tls10(context)
        return context


def _only_tls10(context: ssl.SSLContext) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is deprecated: the point
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1
    # OpenSSL 3 won't offer TLS 1.0 at its default security level.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")


def tls10_supported() -> bool:
    """Whether this Python and OpenSSL can still serve TLS 1.0 (for Behaviour.TLS10_ONLY)."""
    if not ssl.HAS_TLSv1:
        return False
    try:
        _only_tls10(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    except (ssl.SSLError, ValueError):
        return False
    return True


# --- SMTP ----------------------------------------------------------------------------------------


def free_port(host: str) -> int:
    """A port free right now. aiosmtpd's Controller can't take port 0 (aio-libs/aiosmtpd#388)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _LabHandler:
    def __init__(self, behaviour: Behaviour, messages: list[ReceivedMessage]) -> None:
        self.behaviour = behaviour
        self.messages = messages

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.behaviour is Behaviour.REJECT_RCPT:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.behaviour is Behaviour.REJECT_DATA:
            return "554 5.6.0 Message rejected: content refused by policy"
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(
            ReceivedMessage(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed, raw)
        )
        return f"250 2.0.0 OK queued as LAB{len(self.messages)}"


class _CountingController(Controller):
    """Counts connections: each one makes the server build a fresh SMTP protocol object."""

    connections = 0

    def factory(self) -> SMTP:
        self.connections += 1
        server: SMTP = super().factory()
        return server


class LabSmtp:
    """aiosmtpd on loopback with STARTTLS, storing what it receives in `messages`."""

    def __init__(
        self, behaviour: Behaviour, host: str, context: ssl.SSLContext | None, hostname: str
    ) -> None:
        self.behaviour = behaviour
        self.host = host
        self.port = free_port(host)
        self.messages: list[ReceivedMessage] = []
        self._controller = _CountingController(
            _LabHandler(behaviour, self.messages),
            hostname=host,
            port=self.port,
            server_hostname=hostname,
            tls_context=context,
        )
        self._controller.start()
        self._controller.connections = 0  # start() connects once itself, to check it's up
        self._running = True

    @property
    def connections(self) -> int:
        return int(self._controller.connections)

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._controller.stop()


class RawListener:
    """A loopback TCP listener that talks (or doesn't) as `talk` says, one thread per client."""

    def __init__(self, host: str, talk: Callable[[socket.socket, threading.Event], None]) -> None:
        self.host = host
        self.messages: list[ReceivedMessage] = []  # always empty; the same shape as LabSmtp
        self.connections = 0
        self._talk = talk
        self._stopping = threading.Event()
        self._clients: list[tuple[socket.socket, threading.Thread]] = []
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._server = socket.create_server((host, 0), family=family)
        self._server.settimeout(0.05)
        self.port = int(self._server.getsockname()[1])
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            client.settimeout(None)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._clients.append((client, thread))
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        # OSError: the client went away, or stop() shut the socket.
        with contextlib.suppress(OSError):
            self._talk(client, self._stopping)

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._acceptor.join()
        self._server.close()
        for client, thread in self._clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            thread.join()
            client.close()


class ClosedPort:
    """A port where nothing listens: connecting is refused."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = free_port(host)
        self.messages: list[ReceivedMessage] = []
        self.connections = 0

    def stop(self) -> None:
        pass


def _say_nothing(client: socket.socket, stopping: threading.Event) -> None:
    stopping.wait()


def _trickle_banner(client: socket.socket, stopping: threading.Event) -> None:
    banner = b"220 tarpit.lab.test ESMTP please wait " * 1000
    for byte in banner:
        client.sendall(bytes([byte]))
        if stopping.wait(1.0):
            return


def _banner_then_close(client: socket.socket, stopping: threading.Event) -> None:
    client.sendall(b"220 smarthost.lab.test ESMTP\r\n")
    client.close()


def _speak_old_tls_only(
    context: ssl.SSLContext, client: socket.socket, stopping: threading.Event
) -> None:
    """Offer STARTTLS, then shake hands with TLS 1.0 only. A blocking handshake sends the
    protocol_version alert a real server sends; aiosmtpd's asyncio transport drops it."""
    client.sendall(b"220 smarthost.lab.test ESMTP\r\n")
    with client.makefile("rb") as reader:
        while line := reader.readline():
            command = line.strip().upper()
            if command.startswith(b"EHLO"):
                client.sendall(b"250-smarthost.lab.test\r\n250 STARTTLS\r\n")
            elif command == b"STARTTLS":
                break
            else:
                client.sendall(b"221 2.0.0 Bye\r\n")
                return
    client.sendall(b"220 2.0.0 Ready to start TLS\r\n")
    with context.wrap_socket(client, server_side=True):
        pass  # a client at TLS 1.2 or later never gets this far


def _greet_554(client: socket.socket, stopping: threading.Event) -> None:
    client.sendall(b"554 5.3.2 smarthost.lab.test Service not available to you\r\n")
    with client.makefile("rb") as reader:
        while line := reader.readline():
            if line.strip().upper() == b"QUIT":
                client.sendall(b"221 2.0.0 Bye\r\n")
                return
            client.sendall(b"503 5.5.1 No session\r\n")


RAW_TALK: dict[Behaviour, Callable[[socket.socket, threading.Event], None]] = {
    Behaviour.SILENT: _say_nothing,
    Behaviour.TARPIT: _trickle_banner,
    Behaviour.CLOSE_AFTER_BANNER: _banner_then_close,
    Behaviour.BANNER_554: _greet_554,
}


def start_lab_server(
    lab_ca: LabCA,
    behaviour: Behaviour = Behaviour.GOOD,
    host: str = "127.0.0.1",
    *,
    cert_names: tuple[str, ...] = LAB_CERT_NAMES,
    hostname: str = SMART_HOST,
) -> LabServer:
    if behaviour is Behaviour.REFUSED:
        return ClosedPort(host)
    if behaviour in RAW_TALK:
        return RawListener(host, RAW_TALK[behaviour])
    if behaviour is Behaviour.NO_STARTTLS:
        return LabSmtp(behaviour, host, None, hostname)
    context = lab_ca.server_context(behaviour, cert_names)
    if behaviour is Behaviour.TLS10_ONLY:
        return RawListener(host, functools.partial(_speak_old_tls_only, context))
    return LabSmtp(behaviour, host, context, hostname)


# --- DNS -----------------------------------------------------------------------------------------


DEFAULT_RECORDS: tuple[tuple[str, str, str], ...] = (
    (SMART_HOST, "A", "127.0.0.1"),
    (SMART_HOST_V6, "AAAA", "::1"),
    ("mx1.lab.test", "A", "127.0.0.1"),
    (LAB_ZONE, "MX", f"10 mx1.{LAB_ZONE}"),  # the lab's mail domain
    ("implicit.lab.test", "A", "127.0.0.1"),  # no MX: mail goes to its A record (implicit MX)
    ("nullmx.lab.test", "MX", "0 ."),  # RFC 7505: accepts no mail
    ("noaddress.lab.test", "TXT", "v=spf1 -all"),  # exists, but no A/AAAA/MX: NODATA
    ("mixed.lab.test", "A", "127.0.0.1"),  # one loopback and one internal address
    ("mixed.lab.test", "A", "10.20.30.40"),
)
SERVFAIL_NAMES = ("servfail.lab.test",)
SILENT_NAMES = ("slow.lab.test",)  # never answered


def _rdata(rtype: str, value: str) -> Any:
    if rtype == "A":
        return A(value)
    if rtype == "AAAA":
        return AAAA(value)
    if rtype == "MX":
        preference, exchange = value.split()
        return MX(exchange, int(preference))
    if rtype == "TXT":
        return TXT(value)
    raise ValueError(f"the lab DNS doesn't serve {rtype} records")


class _LabResolver(BaseResolver):  # type: ignore[misc]  # dnslib ships no types
    """Answers from a dict, with the rcodes dnslib's ZoneResolver gets wrong (NODATA)."""

    def __init__(self, stopping: threading.Event) -> None:
        self.records: dict[str, dict[str, list[Any]]] = {}
        self.servfail: set[str] = set(SERVFAIL_NAMES)
        self.silent: set[str] = set(SILENT_NAMES)
        self.queries: list[tuple[str, str]] = []
        self._stopping = stopping

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        name = str(request.q.qname).rstrip(".").lower()
        rtype = QTYPE[request.q.qtype]
        self.queries.append((name, rtype))
        reply = request.reply()
        if name in self.silent:
            self._stopping.wait(30)
            raise DNSError("the lab never answers this name")  # dnslib drops the reply
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
        elif name != LAB_ZONE and not name.endswith(f".{LAB_ZONE}"):
            reply.header.rcode = RCODE.REFUSED  # not our zone
        elif not self._exists(name):
            reply.header.rcode = RCODE.NXDOMAIN
        for rdata in self.records.get(name, {}).get(rtype, []):
            reply.add_answer(RR(name + ".", QTYPE.reverse[rtype], rdata=rdata, ttl=60))
        return reply  # an existing name without that type: NOERROR and no answer (NODATA)

    def _exists(self, name: str) -> bool:
        # Names with records, and the names above them (empty non-terminals) exist.
        return any(known == name or known.endswith(f".{name}") for known in self.records)


class _QuietLogger:
    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args: None


class DnsLab:
    """dnslib on 127.0.0.1 (UDP, a free port) serving the lab zone."""

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self.zone = _LabResolver(self._stopping)
        for name, rtype, value in DEFAULT_RECORDS:
            self.add(name, rtype, value)
        self._server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=_QuietLogger())
        self.port = int(self._server.server.server_address[1])
        # Our own thread rather than start_thread(): a short poll interval makes stop() quick.
        self._thread = threading.Thread(
            target=self._server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def queries(self) -> list[tuple[str, str]]:
        """(name, type) of every query received, in order."""
        return self.zone.queries

    def add(self, name: str, rtype: str, value: str) -> None:
        """Add a record, e.g. add("mail.lab.test", "A", "127.0.0.1") or ("lab.test", "MX", "10 x")."""
        by_type = self.zone.records.setdefault(name.rstrip(".").lower(), {})
        by_type.setdefault(rtype, []).append(_rdata(rtype, value))

    def fail(self, name: str) -> None:
        """Answer SERVFAIL for this name."""
        self.zone.servfail.add(name.rstrip(".").lower())

    def never_answer(self, name: str) -> None:
        self.zone.silent.add(name.rstrip(".").lower())

    def resolver(self, timeout: float = 1.0) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        return resolver

    def stop(self) -> None:
        self._stopping.set()  # releases the handlers that never answer
        self._server.server.shutdown()
        self._server.server.server_close()
        self._thread.join()


# --- A stand-in egress policy --------------------------------------------------------------------


class LoopbackPolicy(EgressPolicy):
    """Allows loopback (127.0.0.0/8 and ::1) and refuses the rest, like the real policy would with
    a lab network allowed; it also remembers what it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def refusal(self, address: str) -> str | None:
        self.asked.append(address)
        return None if ipaddress.ip_address(address).is_loopback else REFUSED


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lab_ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    """The lab's CA: `.ca` (trustme.CA), `.pem_path` (its certificate, for ProbeConfig.ca_file)."""
    ca = trustme.CA(organization_name="EAC console lab CA")
    path = Path(tmp_path_factory.mktemp("lab-ca")) / "lab-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return LabCA(ca=ca, pem_path=str(path))


@pytest.fixture
def smtp_lab(lab_ca: LabCA) -> Iterator[Callable[..., LabServer]]:
    """A factory: smtp_lab(behaviour=Behaviour.GOOD, host="127.0.0.1", *, cert_names=..., hostname=...)
    returns a started server (`.host`, `.port`, `.messages`, `.connections`, `.stop()`); every one
    still running is stopped after the test."""
    started: list[LabServer] = []

    def start(
        behaviour: Behaviour = Behaviour.GOOD, host: str = "127.0.0.1", **options: Any
    ) -> LabServer:
        server = start_lab_server(lab_ca, behaviour, host, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def dns_lab() -> Iterator[DnsLab]:
    """The lab DNS with DEFAULT_RECORDS: `.port`, `.resolver(timeout=1.0)`, `.add(name, type, value)`,
    `.fail(name)`, `.never_answer(name)`, `.queries`."""
    lab = DnsLab()
    yield lab
    lab.stop()


@pytest.fixture
def loopback_policy() -> LoopbackPolicy:
    return LoopbackPolicy()
