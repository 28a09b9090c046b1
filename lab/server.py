"""The lab, whole: its CA, DNS and SMTP servers started together, kept in step with the tenants'
domains, and the settings that point a worker at it. Plain Python: the Django side passes in
where the domains come from and where messages go (see `lab.runtime`).

    with Lab(var_dir, domains=lambda: ["contoso.com"], deliver=print, dns_port=0, smtp_port=0):
        ...  # lab.dns_port, lab.smtp_port, lab.environment()
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from lab.behaviours import LISTENING, Behaviour
from lab.ca import FRONT_DOOR_ZONE, LAB_ZONE, LabFiles, ensure_ca, ensure_lab_ca
from lab.dns import LabDns, normalize_domains, zone_of
from lab.front_door import FrontDoor, Office
from lab.smtp import Delivery, LabSmtp

DEFAULT_DNS_PORT = 5300
DEFAULT_SMTP_PORT = 2525
LOOPBACK = "127.0.0.1"
LAB_NETWORK = "127.0.0.0/8"  # every behaviour's address; what the probe must be allowed to reach
# Served whatever the tenants have: the lab's own zone, and Office 365's names for the front door.
BUILTIN_DOMAINS = (LAB_ZONE, FRONT_DOOR_ZONE)


def lab_environment(var_dir: Path | str, dns_port: int, smtp_port: int) -> dict[str, str]:
    """The settings that point a worker's probe at the lab. Creates the lab CA if it doesn't
    exist yet, so the worker can start before the lab (settings refuse a missing CA file)."""
    return {
        "EAC_DNS_NAMESERVERS": f"{LOOPBACK}:{dns_port}",
        "EAC_SMTP_PORT": str(smtp_port),
        "EAC_TRUSTED_CA_FILE": str(ensure_ca(var_dir)),
        "EAC_PROBE_ALLOWED_NETWORKS": LAB_NETWORK,
        "EAC_PROBE_LAB_ONLY": "1",  # trainees validate against the lab, never a real server
    }


def lab_ports_free(dns_port: int, smtp_port: int) -> bool:
    """Whether the lab could start on these ports now: DNS on 127.0.0.1 (UDP) and SMTP on every
    listening behaviour's address (TCP), bound as the servers bind them."""
    addresses = sorted({b.address for b in LISTENING if b is not Behaviour.REFUSED})
    probes: list[socket.socket] = []
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probes.append(udp)
        udp.bind((LOOPBACK, dns_port))
        for address in addresses:
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probes.append(tcp)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
            tcp.bind((address, smtp_port))
    except OSError:
        return False
    finally:
        for probe in probes:
            probe.close()
    return True


def free_lab_ports(attempts: int = 20) -> tuple[int, int]:
    """A DNS and an SMTP port the lab can start on, as the system hands free ones out."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((LOOPBACK, 0))
            dns_port = int(udp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            smtp_port = int(tcp.getsockname()[1])
        if lab_ports_free(dns_port, smtp_port):
            return dns_port, smtp_port
    raise OSError(f"No free ports for the lab after {attempts} tries.")


def certificate_names_for(domains: Iterable[str]) -> list[str]:
    """Each lab domain and every host one label below it: what the lab DNS answers for."""
    return [name for domain in sorted(domains) for name in (domain, f"*.{domain}")]


class Lab:
    def __init__(
        self,
        var_dir: Path | str,
        *,
        domains: Callable[[], Iterable[str]],
        deliver: Callable[[Delivery], None],
        dns_port: int = DEFAULT_DNS_PORT,
        smtp_port: int = DEFAULT_SMTP_PORT,
        refresh_seconds: float = 10.0,
    ) -> None:
        self.var_dir = Path(var_dir)
        self._source = domains
        self._deliver = deliver
        self._dns_port = dns_port
        self._smtp_port = smtp_port
        self._refresh_seconds = refresh_seconds
        self._certified: frozenset[str] = frozenset()  # the domains the certificates carry
        self._dns: LabDns | None = None
        self._smtp: LabSmtp | None = None
        self.front_door: FrontDoor | None = None
        self.files: LabFiles | None = None

    @property
    def dns_port(self) -> int:
        assert self._dns is not None, "start() first"
        return self._dns.port

    @property
    def smtp_port(self) -> int:
        assert self._smtp is not None, "start() first"
        return self._smtp.port

    @property
    def front_door_port(self) -> int | None:
        return self.front_door.port if self.front_door is not None else None

    def serves(self, domain: str) -> bool:
        """Whether the lab DNS answers for `domain` (a lab domain, or a name under one)."""
        assert self._dns is not None, "start() first"
        return zone_of(domain.lower().rstrip("."), self._dns.zone.domains) is not None

    def open_front_door(self, office: Office, port: int) -> FrontDoor:
        """Start the front door beside the lab's servers, with the lab's certificates; it stops
        with the lab. OSError when the port is taken."""
        assert self.files is not None, "start() first"
        self.front_door = FrontDoor(self.files, office, port=port).start()
        return self.front_door

    def environment(self) -> dict[str, str]:
        return lab_environment(self.var_dir, self.dns_port, self.smtp_port)

    def start(self) -> Lab:
        """Binds both servers, or raises (OSError when a port or address isn't available)."""
        domains = self._domains()
        self.files = ensure_lab_ca(self.var_dir, certificate_names_for(domains))
        self._certified = domains
        self._smtp = LabSmtp(self.files, self._deliver, port=self._smtp_port).start()
        try:
            self._dns = LabDns(
                self._domains_in_step,
                host=LOOPBACK,
                port=self._dns_port,
                refresh_seconds=self._refresh_seconds,
            ).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # The front door first: a relay it is making still finds the lab's servers up.
        for server in (self.front_door, self._dns, self._smtp):
            if server is not None:
                server.stop()

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _domains(self) -> frozenset[str]:
        return normalize_domains([*self._source(), *BUILTIN_DOMAINS])

    def _domains_in_step(self) -> frozenset[str]:
        """The DNS's periodic read of the domains; a changed set gets new certificates first, so a
        host the DNS starts answering for is one the good certificate already names."""
        domains = self._domains()
        if domains != self._certified and self._smtp is not None:
            self.files = ensure_lab_ca(self.var_dir, certificate_names_for(domains))
            self._smtp.use_certificates(self.files)
            if self.front_door is not None:
                self.front_door.use_certificates(self.files)
            self._certified = domains
        return domains
