"""The lab DNS: dnslib on 127.0.0.1, authoritative for the lab domains and nothing else.

For each lab domain `contoso.com`:

- `contoso.com` has `MX 10 mail.contoso.com`;
- every name one label below it has an A record, the loopback address of the behaviour its first
  label selects (`mail.contoso.com` → 127.0.0.1, `expired.contoso.com` → 127.0.0.5; see
  `lab.behaviours`), and no other record (NODATA), so the probe's MX lookup of a smart host falls
  back to its A record as SMTP does;
- deeper names (`a.b.contoso.com`) don't exist: NXDOMAIN, to train on DNS failures.

The front door's zone, `mail.protection.outlook.com`, is answered differently when it is among
the lab domains (`lab.server.Lab` always adds it): the zone and every name one label below it
(`contoso-com.mail.protection.outlook.com`, the MX host Office 365 gives each domain) have the
A record 127.0.0.1, where the front door listens, whatever the first label says.

Names outside the lab domains are REFUSED: the lab never resolves the real internet for a worker
pointed at it. The lab domains come from a callable, read again every `refresh_seconds`, so new
tenants and domains work without a restart. Only UDP: the answers are far too small to truncate.
Plain Python, no Django.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any

from dnslib import MX, QTYPE, RCODE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer

from lab.behaviours import Behaviour, behaviour_for
from lab.ca import FRONT_DOOR_ZONE

logger = logging.getLogger(__name__)

TTL = 10  # seconds; as short as the refresh, so a changed domain set shows at once
MX_PREFERENCE = 10


def normalize_domains(domains: Iterable[str]) -> frozenset[str]:
    return frozenset(d.strip().lower().rstrip(".") for d in domains if d.strip().rstrip("."))


def zone_of(name: str, domains: frozenset[str]) -> str | None:
    """The longest lab domain `name` is or lies under, e.g. sales.contoso.com before contoso.com."""
    labels = name.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in domains:
            return candidate
    return None


def answer(request: DNSRecord, domains: frozenset[str]) -> DNSRecord:
    """The lab's reply to one query."""
    qname = request.q.qname
    qtype = request.q.qtype
    name = str(qname).rstrip(".").lower()
    reply = request.reply(ra=0, aa=1)
    zone = zone_of(name, domains)
    if zone is None:
        reply.header.aa = 0
        reply.header.rcode = RCODE.REFUSED
    elif zone == FRONT_DOOR_ZONE:
        _answer_for_the_front_door(reply, name, qtype)
    elif name == zone:
        if qtype in (QTYPE.MX, QTYPE.ANY):
            exchange = f"mail.{zone}."
            reply.add_answer(RR(qname, QTYPE.MX, rdata=MX(exchange, MX_PREFERENCE), ttl=TTL))
    elif "." in name[: -len(zone) - 1]:
        reply.header.rcode = RCODE.NXDOMAIN
    elif qtype in (QTYPE.A, QTYPE.ANY):
        reply.add_answer(RR(qname, QTYPE.A, rdata=A(behaviour_for(name).address), ttl=TTL))
    return reply  # no answer and NOERROR: the name exists, without that type (NODATA)


def _answer_for_the_front_door(reply: DNSRecord, name: str, qtype: int) -> None:
    """Office 365's names: the zone and each organization's host one label below it lead to the
    front door on 127.0.0.1 (a first label like `expired-com` picks no misbehaving server)."""
    if name != FRONT_DOOR_ZONE and "." in name[: -len(FRONT_DOOR_ZONE) - 1]:
        reply.header.rcode = RCODE.NXDOMAIN
    elif qtype in (QTYPE.A, QTYPE.ANY):
        reply.add_answer(RR(reply.q.qname, QTYPE.A, rdata=A(Behaviour.GOOD.address), ttl=TTL))


class LabZone(BaseResolver):  # type: ignore[misc]  # dnslib ships no types
    def __init__(self, domains: Iterable[str] = ()) -> None:
        self.domains = normalize_domains(domains)  # replaced whole, never changed in place

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        return answer(request, self.domains)


class _UdpServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    # dnslib's own server sets SO_REUSEADDR, which lets a second UDP socket share a busy port on
    # Linux: a second lab would start "fine" and answer half the queries. Binding must fail instead.
    allow_reuse_address = False
    daemon_threads = True


class _Log:
    """dnslib's logger interface: malformed queries go to the debug log, the rest nowhere."""

    def log_error(self, handler: Any, error: Exception) -> None:
        logger.debug("Lab DNS: %s", error)

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args: None


class LabDns:
    """The lab DNS server. `start()` reads the domains once (and raises if that fails), binds
    (OSError if the port is taken) and serves in background threads until `stop()`."""

    def __init__(
        self,
        domains: Callable[[], Iterable[str]],
        *,
        host: str = "127.0.0.1",
        port: int = 5300,
        refresh_seconds: float = 10.0,
    ) -> None:
        self.host = host
        self.zone = LabZone()
        self._requested_port = port
        self._source = domains
        self._refresh_seconds = refresh_seconds
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: Any = None

    @property
    def port(self) -> int:
        """The port it listens on (the one asked for, or the free one found for port 0)."""
        assert self._server is not None, "start() first"
        return int(self._server.server.server_address[1])

    def start(self) -> LabDns:
        self.zone.domains = normalize_domains(self._source())
        self._server = DNSServer(
            self.zone,
            address=self.host,
            port=self._requested_port,
            logger=_Log(),
            server=_UdpServer,
        )
        self._spawn("lab-dns", self._serve)
        self._spawn("lab-dns-refresh", self._refresh_periodically)
        return self

    def refresh(self) -> bool:
        """Read the lab domains again; on failure, keep serving the ones known and say False."""
        try:
            self.zone.domains = normalize_domains(self._source())
        except Exception:
            # Whatever the source raised (a database gone away…), the last good set keeps serving.
            logger.exception("The lab DNS couldn't read the lab domains; keeping the last ones")
            return False
        return True

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.server.shutdown()
        self._server.server.server_close()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._server = None

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        # A short poll interval makes stop() quick.
        self._server.server.serve_forever(poll_interval=0.1)

    def _refresh_periodically(self) -> None:
        while not self._stopping.wait(self._refresh_seconds):
            self.refresh()
