"""The Celery task's function, called directly in this process against the lab's real SMTP and
DNS servers: what a run stores, what the connector records, and that a run never sends twice."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.models import OutboundConnector
from eac.models import AuditEvent, Tenant
from lab.behaviours import Behaviour
from tests.conftest import make_outbound
from tests.validation.peers import SMART_HOST, DnsLab, LabCA, LabServer
from validation import services
from validation.models import RunStatus, ValidationRun
from validation.probe import RUN_HEADER
from validation.tasks import run_validation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def point_probe_at(settings: Any, dns_lab: DnsLab, lab_ca: LabCA) -> Callable[[LabServer], None]:
    """The probe settings an operator sets for a lab network (docs/validation.md, "Egress
    policy"), aimed at one lab server."""

    def point(server: LabServer, total_seconds: float = 5) -> None:
        settings.EAC_SMTP_PORT = server.port
        settings.EAC_DNS_NAMESERVERS = (("127.0.0.1", dns_lab.port),)
        settings.EAC_TRUSTED_CA_FILE = Path(lab_ca.pem_path)
        settings.EAC_PROBE_ALLOWED_NETWORKS = (
            ipaddress.ip_network("127.0.0.0/8"),
            ipaddress.ip_network("::1/128"),
        )
        settings.EAC_PROBE_TIMEOUT_SECONDS = total_seconds

    return point


@pytest.fixture
def connector(contoso: Tenant) -> OutboundConnector:
    return make_outbound(
        contoso,
        "To the lab",
        smart_hosts=[SMART_HOST],
        recipient_domains=["lab.test"],
        tls_settings="DomainValidation",
        tls_domain=SMART_HOST,
    )


def _start(connector: OutboundConnector, *recipients: str) -> ValidationRun:
    return services.validation_start(
        tenant=connector.tenant, actor=None, connector=connector, recipients=list(recipients)
    )


def test_a_good_server_validates_and_the_connector_records_it(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    point_probe_at: Callable[..., None],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    point_probe_at(lab)
    run = _start(connector, "john@lab.test", "bob@lab.test")

    run_validation(str(run.pk))

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert [(t.name, t.status) for t in run.tasks.all()] == [
        ("Resolve", "Succeeded"),
        ("Connect", "Succeeded"),
        ("SMTP EHLO", "Succeeded"),
        ("TLS", "Succeeded"),
        ("Send test email", "Succeeded"),
        ("Send test email", "Succeeded"),
    ]
    tls = run.tasks.get(name="TLS")
    assert tls.certificate is not None
    assert tls.certificate["trusted"] is True
    assert SMART_HOST in tls.certificate["sans"]
    assert any(line.startswith("-> EHLO") for line in run.transcript)
    assert sorted(m.rcpt_tos[0] for m in lab.messages) == ["bob@lab.test", "john@lab.test"]
    assert {m.message[RUN_HEADER] for m in lab.messages} == {str(run.pk)}
    assert all(
        m.mail_from == "O365ConnectorValidation@contoso.onmicrosoft.com" for m in lab.messages
    )
    connector.refresh_from_db()
    assert connector.is_validated is True
    assert connector.validation_recipients == ["john@lab.test", "bob@lab.test"]
    assert connector.last_validation_timestamp is not None
    assert connector.version == 1  # validation doesn't invalidate an edit open elsewhere
    assert AuditEvent.objects.filter(action="outbound_connector.validation_result").count() == 1


def test_a_redelivered_run_never_sends_a_second_message(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    point_probe_at: Callable[..., None],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    point_probe_at(lab)
    run = _start(connector, "john@lab.test")
    run_validation(str(run.pk))
    connections = lab.connections

    run_validation(str(run.pk))  # the broker hands the same message over again

    assert len(lab.messages) == 1
    assert lab.connections == connections
    assert run.tasks.count() == 5


def test_a_certificate_for_another_name_fails_with_4_7_320_and_is_recorded(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    point_probe_at: Callable[..., None],
) -> None:
    lab = smtp_lab(Behaviour.WRONG_NAME)
    point_probe_at(lab)
    run = _start(connector, "john@lab.test")

    run_validation(str(run.pk))

    run.refresh_from_db()
    tls = run.tasks.get(name="TLS")
    assert run.status == RunStatus.FAILED
    assert (tls.status, tls.error) == ("Failed", "450 4.7.320 Certificate validation failed")
    assert tls.cause
    assert tls.fix
    assert lab.messages == []
    connector.refresh_from_db()
    assert connector.is_validated is False
    assert connector.last_validation_timestamp is not None


def test_stop_ends_the_run_between_stages(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    point_probe_at: Callable[..., None],
) -> None:
    lab = smtp_lab(Behaviour.SILENT)  # connects, then says nothing: the EHLO stage waits
    point_probe_at(lab, total_seconds=4)
    run = _start(connector, "john@lab.test")
    worker = threading.Thread(target=run_validation, args=(str(run.pk),))
    worker.start()
    deadline = time.monotonic() + 10
    while not run.tasks.filter(name="Connect").exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    services.validation_stop(run)
    worker.join(timeout=20)

    assert not worker.is_alive()
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert not run.tasks.filter(name="Send test email", status="Succeeded").exists()
    connector.refresh_from_db()
    assert connector.last_validation_timestamp is None  # a stopped run says nothing either way
