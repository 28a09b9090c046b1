"""Centralized mail transport and associated accepted domains through the database: the kept
facts see a change at once (facts.PerConfiguration), and `manage.py route` names the rule."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from connectors import services as connector_services
from connectors.mailflow.facts import TenantMailFlow
from connectors.models import InboundConnector, OutboundConnector
from eac.models import Mailbox, MailboxLocation, Tenant
from tests.conftest import make_inbound

pytestmark = pytest.mark.django_db


def route(tenant: Tenant, recipient: str) -> str:
    """The connector the explorer's engine picks, as the page would ask it now."""
    decision = TenantMailFlow.current(tenant).router().decide(recipient)
    return f"{decision.connector.name if decision.connector else 'none'} ({decision.rule})"


def update(connector: OutboundConnector | InboundConnector, **fields: object) -> None:
    connector_services.connector_update(
        connector=connector, actor=None, fields=fields, expected_version=connector.version
    )


def test_turning_centralized_transport_on_and_off_changes_the_route_at_once(
    contoso: Tenant,
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    assert route(contoso, "sun@gmail.com") == "none (none)"

    update(connector, route_all_messages_via_on_premises=True)
    assert route(contoso, "sun@gmail.com") == "To Contoso servers (centralized)"
    assert route(contoso, "ann@contoso.com") == "To Contoso servers (all_accepted)"

    connector.refresh_from_db()
    update(connector, route_all_messages_via_on_premises=False)
    assert route(contoso, "sun@gmail.com") == "none (none)"


def test_changing_an_inbound_connectors_associated_domains_changes_the_explorer_at_once(
    contoso: Tenant,
) -> None:
    Mailbox.objects.create(
        tenant=contoso,
        display_name="John",
        address="john@contoso.com",
        location=MailboxLocation.YOUR_ORG,
    )
    inbound = make_inbound(
        contoso, "From your server", connector_type="OnPremises", sender_domains=["*"]
    )

    def flows() -> bool:
        path = TenantMailFlow.current(contoso).explore("john@contoso.com", "sun@gmail.com")
        return path.flows

    assert flows()
    update(inbound, associated_accepted_domains=["sales.contoso.com"])
    assert not flows()
    inbound.refresh_from_db()
    update(inbound, associated_accepted_domains=["contoso.com"])
    assert flows()


def test_the_route_command_names_centralized_transport(contoso: Tenant) -> None:
    OutboundConnector.objects.filter(tenant=contoso).update(route_all_messages_via_on_premises=True)
    out = StringIO()
    call_command("route", "--tenant", "contoso.onmicrosoft.com", "sun@gmail.com", stdout=out)
    assert out.getvalue().splitlines()[:2] == [
        "Connector: To Contoso servers (O365 → Your org)",
        "Why: centralized mail transport: gmail.com isn't an accepted domain, so the message "
        "goes through your email server first",
    ]
