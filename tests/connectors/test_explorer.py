"""The mail flow explorer for the seed's people: John (your server), Bob (Office 365), Sun (the
internet) — with and without the connectors each path needs."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

JOHN, BOB, SUN = "john@contoso.com", "bob@contoso.com", "sun@wingtiptoys.com"


@pytest.fixture
def demo_admin(monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "explorer-demo-password")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    return client_for(User.objects.get(email="admin@contoso.com"))


def explore(client: Client, sender: str, recipient: str) -> str:
    response = client.get(reverse("explorer"), {"sender": sender, "recipient": recipient})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("sender", "recipient", "expected"),
    [
        (
            JOHN,
            BOB,
            [
                "From Contoso's email server",
                "Delivered to the mailbox in Office 365",
                "This message flows through From Contoso's email server.",
            ],
        ),
        (
            BOB,
            JOHN,
            [
                "Connector 2",
                "exact match on contoso.com",
                "This message flows through Connector 2.",
            ],
        ),
        (JOHN, SUN, ["From Contoso's email server", "no connector: delivered by MX"]),
        (SUN, JOHN, ["reaches Office 365 through your MX record", "Connector 2"]),
        (BOB, SUN, ["No connector is needed for this message.", "no connector: delivered by MX"]),
    ],
)
def test_the_seed_paths_with_the_demo_connectors(
    demo_admin: Client, sender: str, recipient: str, expected: list[str]
) -> None:
    page = explore(demo_admin, sender, recipient)
    for text in expected:
        assert text in page, text
    assert "will not flow" not in page
    assert "<svg" in page


def test_turning_connector_2_off_hands_john_to_connector_3(demo_admin: Client) -> None:
    OutboundConnector.objects.filter(name="Connector 2").update(enabled=False)
    page = explore(demo_admin, BOB, JOHN)
    assert "Connector 3" in page and "wildcard *.contoso.com" in page


def test_without_an_outbound_connector_mail_to_john_will_not_flow(demo_admin: Client) -> None:
    OutboundConnector.objects.all().update(enabled=False)
    page = explore(demo_admin, BOB, JOHN)
    assert "This message will not flow as configured." in page
    assert "Without connectors, email will not flow" in page


def test_without_an_inbound_connector_johns_mail_to_bob_will_not_flow(demo_admin: Client) -> None:
    InboundConnector.objects.filter(name="From Contoso's email server").delete()
    page = explore(demo_admin, JOHN, BOB)
    assert "This message will not flow as configured." in page
    assert "Your organization's email server → Office 365" in page


def test_the_documented_order_sends_sales_to_connector_1(demo_admin: Client) -> None:
    # Internal relay: a recipient not in Office 365 is on Contoso's own server, so a connector is chosen.
    AcceptedDomain.objects.filter(name="sales.contoso.com").update(domain_type="InternalRelay")
    assert "Connector 3" in explore(demo_admin, BOB, "someone@sales.contoso.com")
    Tenant.objects.filter(name="Contoso").update(connector_selection_order="documented")
    page = explore(demo_admin, BOB, "someone@sales.contoso.com")
    assert "Connector 1" in page


def test_a_bad_address_is_refused_next_to_the_field(demo_admin: Client) -> None:
    response = demo_admin.get(reverse("explorer"), {"sender": "not an address", "recipient": BOB})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()


def test_another_tenant_sees_its_own_world(stranger_client: Client, demo_admin: Any) -> None:
    page = explore(stranger_client, BOB, JOHN)
    assert "Connector 2" not in page
