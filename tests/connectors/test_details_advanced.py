"""The details flyout's Advanced section (issue 15): every property the sections above it don't
describe, by its cmdlet name and as Get-…Connector prints it, with the notes of
connectors/effects.py beside the values they concern; and the line both EACs show for a
connector the Hybrid Configuration Wizard made."""

from __future__ import annotations

import html as html_lib
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import InboundConnector, OutboundConnector
from connectors.summaries import connector_sections, described_fields
from eac.models import Tenant
from tests.conftest import make_inbound, make_outbound

pytestmark = pytest.mark.django_db

LINK = uuid.UUID("6f1e4f2b-93c7-4a0e-9d55-0c1f7a4b2e10")
NO_GUID = "00000000-0000-0000-0000-000000000000"
HYBRID_LINE = "Created by the Hybrid Configuration Wizard"
NOT_SIMULATED = "Not simulated: kept and exported; the mail flow explorer doesn't model it."
MICROSOFTS_OWN = (
    "No effect: reserved for Microsoft's internal use; kept as it is, and nothing here uses it."
)


def _text(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def _flyout(client: Client, connector: OutboundConnector | InboundConnector) -> str:
    url = reverse("connectors:details", args=[connector.direction, connector.pk])
    response = client.get(url, headers={"HX-Request": "true"})  # the flyout alone, as htmx asks
    assert response.status_code == 200
    return response.content.decode()


def _advanced(html: str) -> str:
    match = re.search(r'<section class="detail-section" id="advanced">.*?</section>', html, re.S)
    assert match, "the flyout has no Advanced section"
    return match.group(0)


def _settings(html: str) -> dict[str, tuple[list[str], list[str]]]:
    """Each listed property: its value's lines, and its notes."""
    rows = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", _advanced(html), re.S)
    return {
        _text(name): (
            [_text(v) for v in re.findall(r'<span class="setting-value">(.*?)</span>', dd, re.S)],
            [_text(n) for n in re.findall(r'<span class="setting-note">(.*?)</span>', dd, re.S)],
        )
        for name, dd in rows
    }


def _summary(html: str) -> str:
    match = re.search(r"<summary>(.*?)</summary>", _advanced(html), re.S)
    assert match
    return _text(match.group(1))


@pytest.fixture
def hybrid_outbound(contoso: Tenant) -> OutboundConnector:
    """As an import of a real tenant's Get-OutboundConnector brings it."""
    return make_outbound(
        contoso,
        "Outbound to 1b2c3d4e-0000-4000-8000-000000000001",
        connector_source="HybridWizard",
        cloud_services_mail_enabled=True,
        recipient_domains=["contoso.mail.onmicrosoft.com"],
        tls_domain="mail.contoso.com",  # kept, with CertificateValidation: no effect
        route_all_messages_via_on_premises=True,
        sender_rewriting_enabled=True,
        test_mode=True,
        mta_sts_mode="None",
        link_for_modified_connector=LINK,
    )


def test_an_imported_outbound_connector_lists_what_the_sections_leave_out(
    admin_client_: Client, hybrid_outbound: OutboundConnector
) -> None:
    settings = _settings(_flyout(admin_client_, hybrid_outbound))
    assert settings == {
        "ConnectorSource": (["HybridWizard"], []),
        "TlsDomain": (
            ["mail.contoso.com"],
            [
                "No effect: used only when TlsSettings is DomainValidation; "
                "this connector's is CertificateValidation."
            ],
        ),
        "RouteAllMessagesViaOnPremises": (["True"], []),
        "SenderRewritingEnabled": (["True"], [NOT_SIMULATED]),
        "TestMode": (["True"], [NOT_SIMULATED]),
        "MtaStsMode": (["None"], [NOT_SIMULATED]),
        "SmtpDaneMode": (["Opportunistic"], []),
        "LinkForModifiedConnector": ([str(LINK)], [MICROSOFTS_OWN]),
        "ValidationRecipients": ([], []),
    }


def test_the_section_is_collapsed_and_says_how_many_settings_differ(
    admin_client_: Client, hybrid_outbound: OutboundConnector
) -> None:
    html = _flyout(admin_client_, hybrid_outbound)
    assert '<details class="advanced-settings">' in _advanced(html)  # no `open`
    assert _summary(html) == "Advanced 6 not at their defaults"
    assert "as Get-OutboundConnector prints them" in _text(_advanced(html))
    # A setting that differs stands out from one at its default.
    assert re.search(r'<div class="setting setting-changed">\s*<dt>TestMode</dt>', html)
    assert re.search(r'<div class="setting">\s*<dt>SmtpDaneMode</dt>', html)


def test_a_hybrid_connector_says_the_wizard_made_it_near_the_top(
    admin_client_: Client, hybrid_outbound: OutboundConnector
) -> None:
    html = _flyout(admin_client_, hybrid_outbound)
    line = html.index(HYBRID_LINE)
    assert html.index('id="flyout-title"') < line < html.index("<h3>Mail flow scenario</h3>")


def test_a_migrated_connector_says_where_it_came_from(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = make_outbound(
        contoso, "From FOPE", recipient_domains=["contoso.com"], connector_source="Migrated"
    )
    html = _flyout(admin_client_, connector)
    assert "Migrated from Forefront Online Protection for Exchange" in html
    assert HYBRID_LINE not in html


def test_an_inbound_connector_shows_lists_one_entry_a_line_and_empty_ones_empty(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = make_inbound(
        contoso,
        "Inbound from 1b2c3d4e-0000-4000-8000-000000000001",
        connector_type="OnPremises",
        connector_source="HybridWizard",
        sender_domains=["*"],
        tls_sender_certificate_name="mail.contoso.com",
        sender_ip_addresses=["203.0.113.10"],  # kept beside the certificate the identity uses
        require_tls=True,
        restrict_domains_to_certificate=True,  # partner-only: no effect here
        cloud_services_mail_enabled=True,
        associated_accepted_domains=["contoso.com", "sales.contoso.com"],
        ef_skip_last_ip=True,
        ef_skip_ips=["198.51.100.7"],  # unused while EFSkipLastIP is on
        ef_test_mode=True,
    )
    settings = _settings(_flyout(admin_client_, connector))
    assert settings["AssociatedAcceptedDomains"] == (["contoso.com", "sales.contoso.com"], [])
    assert settings["SenderDomains"] == (["smtp:*;1"], [])  # as Get-InboundConnector prints it
    assert settings["SenderIPAddresses"] == (["203.0.113.10"], [])
    assert settings["RequireTls"] == (["True"], [])
    assert settings["RestrictDomainsToCertificate"] == (
        ["True"],
        ["No effect: takes effect only on partner connectors; this one is OnPremises."],
    )
    assert settings["EFSkipLastIP"] == (["True"], [NOT_SIMULATED])
    assert settings["EFSkipIPs"] == (
        ["198.51.100.7"],
        ["No effect: used only when EFSkipLastIP is $false."],
    )
    assert settings["EFTestMode"] == (["True"], [MICROSOFTS_OWN])
    assert settings["EFUsers"] == ([], [])
    assert settings["TreatMessagesAsInternal"] == (["False"], [])
    # The identity section describes these already.
    assert {"TlsSenderCertificateName", "CloudServicesMailEnabled", "Enabled"}.isdisjoint(settings)


def test_a_value_the_wording_leaves_out_for_this_connector_is_listed(
    admin_client_: Client, contoso: Tenant
) -> None:
    """The transport rule wording says nothing of the domains such a connector also keeps, and
    a partner connector's pages have no "Retain internal Exchange email headers"."""
    outbound = make_outbound(
        contoso,
        "Rule scoped",
        is_transport_rule_scoped=True,
        recipient_domains=["fabrikam.com"],
        connector_type="Partner",
        use_mx_record=True,
        smart_hosts=[],
        cloud_services_mail_enabled=True,
    )
    settings = _settings(_flyout(admin_client_, outbound))
    assert settings["RecipientDomains"] == (["fabrikam.com"], [])
    assert settings["AllAcceptedDomains"] == (["False"], [])
    assert settings["SmartHosts"] == ([], [])
    assert settings["CloudServicesMailEnabled"] == (["True"], [])
    assert "IsTransportRuleScoped" not in settings


def test_a_wizard_made_connector_keeps_the_section_closed_and_plain(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    html = _flyout(admin_client_, connector)
    assert _summary(html) == "Advanced"  # nothing differs, so nothing to count
    assert "setting-note" not in _advanced(html)
    assert "setting-changed" not in _advanced(html)
    assert HYBRID_LINE not in html
    settings = _settings(html)
    assert settings["ConnectorSource"] == (["AdminUI"], [])
    assert settings["RouteAllMessagesViaOnPremises"] == (["False"], [])
    assert settings["LinkForModifiedConnector"] == ([NO_GUID], [])  # as Get- prints none
    # What the sections say isn't said again.
    for described in ("Name", "Enabled", "AllAcceptedDomains", "SmartHosts", "TlsSettings"):
        assert described not in settings
    assert "IsValidated" not in settings  # the Validation section shows it


def test_the_whole_page_has_the_section_too(admin_client_: Client, contoso: Tenant) -> None:
    """A plain link (no htmx) draws the list with the flyout beside it."""
    connector = InboundConnector.objects.get(tenant=contoso)
    url = reverse("connectors:details", args=["inbound", connector.pk])
    html = admin_client_.get(url).content.decode()
    assert "<h1>Connectors</h1>" in html
    assert "as Get-InboundConnector prints them" in _text(_advanced(html))


def test_a_view_only_admin_reads_the_section(viewer_client: Client, contoso: Tenant) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso)
    assert "ConnectorSource" in _settings(_flyout(viewer_client, connector))


def test_the_classic_pane_says_the_wizard_made_it_and_adds_nothing_else(
    admin_client_: Client, hybrid_outbound: OutboundConnector
) -> None:
    url = reverse("classic:connector", args=["outbound", hybrid_outbound.pk])
    html = admin_client_.get(url).content.decode()
    pane = re.search(r'<section class="classic-pane".*?</section>', html, re.S)
    assert pane
    assert _text(pane.group(0)).startswith(f"{hybrid_outbound.name} {HYBRID_LINE} Mail flow")
    assert "Advanced" not in pane.group(0)


def test_what_the_sections_claim_to_describe_is_in_their_words(contoso: Tenant) -> None:
    """The other direction of the rule: a property kept out of Advanced because a section
    describes it must really be there, every domain, host and address of it."""
    make_outbound(
        contoso,
        "Partner by MX",
        connector_type="Partner",
        use_mx_record=True,
        smart_hosts=[],
        recipient_domains=["fabrikam.com", "*.fabrikam.com"],
        tls_settings="DomainValidation",
        tls_domain="mail.fabrikam.com",
    )
    make_outbound(contoso, "By rule", is_transport_rule_scoped=True, smart_hosts=["10.0.0.5"])
    make_inbound(
        contoso,
        "Our servers",
        connector_type="OnPremises",
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.0/24"],
    )
    make_inbound(
        contoso,
        "Partner by IP",
        sender_domains=["*"],
        sender_ip_addresses=["198.51.100.9"],
        restrict_domains_to_ip_addresses=True,
        require_tls=True,
        restrict_domains_to_certificate=True,
        tls_sender_certificate_name="*.partner.example",
    )
    free_text = {"name", "comment", "tls_domain", "tls_sender_certificate_name"}
    connectors: list[OutboundConnector | InboundConnector] = [
        *OutboundConnector.objects.all(),
        *InboundConnector.objects.all(),
    ]
    assert len(connectors) == 6
    for connector in connectors:
        words = " ".join(line for s in connector_sections(connector) for line in s.lines)
        for field in described_fields(connector):
            value = getattr(connector, field)
            if isinstance(value, list) or field in free_text:  # choices are put in words
                for entry in value if isinstance(value, list) else [value]:
                    assert entry in words, (connector.name, field, entry)
