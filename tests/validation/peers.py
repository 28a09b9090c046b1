"""Real peers for validation tests: the lab's own SMTP servers, one misbehaving on purpose, and a
DNS server with whatever records a test needs.

The SMTP servers and their certificates are the product's lab (lab.smtp, lab.ca, with the
misbehaviours named once in lab.behaviours); here each test only gets one behaviour on an address
and a free port of its own, and keeps what that server receives. Everything listens on loopback
only. The fixtures at the bottom are registered by tests/validation/conftest.py; another test
package registers them the same way, in its conftest:
`from tests.validation.peers import dns_lab, lab_ca, loopback_policy, smtp_lab`.

    def test_something(smtp_lab, dns_lab, lab_ca):
        lab = smtp_lab(Behaviour.EXPIRED)               # 127.0.0.1, a free port, STARTTLS
        resolver = dns_lab.resolver()                   # smarthost.lab.test -> 127.0.0.1
        ...
        assert lab.messages[0].message["Subject"] == "..."

The lab's certificates come from `lab_ca`; give the probe `lab_ca.pem_path` as its extra CA file.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import dns.resolver
import pytest
from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.dns import DNSError
from dnslib.server import BaseResolver, DNSHandler, DNSServer

# Behaviour and LAB_ZONE are also re-exported (`as`): tests and the benchmark import them from here.
from lab.behaviours import Behaviour as Behaviour
from lab.ca import LAB_ZONE as LAB_ZONE
from lab.ca import LabFiles, ensure_lab_ca
from lab.smtp import Delivery, LabSmtp
from validation.policy import REFUSED, EgressPolicy

SMART_HOST = "smarthost.lab.test"  # A 127.0.0.1
SMART_HOST_V6 = "smarthost6.lab.test"  # AAAA ::1
# The names on the lab's good certificate besides the lab's own (localhost, *.lab.test): every lab
# host name, so any of them verifies, and each by name, so a test can find it among the SANs.
LAB_CERT_NAMES = (SMART_HOST, SMART_HOST_V6, "mx1.lab.test", "localhost")


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: email.message.EmailMessage
    raw: bytes

    @classmethod
    def of(cls, delivery: Delivery) -> ReceivedMessage:
        parsed = email.message_from_bytes(delivery.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return cls(delivery.mail_from, delivery.rcpt_tos, parsed, delivery.content)


class LabServer(Protocol):
    host: str
    port: int
    messages: list[ReceivedMessage]

    @property
    def connections(self) -> int: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class LabCA:
    """The lab's CA and server certificates (lab.ca) for LAB_CERT_NAMES; `pem_path` is the CA
    file the probe (or a worker, as EAC_TRUSTED_CA_FILE) trusts."""

    files: LabFiles

    @property
    def pem_path(self) -> str:
        return str(self.files.ca)


def lab_ca_in(var_dir: Path) -> LabCA:
    """The lab's CA and certificates under `<var_dir>/lab/`, made there if they aren't yet."""
    return LabCA(ensure_lab_ca(var_dir, LAB_CERT_NAMES))


# --- SMTP ----------------------------------------------------------------------------------------


class PeerServer:
    """One lab SMTP server (lab.smtp.LabSmtp) playing one behaviour on `host` and a free port,
    keeping what it receives in `messages`."""

    def __init__(self, lab_ca: LabCA, behaviour: Behaviour, host: str, hostname: str) -> None:
        self.behaviour = behaviour
        self.host = host
        self.messages: list[ReceivedMessage] = []
        self._smtp = LabSmtp(
            lab_ca.files, self._keep, port=0, listen_on={behaviour: host}, host_name=hostname
        ).start()
        self.port = self._smtp.port

    @property
    def connections(self) -> int:
        return self._smtp.connections

    def stop(self) -> None:
        self._smtp.stop()

    def _keep(self, delivery: Delivery) -> None:
        self.messages.append(ReceivedMessage.of(delivery))


class ClosedPort:
    """REFUSED: the lab plays it by not listening, here on a port found free on `host`."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = free_port(host)
        self.messages: list[ReceivedMessage] = []
        self.connections = 0

    def stop(self) -> None:
        pass


def free_port(host: str) -> int:
    """A port free right now (and, as nothing keeps it, one that refuses connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_lab_server(
    lab_ca: LabCA,
    behaviour: Behaviour = Behaviour.GOOD,
    host: str = "127.0.0.1",
    *,
    hostname: str = SMART_HOST,
) -> LabServer:
    """A started server for `behaviour`; `hostname` is the name it greets with."""
    if behaviour is Behaviour.REFUSED:
        return ClosedPort(host)
    return PeerServer(lab_ca, behaviour, host, hostname)


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
    """The lab's CA and certificates, made once per session: `.files` (lab.ca.LabFiles),
    `.pem_path` (the CA's certificate, for ProbeConfig.ca_file)."""
    return lab_ca_in(tmp_path_factory.mktemp("lab-ca"))


@pytest.fixture
def smtp_lab(lab_ca: LabCA) -> Iterator[Callable[..., LabServer]]:
    """A factory: smtp_lab(behaviour=Behaviour.GOOD, host="127.0.0.1", *, hostname=SMART_HOST)
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
