"""A task checked from real mail flow, end to end: the lab and its Office 365 front door started on
free ports, John's server played with smtplib (XCLIENT names the sandbox and the address it sends
from), and the scenario's tasks read from the trace the front door writes. The prediction
(connector_chosen) is right from the moment the connector is on; the real flow fails until the
connector sends where TLS is offered."""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.models import OutboundConnector
from connectors.services import connector_set_enabled, connector_update
from eac.models import Tenant
from lab.models import LabMessage, TracedMessage, TraceStatus
from lab.office import tenant_token
from lab.runtime import start_lab
from lab.server import Lab
from tests.training.conftest import MakeClass
from training.models import Seat
from training.scenarios import get_scenario
from training.selectors import seat_progress

pytestmark = pytest.mark.django_db(transaction=True)

JOHNS_SERVER = "203.0.113.10"  # the address the scenario's inbound connector recognizes


@pytest.fixture(scope="module")
def lab_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-var")


@pytest.fixture
def seat(make_class: MakeClass) -> Seat:
    training_class, _ = make_class("partner-tls-real-flow", trainees=2)
    return training_class.seats.select_related("tenant", "training_class").order_by("number")[0]


@pytest.fixture
def lab(lab_var_dir: Path, seat: Seat) -> Iterator[Lab]:
    """Started after the class exists; it reads the sandboxes' lab domains every 0.2 s."""
    running = start_lab(
        var_dir=lab_var_dir, dns_port=0, smtp_port=0, refresh_seconds=0.2, front_door_port=0
    )
    yield running
    running.stop()


def send_as_johns_server(lab: Lab, tenant: Tenant, subject: str) -> None:
    """John's message to Li, as Contoso's server hands it to Office 365: from 203.0.113.10, over
    TLS, with the sandbox named as the console's own senders name it."""
    assert lab.front_door_port is not None
    assert lab.files is not None
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "john@contoso.com",
        "li@litwareinc.com",
        subject,
    )
    message.set_content("Real mail flow for a training task.\n")
    context = ssl.create_default_context(cafile=str(lab.files.ca))
    context.check_hostname = False  # connected to 127.0.0.1; the certificate names Office 365
    with smtplib.SMTP("127.0.0.1", lab.front_door_port, local_hostname="mail.contoso.com") as c:
        c.ehlo()
        code, reply = c.docmd("XCLIENT", f"XTENANT={tenant_token(tenant)} ADDR={JOHNS_SERVER}")
        assert code == 220, reply
        c.ehlo()
        c.starttls(context=context)
        c.ehlo()
        c.send_message(message)


def finished(subject: str) -> TracedMessage:
    deadline = time.monotonic() + 30
    while True:
        found = TracedMessage.objects.filter(subject=subject).exclude(status=TraceStatus.PENDING)
        if found.exists():
            return found.get()
        assert time.monotonic() < deadline, "the front door never finished the message"
        time.sleep(0.05)


def done(seat: Seat) -> dict[str, str]:
    scenario = get_scenario("partner-tls-real-flow")
    assert scenario is not None
    return {s.task.id: s.outcome.detail for s in seat_progress(seat, scenario).tasks if s.done}


def test_the_real_flow_task_flips_once_the_connector_sends_where_tls_is_offered(
    lab: Lab, seat: Seat
) -> None:
    connector = OutboundConnector.objects.get(tenant=seat.tenant, name="To Litware")
    connector_set_enabled(connector=connector, actor=None, enabled=True)
    assert set(done(seat)) == {"predicted"}  # the prediction is right…

    send_as_johns_server(lab, seat.tenant, "First try")

    failed = finished("First try")  # …and the mail still stops
    assert failed.tenant == seat.tenant
    assert failed.status == TraceStatus.FAILED
    assert failed.failure_code == "450 4.4.317"
    assert "STARTTLS is required" in failed.events.get(kind="Fail").detail
    assert set(done(seat)) == {"predicted", "really-sent"}

    connector.refresh_from_db()
    connector_update(
        connector=connector,
        actor=None,
        fields={"use_mx_record": True, "smart_hosts": []},
        expected_version=connector.version,
    )
    send_as_johns_server(lab, seat.tenant, "Second try")

    delivered = finished("Second try")
    assert delivered.status == TraceStatus.DELIVERED, [e.detail for e in delivered.events.all()]
    sent = delivered.events.get(kind="Send")
    assert (sent.host, sent.connector) == ("mail.litwareinc.com", "To Litware")
    assert sent.tls.startswith("TLSv1.")
    assert set(done(seat)) == {"predicted", "really-sent", "really-delivered"}
    assert done(seat)["really-delivered"].startswith(
        "Delivered through From Contoso's email server, To Litware"
    )
    # Litware's server (the lab) kept the copy for this sandbox, and nobody else saw it.
    neighbour = seat.training_class.seats.exclude(pk=seat.pk).select_related("tenant").get()
    assert not TracedMessage.objects.filter(tenant=neighbour.tenant).exists()
    assert not LabMessage.objects.filter(tenant=neighbour.tenant).exists()
