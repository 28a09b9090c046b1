"""PowerShell equivalents: quoting, each scenario's cmdlet line, MX targets, the details panel's
PowerShell section, and Export as PowerShell."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from connectors.endpoints import ConnectorType
from connectors.interchange.powershell import (
    bool_literal,
    mx_target,
    new_inbound_connector_line,
    new_outbound_connector_line,
    new_send_connector_line,
    quote,
    quote_list,
    set_validation_line,
    tenant_script,
)
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, DomainType, Tenant
from tests.conftest import make_inbound, make_outbound

pytestmark = pytest.mark.django_db


def unquote(text: str) -> str:
    """How PowerShell reads a single-quoted string: verbatim, with each doubled quote one quote."""
    assert text[0] == "'"
    assert text[-1] == "'"
    inner = text[1:-1]
    out, i = [], 0
    quotes = "'\u2018\u2019\u201a\u201b"
    while i < len(inner):
        if inner[i] in quotes:
            assert i + 1 < len(inner), "a lone quote ends the string"
            assert inner[i + 1] in quotes, "a lone quote ends the string"
            i += 2
            out.append(inner[i - 2])
            continue
        out.append(inner[i])
        i += 1
    return "".join(out)


# --- Quoting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Connector 1",
        "Bob's server",
        "'quoted'",
        'She said "hi"',
        "Cost $100 and $(Remove-Item C:\\)",
        "back`tick`n",
        "typographic ‘quotes’ and ‚low‛",
        "",
        "Ünïcödé ☃",
    ],
)
def test_quote_gives_back_the_value_in_a_verbatim_string(value: str) -> None:
    quoted = quote(value)
    assert quoted.startswith("'")
    assert quoted.endswith("'")
    assert unquote(quoted) == value


def test_quote_doubles_single_quotes_and_never_uses_double_quotes() -> None:
    assert quote("Bob's") == "'Bob''s'"
    assert quote('a "b" $c `d') == "'a \"b\" $c `d'"
    assert quote("it’s") == "'it’’s'"


def test_booleans_and_lists_use_powershell_literals() -> None:
    assert bool_literal(True) == "$true"
    assert bool_literal(False) == "$false"
    assert quote_list(["contoso.com", "*.contoso.com"]) == "'contoso.com','*.contoso.com'"


# --- Each scenario's line ----------------------------------------------------------------------


def test_a_connector_for_all_accepted_domains(contoso: Tenant) -> None:
    connector = make_outbound(
        contoso,
        "Connector 1",
        all_accepted_domains=True,
        smart_hosts=["mail.contoso.com"],
        cloud_services_mail_enabled=True,
    )
    assert new_outbound_connector_line(connector) == (
        "New-OutboundConnector -Name 'Connector 1' -ConnectorType OnPremises -Enabled $true "
        "-AllAcceptedDomains $true -UseMXRecord $false -SmartHosts 'mail.contoso.com' "
        "-TlsSettings CertificateValidation -CloudServicesMailEnabled $true"
    )


def test_a_transport_rule_scoped_connector_with_a_comment_turned_off(contoso: Tenant) -> None:
    connector = make_outbound(
        contoso,
        "Rule only",
        is_transport_rule_scoped=True,
        enabled=False,
        comment="Used by the 'Legal' rule",
        smart_hosts=["10.5.3.2", "relay.contoso.com"],
        tls_settings="EncryptionOnly",
    )
    assert new_outbound_connector_line(connector) == (
        "New-OutboundConnector -Name 'Rule only' -ConnectorType OnPremises -Enabled $false "
        "-Comment 'Used by the ''Legal'' rule' -IsTransportRuleScoped $true -UseMXRecord $false "
        "-SmartHosts '10.5.3.2','relay.contoso.com' -TlsSettings EncryptionOnly "
        "-CloudServicesMailEnabled $false"
    )


def test_a_connector_for_some_domains_without_tls(contoso: Tenant) -> None:
    connector = make_outbound(
        contoso, "Domains", recipient_domains=["contoso.com", "*.contoso.com"], tls_settings=None
    )
    line = new_outbound_connector_line(connector)
    assert "-RecipientDomains 'contoso.com','*.contoso.com' -UseMXRecord $false" in line
    assert "-TlsSettings" not in line
    assert "-AllAcceptedDomains" not in line


def test_a_partner_connector_by_mx_with_domain_validation(contoso: Tenant) -> None:
    connector = make_outbound(
        contoso,
        "To Adatum",
        connector_type=ConnectorType.PARTNER,
        recipient_domains=["adatum.com"],
        use_mx_record=True,
        smart_hosts=[],
        tls_settings="DomainValidation",
        tls_domain="*.adatum.com",
    )
    assert new_outbound_connector_line(connector) == (
        "New-OutboundConnector -Name 'To Adatum' -ConnectorType Partner -Enabled $true "
        "-RecipientDomains 'adatum.com' -UseMXRecord $true -TlsSettings DomainValidation "
        "-TlsDomain '*.adatum.com' -CloudServicesMailEnabled $false"
    )


def test_the_validation_line_appears_only_after_a_validation(contoso: Tenant) -> None:
    connector = make_outbound(contoso, "Validated", all_accepted_domains=True)
    assert set_validation_line(connector) is None
    connector.validation_recipients = ["john@contoso.com", "bob@contoso.com"]
    connector.is_validated = True
    connector.last_validation_timestamp = datetime(2026, 7, 24, 18, 59, 12, 500, tzinfo=UTC)
    assert set_validation_line(connector) == (
        "Set-OutboundConnector -Identity 'Validated' "
        "-ValidationRecipients 'john@contoso.com','bob@contoso.com' -IsValidated $true "
        "-LastValidationTimestamp '2026-07-24T18:59:12Z'"
    )


def test_an_inbound_connector_from_your_server_by_certificate(contoso: Tenant) -> None:
    connector = make_inbound(
        contoso,
        "From on-premises",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        require_tls=True,
        tls_sender_certificate_name="mail.contoso.com",
        cloud_services_mail_enabled=True,
    )
    assert new_inbound_connector_line(connector) == (
        "New-InboundConnector -Name 'From on-premises' -ConnectorType OnPremises -Enabled $true "
        "-SenderDomains '*' -RequireTls $true -RestrictDomainsToCertificate $false "
        "-RestrictDomainsToIPAddresses $false -TlsSenderCertificateName 'mail.contoso.com' "
        "-CloudServicesMailEnabled $true"
    )


def test_an_inbound_partner_connector_restricted_to_ip_addresses(contoso: Tenant) -> None:
    connector = make_inbound(
        contoso,
        "Contoso Bank",
        sender_domains=["contosobank.com"],
        sender_ip_addresses=["10.3.1.5/24"],
        restrict_domains_to_ip_addresses=True,
    )
    assert new_inbound_connector_line(connector) == (
        "New-InboundConnector -Name 'Contoso Bank' -ConnectorType Partner -Enabled $true "
        "-SenderDomains 'contosobank.com' -SenderIPAddresses '10.3.1.5/24' -RequireTls $false "
        "-RestrictDomainsToCertificate $false -RestrictDomainsToIPAddresses $true "
        "-CloudServicesMailEnabled $false"
    )


def test_a_hostile_name_stays_one_verbatim_argument(contoso: Tenant) -> None:
    name = 'Bob\'s "$(Stop-Computer)" `n'
    connector = make_inbound(contoso, name)
    line = new_inbound_connector_line(connector)
    argument = line.removeprefix("New-InboundConnector -Name ").split(" -ConnectorType ")[0]
    assert unquote(argument) == name


# --- MX targets and the on-premises Send connector ----------------------------------------------


@pytest.mark.parametrize(
    ("domain", "target"),
    [
        ("contoso.com", "contoso-com.mail.protection.outlook.com"),
        ("sales.contoso.com", "sales-contoso-com.mail.protection.outlook.com"),
        ("Contoso.COM.", "contoso-com.mail.protection.outlook.com"),
        ("agency.gov.au", "agency-gov-au.mail.protection.outlook.com"),
        ("contoso.onmicrosoft.com", "contoso.mail.protection.outlook.com"),
        ("contoso.mail.onmicrosoft.com", "contoso.mail.protection.outlook.com"),
    ],
)
def test_mx_targets_are_the_domain_with_dashes_under_mail_protection(
    domain: str, target: str
) -> None:
    tenant = Tenant(name="Contoso", initial_domain="contoso.onmicrosoft.com")
    assert mx_target(domain, tenant) == target


def test_the_send_connector_line_is_the_one_microsofts_set_up_article_gives() -> None:
    tenant = Tenant(name="Contoso", initial_domain="contoso.onmicrosoft.com")
    assert new_send_connector_line(tenant, "contoso.com") == (
        "New-SendConnector -Name 'My company to Office 365' -AddressSpaces * "
        "-CloudServicesMailEnabled $true -Fqdn 'mail.contoso.com' -RequireTLS $true "
        "-DNSRoutingEnabled $false -SmartHosts 'contoso-com.mail.protection.outlook.com' "
        "-TlsAuthLevel CertificateValidation"
    )


# --- The whole tenant's script -----------------------------------------------------------------


def test_the_script_sets_domain_types_and_creates_every_connector(contoso: Tenant) -> None:
    sales = AcceptedDomain.objects.get(tenant=contoso, name="sales.contoso.com")
    sales.domain_type, sales.match_subdomains = DomainType.INTERNAL_RELAY, True
    sales.save()
    domains = list(AcceptedDomain.objects.filter(tenant=contoso))
    outbound = list(OutboundConnector.objects.filter(tenant=contoso))
    inbound = list(InboundConnector.objects.filter(tenant=contoso))

    script = tenant_script(contoso, domains, outbound, inbound)

    lines = script.splitlines()
    assert "Set-AcceptedDomain -Identity 'contoso.com' -DomainType Authoritative" in lines
    assert (
        "Set-AcceptedDomain -Identity 'sales.contoso.com' -DomainType InternalRelay "
        "-MatchSubDomains $true"
    ) in lines
    assert "Microsoft 365 admin center" in script
    assert all(line.startswith("# ") for line in lines if "New-AcceptedDomain" in line)
    assert not any(
        line.startswith("Set-AcceptedDomain -Identity 'contoso.onmicrosoft.com'") for line in lines
    )
    for outbound_connector in outbound:
        assert new_outbound_connector_line(outbound_connector) in lines
    for inbound_connector in inbound:
        assert new_inbound_connector_line(inbound_connector) in lines
    # Runs on the Exchange server, not in Exchange Online: commented out.
    assert any(line.startswith("# New-SendConnector ") for line in lines)
    assert "-SmartHosts 'contoso-onmicrosoft-com" not in script


# --- The details panel -------------------------------------------------------------------------


def test_the_details_panel_shows_the_connectors_powershell(
    admin_client_: Client, contoso: Tenant
) -> None:
    AcceptedDomain.objects.filter(tenant=contoso).update(is_default=False)
    AcceptedDomain.objects.filter(tenant=contoso, name="contoso.com").update(is_default=True)
    connector = OutboundConnector.objects.get(tenant=contoso)
    connector.is_validated = True
    connector.validation_recipients = ["john@contoso.com"]
    connector.last_validation_timestamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    connector.save()

    response = admin_client_.get(
        reverse("connectors:details", args=["outbound", connector.pk]), HTTP_HX_REQUEST="true"
    )

    page = html.unescape(response.content.decode())
    assert "<h3>PowerShell</h3>" in page
    assert new_outbound_connector_line(connector) in page
    assert "Set-OutboundConnector -Identity 'To Contoso servers'" in page
    assert "A hint for your own email server" in page
    assert "-SmartHosts 'contoso-com.mail.protection.outlook.com'" in page


def test_an_inbound_connectors_panel_has_no_send_connector(
    viewer_client: Client, contoso: Tenant
) -> None:
    connector = InboundConnector.objects.get(tenant=contoso)
    response = viewer_client.get(reverse("connectors:details", args=["inbound", connector.pk]))
    page = html.unescape(response.content.decode())
    assert new_inbound_connector_line(connector) in page
    assert "New-SendConnector" not in page


# --- Export as PowerShell ------------------------------------------------------------------------


def test_export_is_a_utf8_script_attachment_named_after_the_initial_domain(
    admin_client_: Client,
) -> None:
    response = admin_client_.get(reverse("connectors:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="contoso.onmicrosoft.com-connectors.ps1"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff# Mail flow connectors of Contoso")
    assert "New-OutboundConnector -Name 'To Contoso servers'" in text


def test_export_shows_only_your_tenants_connectors(
    admin_client_: Client, stranger_client: Client
) -> None:
    text = admin_client_.get(reverse("connectors:export")).content.decode()
    assert "To Contoso servers" in text
    assert "Fabrikam" not in text
    assert "fabrikamlab" not in text
    theirs = stranger_client.get(reverse("connectors:export")).content.decode()
    assert "Fabrikam outbound secret" in theirs
    assert "Contoso" not in theirs


def test_a_view_only_member_may_export_and_sees_the_command(viewer_client: Client) -> None:
    assert viewer_client.get(reverse("connectors:export")).status_code == 200
    page = viewer_client.get(reverse("connectors:list")).content.decode()
    assert "Export as PowerShell" in page
    assert reverse("connectors:import") not in page


def test_an_admin_sees_import_in_the_command_bar(admin_client_: Client) -> None:
    page = admin_client_.get(reverse("connectors:list")).content.decode()
    assert reverse("connectors:import") in page
    assert reverse("connectors:export") in page


def test_export_needs_sign_in(client: Client) -> None:
    response = client.get(reverse("connectors:export"))
    assert response.status_code == 302
    assert "export.ps1" in response["Location"]  # back here after signing in
