"""The Configuration check: what the tenant needs but lacks, and risky settings."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from connectors.mailflow.findings import configuration_findings
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant
from tests.conftest import make_inbound, make_outbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Tenant:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "checks-demo-password")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Tenant.objects.get(name="Contoso")


def texts(tenant: Tenant) -> list[str]:
    return [f"{f.level}: {f.text}" for f in configuration_findings(tenant)]


def test_the_demo_tenant_needs_nothing_more(demo: Tenant) -> None:
    assert texts(demo) == []


def test_johns_mailbox_without_an_outbound_connector_is_an_error(demo: Tenant) -> None:
    OutboundConnector.objects.filter(tenant=demo).update(enabled=False)
    found = texts(demo)
    assert any(
        t.startswith("error: John's mailbox (john@contoso.com) is on your email server")
        for t in found
    )


def test_an_internal_relay_domain_without_a_connector_is_an_error(demo: Tenant) -> None:
    OutboundConnector.objects.filter(tenant=demo).update(enabled=False)
    AcceptedDomain.objects.filter(tenant=demo, name="fabrikam.com").update(
        domain_type="InternalRelay"
    )
    assert any("fabrikam.com is an Internal relay domain" in t for t in texts(demo))


def test_on_premises_mailboxes_without_an_inbound_connector_is_an_error(demo: Tenant) -> None:
    InboundConnector.objects.filter(tenant=demo).delete()
    assert any(
        "no enabled connector from your organization's email server to Office 365" in t
        for t in texts(demo)
    )


def test_a_star_recipient_domain_is_flagged(demo: Tenant) -> None:
    make_outbound(demo, "Everything", recipient_domains=["*"])
    assert any(
        t.startswith("warning: Everything uses * as a recipient domain") for t in texts(demo)
    )


def test_overlapping_partner_connectors_are_flagged(demo: Tenant) -> None:
    make_inbound(demo, "Bank A", sender_domains=["contosobank.com"])
    make_inbound(demo, "Bank B", sender_domains=["contosobank.com"])
    assert any(
        "Bank A and Bank B both identify senders from contosobank.com" in t for t in texts(demo)
    )


def test_a_connector_that_always_loses_is_flagged(demo: Tenant) -> None:
    make_outbound(
        demo, "Zed for contoso.com", recipient_domains=["contoso.com"]
    )  # ties go to the name sorting first
    assert any(
        t
        == "warning: Zed for contoso.com is never chosen: for every domain it covers, Connector 2 wins."
        for t in texts(demo)
    )


def test_the_connectors_page_shows_the_findings(demo: Tenant) -> None:
    from django.urls import reverse

    from eac.models import User
    from tests.conftest import client_for

    client = client_for(User.objects.get(email="admin@contoso.com"))
    assert "Configuration check" not in client.get(reverse("connectors:list")).content.decode()
    make_outbound(demo, "Everything", recipient_domains=["*"])
    html = client.get(reverse("connectors:list")).content.decode()
    assert "Configuration check" in html
    assert "Everything uses * as a recipient domain" in html


def test_the_connectors_page_shows_ten_findings_and_all_of_them_on_request(
    admin_client_: Client, contoso: Tenant
) -> None:
    for number in range(12):
        make_outbound(
            contoso, f"Partner {number:02}", connector_type="Partner", recipient_domains=["*"]
        )
    total = len(configuration_findings(contoso))
    assert total > 12  # a * warning each, and "never chosen" for all but the first

    page = admin_client_.get("/mail-flow/connectors/").content.decode()
    assert page.count('<li class="finding-') == 10
    assert f"Showing 10 of {total}." in page

    everything = admin_client_.get("/mail-flow/connectors/", {"checks": "all"}).content.decode()
    assert everything.count('<li class="finding-') == total
    assert "Show all" not in everything


# --- centralized mail transport and associated accepted domains --------------------------------


def centralize(tenant: Tenant, name: str, **fields: object) -> None:
    OutboundConnector.objects.filter(tenant=tenant, name=name).update(
        route_all_messages_via_on_premises=True, **fields
    )


def test_centralized_transport_on_a_connector_turned_off_is_flagged(demo: Tenant) -> None:
    centralize(demo, "Connector 1", enabled=False)
    assert (
        "warning: Connector 1 routes all messages via on-premises (centralized mail transport), "
        "but it is turned off: mail from Office 365 to the internet won't go through your email "
        "server first. Microsoft warns that centralized mail transport without a usable connector "
        "to your email server (turned on, not scoped to transport rules) can loop or bounce mail."
    ) in texts(demo)


def test_centralized_transport_on_a_connector_scoped_to_transport_rules_is_flagged(
    demo: Tenant,
) -> None:
    centralize(demo, "Connector 1", is_transport_rule_scoped=True)
    assert any(
        t.startswith(
            "warning: Connector 1 routes all messages via on-premises (centralized mail "
            "transport), but it is scoped to transport rules: mail from Office 365 to the "
            "internet won't go through your email server first."
        )
        for t in texts(demo)
    )


def test_an_unusable_centralized_connector_names_the_one_that_does_the_work(demo: Tenant) -> None:
    centralize(demo, "Connector 1", enabled=False)
    make_outbound(demo, "Hybrid", route_all_messages_via_on_premises=True)
    assert (
        "warning: Connector 1 routes all messages via on-premises (centralized mail transport), "
        "but it is turned off: Hybrid takes internet mail to your email server instead."
    ) in texts(demo)


def test_a_working_centralized_connector_is_no_finding(demo: Tenant) -> None:
    centralize(demo, "Connector 1")
    assert texts(demo) == []


def test_with_centralized_transport_a_star_connector_is_never_chosen_not_a_route_to_the_internet(
    demo: Tenant,
) -> None:
    centralize(demo, "Connector 1")
    make_outbound(demo, "Everything", connector_type="Partner", recipient_domains=["*"])
    assert texts(demo) == [
        "warning: Everything is never chosen: for every domain it covers, Connector 1 wins "
        "(centralized mail transport: only mail that came from your email server can still take it)."
    ]


def test_a_second_centralized_connector_is_never_chosen(demo: Tenant) -> None:
    centralize(demo, "Connector 1")
    make_outbound(demo, "Zed hybrid", route_all_messages_via_on_premises=True)
    assert any(t.startswith("warning: Zed hybrid is never chosen") for t in texts(demo))


def test_an_associated_domain_that_is_not_accepted_is_flagged(demo: Tenant) -> None:
    InboundConnector.objects.filter(tenant=demo).update(
        associated_accepted_domains=["contoso.com", "northwind.example"]
    )
    assert texts(demo) == [
        "warning: From Contoso's email server is associated with northwind.example, which isn't "
        "an accepted domain: the connector takes only senders from its associated accepted "
        "domains, so remove it from the connector or add northwind.example back as an accepted "
        "domain."
    ]
