"""Centralized mail transport and associated accepted domains through the database: the kept
facts see a change at once (facts.PerConfiguration), and `manage.py route` names the rule."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from connectors import services as connector_services
from connectors.mailflow.facts import TenantMailFlow
from connectors.mailflow.routing import AcceptedDomainFact, connector_carries
from connectors.models import InboundConnector, OutboundConnector
from eac.models import Mailbox, MailboxLocation, Tenant
from tests.conftest import make_inbound
from validation import services as validation_services

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


def test_a_centralized_connector_can_be_validated_with_an_internet_recipient(
    contoso: Tenant,
) -> None:
    """Centralized mail transport sends internet mail through the connector, so a test message
    to sun@gmail.com travels it; without it, the connector doesn't route gmail.com."""
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    assert "*" not in connector.recipient_domains

    def parsed(address: str) -> list[str]:
        connector.refresh_from_db()
        return validation_services.parse_recipients(
            tenant=contoso, target=validation_services.target_of(connector), recipients=[address]
        )

    with pytest.raises(ValidationError, match=r"doesn't route mail to gmail\.com"):
        parsed("sun@gmail.com")
    update(connector, route_all_messages_via_on_premises=True)
    assert parsed("sun@gmail.com") == ["sun@gmail.com"]
    assert parsed("john@contoso.com") == ["john@contoso.com"]  # still its accepted domains


def test_centralized_transport_carries_only_recipients_outside_the_organization() -> None:
    accepted = [AcceptedDomainFact("contoso.com", match_subdomains=False)]

    def carries(domain: str) -> bool:
        return connector_carries(
            domain,
            recipient_domains=[],
            all_accepted_domains=False,
            is_transport_rule_scoped=False,
            accepted=iter(accepted),  # read twice: an iterator must do
            route_all_messages_via_on_premises=True,
        )

    assert carries("gmail.com")
    assert not carries("contoso.com")
