"""The explorer and the Configuration check keep what they work out from a tenant until its
configuration changes: every kind of change must show at once, through the pages an admin uses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client

from connectors import services as connector_services
from connectors.mailflow.facts import TenantMailFlow
from connectors.mailflow.findings import configuration_findings
from connectors.models import OutboundConnector
from eac import services
from eac.models import (
    AcceptedDomain,
    DomainType,
    Mailbox,
    MailboxLocation,
    SelectionOrder,
    Tenant,
)
from tests.conftest import make_outbound

pytestmark = pytest.mark.django_db


def route(tenant: Tenant, recipient: str) -> str:
    """The connector the explorer's engine picks, as the page would ask it now."""
    connector = TenantMailFlow.current(tenant).router().decide(recipient).connector
    return connector.name if connector is not None else "none"


def explorer_page(client: Client, recipient: str) -> str:
    response = client.get(
        "/mail-flow/explorer/", {"sender": "sun@gmail.com", "recipient": recipient}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_connector_shows_in_the_explorer_page_at_once(
    admin_client_: Client, contoso: Tenant
) -> None:
    services.accepted_domain_add(
        tenant=contoso, actor=None, name="lab.example", domain_type=DomainType.INTERNAL_RELAY
    )
    assert "To lab servers" not in explorer_page(admin_client_, "ann@lab.example")
    make_outbound(contoso, "To lab servers", recipient_domains=["lab.example"])
    assert "To lab servers" in explorer_page(admin_client_, "ann@lab.example")


def _edit(tenant: Tenant) -> None:
    connector = OutboundConnector.objects.get(tenant=tenant, name="To partner")
    connector_services.connector_update(
        connector=connector,
        actor=None,
        fields={"recipient_domains": ["elsewhere.example"]},
        expected_version=connector.version,
    )


def _turn_off(tenant: Tenant) -> None:
    connector = OutboundConnector.objects.get(tenant=tenant, name="To partner")
    connector_services.connector_set_enabled(connector=connector, actor=None, enabled=False)


def _delete(tenant: Tenant) -> None:
    connector = OutboundConnector.objects.get(tenant=tenant, name="To partner")
    connector_services.connector_delete(connector=connector, actor=None)


@pytest.mark.parametrize("change", [_edit, _turn_off, _delete])
def test_editing_turning_off_or_deleting_a_connector_changes_the_route_at_once(
    contoso: Tenant, change: Callable[[Tenant], None]
) -> None:
    make_outbound(
        contoso, "To partner", connector_type="Partner", recipient_domains=["partner.example"]
    )
    assert route(contoso, "bob@partner.example") == "To partner"
    change(contoso)
    assert route(contoso, "bob@partner.example") == "none"


def test_a_domain_made_internal_relay_shows_in_the_configuration_check_at_once(
    contoso: Tenant,
) -> None:
    OutboundConnector.objects.filter(tenant=contoso).delete()
    assert not any("relay.example" in f.text for f in configuration_findings(contoso))
    domain = services.accepted_domain_add(tenant=contoso, actor=None, name="relay.example")
    services.accepted_domain_update(
        domain=domain, actor=None, domain_type=DomainType.INTERNAL_RELAY, match_subdomains=False
    )
    assert any(
        "relay.example is an Internal relay domain" in f.text
        for f in configuration_findings(contoso)
    )
    services.accepted_domain_remove(
        domain=AcceptedDomain.objects.get(tenant=contoso, name="relay.example"), actor=None
    )
    assert not any("relay.example" in f.text for f in configuration_findings(contoso))


def test_a_mailbox_moved_to_your_server_shows_in_the_configuration_check_at_once(
    contoso: Tenant,
) -> None:
    OutboundConnector.objects.filter(tenant=contoso).delete()
    mailbox = Mailbox.objects.create(
        tenant=contoso,
        display_name="Ann",
        address="ann@contoso.com",
        location=MailboxLocation.OFFICE_365,
    )
    assert not any("Ann's mailbox" in f.text for f in configuration_findings(contoso))
    mailbox.location = MailboxLocation.YOUR_ORG
    mailbox.save()
    assert any("Ann's mailbox" in f.text for f in configuration_findings(contoso))


def test_the_selection_order_setting_changes_the_route_at_once(contoso: Tenant) -> None:
    make_outbound(contoso, "Wildcard", recipient_domains=["*.contoso.com"])
    assert route(contoso, "ann@sales.contoso.com") == "Wildcard"  # most specific first
    contoso.connector_selection_order = SelectionOrder.DOCUMENTED
    contoso.save(update_fields=["connector_selection_order"])
    assert route(contoso, "ann@sales.contoso.com") == "To Contoso servers"


def test_saving_a_tenant_read_before_a_change_does_not_bring_the_old_route_back(
    contoso: Tenant,
) -> None:
    stale_copy = Tenant.objects.get(pk=contoso.pk)
    assert route(contoso, "bob@partner.example") == "none"
    make_outbound(
        contoso, "To partner", connector_type="Partner", recipient_domains=["partner.example"]
    )
    stale_copy.name = "Contoso Ltd"
    stale_copy.save()
    assert route(contoso, "bob@partner.example") == "To partner"


class RolledBack(Exception):
    pass


def _add_and_look_then_roll_back(tenant: Tenant) -> None:
    with transaction.atomic():
        make_outbound(
            tenant, "Rolled back", connector_type="Partner", recipient_domains=["partner.example"]
        )
        assert route(tenant, "bob@partner.example") == "Rolled back"  # worked out, and kept
        raise RolledBack


def test_a_change_rolled_back_leaves_nothing_behind_for_the_next_change(contoso: Tenant) -> None:
    with pytest.raises(RolledBack):
        _add_and_look_then_roll_back(contoso)
    assert route(contoso, "bob@partner.example") == "none"
    make_outbound(contoso, "Kept", connector_type="Partner", recipient_domains=["partner.example"])
    assert route(contoso, "bob@partner.example") == "Kept"
