"""Send a test message (the explorer) and Validate this connector (an inbound connector), through
the real front door: the lab and its front door started on free ports, the console's settings
pointed at them, the pages driven with Django's test client and read back from the trace."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import connector_update
from eac.models import Tenant
from lab.models import TracedMessage, TraceStatus
from lab.server import Lab
from tests.conftest import closed_port, make_inbound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lab(front_door_lab: Lab, lab_var_dir: Path, settings: Any) -> Lab:
    """The lab with its front door, and the console's settings pointed at them (the port the
    console sends to, the folder of the lab CA that issues the played servers' certificates)."""
    settings.EAC_FRONT_DOOR_PORT = front_door_lab.front_door_port
    settings.VAR_DIR = lab_var_dir
    return front_door_lab


def settled(pk: str, seconds: float = 15.0) -> TracedMessage:
    """The traced message once it is no longer Pending (bounded wait)."""
    deadline = time.monotonic() + seconds
    while True:
        message = TracedMessage.objects.get(pk=pk)
        if message.status != TraceStatus.PENDING:
            return message
        assert time.monotonic() < deadline, "still Pending"
        time.sleep(0.05)


def send_from_explorer(
    client: Client, sender: str, recipient: str, *, tls: bool = True
) -> tuple[str, str]:
    """Presses Send a test message; the explorer's address it redirects to, and the message id."""
    data = {"sender": sender, "recipient": recipient} | ({"tls": "on"} if tls else {})
    response = client.post(reverse("explorer_send"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    url = response["Location"]
    return url, parse_qs(urlparse(url).query)["sent"][0]


def callout(page: str) -> str:
    found = re.search(r'<p class="comparison (\w+)"[^>]*><strong>[^<]*</strong> ([^<]*)</p>', page)
    assert found, "no comparison on the page"
    return f"{found[1]}: {found[2]}".replace("&#x27;", "'")


# --- Send a test message --------------------------------------------------------------------------


def test_the_explorer_sends_sun_to_john_and_the_trace_agrees(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    explorer = admin_client_.get(
        reverse("explorer"), {"sender": "sun@wingtiptoys.com", "recipient": "john@contoso.com"}
    ).content.decode()
    assert "Send a test message" in explorer
    assert "a server on the internet" in explorer

    url, pk = send_from_explorer(admin_client_, "sun@wingtiptoys.com", "john@contoso.com")

    message = settled(pk)
    assert message.tenant == contoso
    assert message.status == TraceStatus.DELIVERED
    page = admin_client_.get(url).content.decode()
    assert "Test message: what happened" in page
    assert "hx-trigger" not in page.split('id="test-message"')[1].split(">")[0]  # no more polling
    assert callout(page) == (
        "matches: What happened matches the prediction: delivered through To Contoso servers."
    )
    assert page.count('class="trace-event') >= 3  # Receive, Connector, Send


def test_the_panel_polls_while_pending_and_answers_its_own_partial(
    lab: Lab, admin_client_: Client
) -> None:
    _, pk = send_from_explorer(admin_client_, "sun@wingtiptoys.com", "bob@contoso.com")
    settled(pk)
    partial = admin_client_.get(
        reverse("explorer_test_message", args=[pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert partial.startswith('\n    <section id="test-message"') or 'id="test-message"' in partial
    assert "<html" not in partial
    assert "delivered" in callout(partial)


def test_a_partner_requiring_tls_refuses_a_plain_text_test_the_explorer_predicted_would_flow(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    partner = InboundConnector.objects.get(tenant=contoso, name="From Tailspin")
    connector_update(
        connector=partner,
        actor=None,
        fields={"require_tls": True},
        expected_version=partner.version,
    )

    url, pk = send_from_explorer(
        admin_client_, "ann@tailspintoys.com", "bob@contoso.com", tls=False
    )

    message = settled(pk)
    assert message.failure_code == "550 5.7.51"
    assert callout(admin_client_.get(url).content.decode()) == (
        "differs: The explorer predicted delivery through From Tailspin, but Office 365 refused "
        "it on arrival with 550 5.7.51."
    )


def test_your_server_is_played_with_the_connectors_address_and_certificate(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    make_inbound(
        contoso,
        "From John's server",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.0/24"],
        tls_sender_certificate_name="relay.contoso.com",
    )

    url, pk = send_from_explorer(admin_client_, "john@contoso.com", "sun@wingtiptoys.com")

    message = settled(pk)
    assert message.status == TraceStatus.DELIVERED, list(message.events.values_list("detail"))
    assert str(message.from_ip) == "203.0.113.1"
    receive, inbound = message.events.all()[:2]
    assert "relay.contoso.com" in receive.detail  # the lab CA's client certificate for that name
    assert inbound.connector == "From John's server"
    assert "its TLS certificate (relay.contoso.com)" in inbound.detail
    assert callout(admin_client_.get(url).content.decode()).startswith(
        "matches: What happened matches the prediction: delivered through From John's server"
    )


def test_without_a_connector_from_your_server_the_relay_fails_as_predicted(
    lab: Lab, admin_client_: Client
) -> None:
    url, pk = send_from_explorer(admin_client_, "john@contoso.com", "sun@wingtiptoys.com")

    assert settled(pk).failure_code == "550 5.7.64"
    assert callout(admin_client_.get(url).content.decode()) == (
        "matches: As predicted, the message didn't get through: Office 365 refused it on "
        "arrival with 550 5.7.64."
    )


def test_the_explorer_sends_bob_to_sun_as_his_mailbox_and_the_trace_agrees(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    explorer = admin_client_.get(
        reverse("explorer"), {"sender": "bob@contoso.com", "recipient": "sun@wingtiptoys.com"}
    ).content.decode()
    assert "Send over TLS" in explorer  # the button, not an explanation why it can't
    assert "submits it as bob@contoso.com&#x27;s mailbox in Office 365" in explorer

    url, pk = send_from_explorer(admin_client_, "bob@contoso.com", "sun@wingtiptoys.com")

    message = settled(pk)
    assert (message.tenant, message.status) == (contoso, TraceStatus.DELIVERED)
    receive = message.events.get(kind="Receive")
    assert receive.detail.startswith("Submitted by Bob <bob@contoso.com>, a mailbox in Office 365")
    assert callout(admin_client_.get(url).content.decode()) == (
        "matches: What happened matches the prediction: delivered with no connector."
    )


def test_with_centralized_mail_transport_the_explorers_bob_to_sun_goes_through_your_server(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    connector_update(
        connector=connector,
        actor=None,
        fields={"route_all_messages_via_on_premises": True},
        expected_version=connector.version,
    )

    url, pk = send_from_explorer(admin_client_, "bob@contoso.com", "sun@wingtiptoys.com")

    assert settled(pk).status == TraceStatus.DELIVERED
    assert callout(admin_client_.get(url).content.decode()) == (
        "matches: What happened matches the prediction: delivered through To Contoso servers."
    )


def test_an_address_in_office_365_that_isnt_a_mailbox_cant_be_sent_outside(
    admin_client_: Client,
) -> None:
    page = admin_client_.get(
        reverse("explorer"), {"sender": "alice@contoso.com", "recipient": "sun@wingtiptoys.com"}
    ).content.decode()
    assert "alice@contoso.com isn&#x27;t one of the organization&#x27;s mailboxes" in page
    assert "Send over TLS" not in page  # no button: nothing the lab could send


def test_a_view_only_admin_may_not_send(lab: Lab, viewer_client: Client) -> None:
    page = viewer_client.get(
        reverse("explorer"), {"sender": "sun@wingtiptoys.com", "recipient": "bob@contoso.com"}
    ).content.decode()
    assert "Your role can't send test messages" in page
    response = viewer_client.post(
        reverse("explorer_send"), {"sender": "sun@wingtiptoys.com", "recipient": "bob@contoso.com"}
    )
    assert response.status_code == 403
    assert not TracedMessage.objects.exists()


def test_a_front_door_that_isnt_running_is_said_so(admin_client_: Client, settings: Any) -> None:
    settings.EAC_FRONT_DOOR_PORT = closed_port()
    response = admin_client_.post(
        reverse("explorer_send"),
        {"sender": "sun@wingtiptoys.com", "recipient": "bob@contoso.com", "tls": "on"},
    )
    assert response.status_code == 503
    assert "front door isn&#x27;t answering" in response.content.decode()


def test_another_organizations_test_message_is_not_found(
    lab: Lab, admin_client_: Client, stranger_client: Client
) -> None:
    _, pk = send_from_explorer(admin_client_, "sun@wingtiptoys.com", "bob@contoso.com")
    settled(pk)
    assert stranger_client.get(reverse("explorer_test_message", args=[pk])).status_code == 404
    page = stranger_client.get(
        reverse("explorer"),
        {"sender": "sun@wingtiptoys.com", "recipient": "bob@contoso.com", "sent": pk},
    ).content.decode()
    assert "Test message: what happened" not in page


# --- Validate an inbound connector ----------------------------------------------------------------


def validate(client: Client, connector: InboundConnector) -> str:
    """Presses Validate; the result page."""
    response = client.post(reverse("lab:validate_inbound_send", args=[connector.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


def test_the_details_flyout_offers_validation_of_an_inbound_connector(
    admin_client_: Client, contoso: Tenant
) -> None:
    partner = InboundConnector.objects.get(tenant=contoso, name="From Tailspin")
    flyout = admin_client_.get(
        reverse("connectors:details", args=["inbound", partner.pk])
    ).content.decode()
    assert reverse("lab:validate_inbound", args=[partner.pk]) in flyout


def test_an_on_premises_connector_identified_by_ip_validates(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    connector = make_inbound(
        contoso,
        "From John's server",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["198.51.100.7"],
    )
    before = admin_client_.get(reverse("lab:validate_inbound", args=[connector.pk])).content
    assert b"from 198.51.100.7" in before
    assert b"bob@contoso.com" in before  # the cloud mailbox
    assert b"test@contoso.com" in before  # the default accepted domain, for a * connector

    page = validate(admin_client_, connector)

    assert "Succeeded." in page
    assert "attributed it to From John&#x27;s server." in page
    assert "its IP address (198.51.100.7)" in page


def test_a_partner_connector_validates_from_its_domain(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    partner = InboundConnector.objects.get(tenant=contoso, name="From Tailspin")
    page = validate(admin_client_, partner)
    assert "Succeeded." in page
    assert TracedMessage.objects.get().sender == "test@tailspintoys.com"


def test_a_connector_another_one_shadows_fails_and_says_which(
    lab: Lab, admin_client_: Client, contoso: Tenant
) -> None:
    # A leftover connector for the whole range sorts first and takes the server's mail.
    make_inbound(
        contoso,
        "A leftover on-premises connector",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.0/24"],
    )
    mine = make_inbound(
        contoso,
        "From John's server",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.10"],
    )

    page = validate(admin_client_, mine)

    assert "Failed." in page
    assert "attributed it to A leftover on-premises connector, not to From John" in page
    assert "Give each connector its own IP addresses" in page


def test_validating_needs_the_right_to_manage_connectors(
    lab: Lab, viewer_client: Client, contoso: Tenant
) -> None:
    partner = InboundConnector.objects.get(tenant=contoso, name="From Tailspin")
    page = viewer_client.get(reverse("lab:validate_inbound", args=[partner.pk])).content
    assert b"Your role can't validate connectors" in page
    assert (
        viewer_client.post(reverse("lab:validate_inbound_send", args=[partner.pk])).status_code
        == 403
    )
    assert not TracedMessage.objects.exists()
