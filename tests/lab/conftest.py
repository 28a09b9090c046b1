"""The lab for tests: its files under a session-wide var/ (the CA is made once), its servers on
free ports, a resolver that asks its DNS, and the probe pointed at it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import dns.resolver
import pytest

from eac.models import Mailbox, MailboxLocation, Tenant
from lab.runtime import start_lab
from lab.server import Lab
from validation.policy import EgressPolicy
from validation.probe import ProbeConfig, ProbeOutcome, TlsMode, run_probe

CONTOSO_SENDER = "O365ConnectorValidation@contoso.onmicrosoft.com"


@pytest.fixture(scope="session")
def lab_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-var")


@pytest.fixture
def lab(lab_var_dir: Path, contoso: Tenant, fabrikam: Tenant) -> Iterator[Lab]:
    """The lab wired to the test database (so tests using it need transaction=True), started
    after Contoso and Fabrikam Lab exist; it reads the domains again every 0.2 s."""
    running = start_lab(var_dir=lab_var_dir, dns_port=0, smtp_port=0, refresh_seconds=0.2)
    yield running
    running.stop()


@pytest.fixture
def front_door_lab(lab_var_dir: Path, contoso: Tenant, fabrikam: Tenant) -> Iterator[Lab]:
    """The lab with its Office 365 front door, after Contoso (with John on its own server and Bob
    in Office 365) and Fabrikam Lab exist."""
    Mailbox.objects.create(
        tenant=contoso,
        display_name="John",
        address="john@contoso.com",
        location=MailboxLocation.YOUR_ORG,
    )
    Mailbox.objects.create(
        tenant=contoso,
        display_name="Bob",
        address="bob@contoso.com",
        location=MailboxLocation.OFFICE_365,
    )
    running = start_lab(
        var_dir=lab_var_dir, dns_port=0, smtp_port=0, refresh_seconds=0.2, front_door_port=0
    )
    yield running
    running.stop()


def eventually(check: Callable[[], bool], seconds: float = 15.0) -> None:
    """Waits, bounded, for what the lab does on its own threads (a message kept, a trace ended)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


def resolver_for(port: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.timeout = resolver.lifetime = 2.0
    return resolver


def validate(lab: Lab, smart_host: str, **fields: Any) -> ProbeOutcome:
    """A real validation of a connector whose smart host is `smart_host`, against the lab."""
    assert lab.files is not None
    settings: dict[str, Any] = {
        "run_id": str(uuid.uuid4()),
        "sender": CONTOSO_SENDER,
        "recipients": ("john@contoso.com",),
        "smart_hosts": (smart_host,),
        "port": lab.smtp_port,
        "tls_mode": TlsMode.DOMAIN_VALIDATION,
        "ca_file": str(lab.files.ca),
        "helo_name": "probe.lab.test",
        "stage_timeout": 5.0,
        "total_timeout": 20.0,
    }
    return run_probe(
        ProbeConfig(**(settings | fields)),
        resolver=resolver_for(lab.dns_port),
        policy=EgressPolicy((ip_network("127.0.0.0/8"),)),
    )
