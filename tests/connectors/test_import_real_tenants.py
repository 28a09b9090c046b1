"""Real tenants import whole: an email add-on service's connectors as Microsoft's article makes
them, a hybrid tenant's as the Hybrid Configuration Wizard leaves them (in Windows PowerShell's
JSON, with numeric enums and /Date()/ times), and a tenant with centralized mail transport. Every
property Exchange prints is kept, exported and written back, or the preview says why not.

The add-on service connectors follow
https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/integrate-office-365-with-an-email-add-on-service
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from connectors.endpoints import ConnectorSource, ConnectorType
from connectors.interchange.documents import ImportSources
from connectors.interchange.plan import REFUSED, plan_import
from connectors.interchange.properties import SETTINGS, Kind
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant
from tests.conftest import make_outbound
from tests.connectors.test_import import (
    connector_properties,
    page_errors,
    post,
    preview_and_import,
    preview_token,
)

pytestmark = pytest.mark.django_db

SERVICE_CERTIFICATE = "s5hg3dcg14.smtp.contososignatureservice.com"

ADD_ON_DOMAINS = [
    {"DomainName": SERVICE_CERTIFICATE, "DomainType": "Authoritative", "MatchSubDomains": False}
]
ADD_ON_OUTBOUND = {
    "Name": "Office 365 to Contoso Signature Service",
    "ConnectorType": "OnPremises",
    "ConnectorSource": "Default",
    "IsTransportRuleScoped": True,
    "UseMXRecord": False,
    "SmartHosts": ["smtp.contososignatureservice.com"],
    "TlsSettings": "DomainValidation",
    "TlsDomain": "smtp.contososignatureservice.com",
    "CloudServicesMailEnabled": True,
    "Identity": "Office 365 to Contoso Signature Service",
}
ADD_ON_INBOUND = {
    "Name": "Contoso Signature Service to Office 365",
    "SenderDomains": ["smtp:*;1"],
    "ConnectorType": "OnPremises",
    "RequireTls": True,
    "RestrictDomainsToCertificate": True,
    "TlsSenderCertificateName": SERVICE_CERTIFICATE,
    "CloudServicesMailEnabled": True,
}

HYBRID_GUID = "3e8c6f2a-1b5d-4c7e-9a0f-6d2b8e4c1a73"
# Windows PowerShell 5.1: enums by number (ConnectorType OnPremises 1, TlsSettings
# DomainValidation 4, ConnectorSource HybridWizard 2), dates as /Date(ms)/, and an array wrapped
# as {"value": [...], "Count": n}.
HYBRID_OUTBOUND: dict[str, Any] = {
    "value": [
        {
            "Name": f"Outbound to {HYBRID_GUID}",
            "Enabled": True,
            "UseMXRecord": False,
            "Comment": None,
            "ConnectorType": 1,
            "ConnectorSource": 2,
            "RecipientDomains": ["contoso.com", "sales.contoso.com"],
            "SmartHosts": ["mail.contoso.com"],
            "TlsDomain": "mail.contoso.com",
            "TlsSettings": 4,
            "IsTransportRuleScoped": False,
            "RouteAllMessagesViaOnPremises": False,
            "CloudServicesMailEnabled": True,
            "AllAcceptedDomains": False,
            "SenderRewritingEnabled": False,
            "TestMode": False,
            "LinkForModifiedConnector": "00000000-0000-0000-0000-000000000000",
            "ValidationRecipients": [],
            "IsValidated": False,
            "LastValidationTimestamp": None,
            "WhenCreated": "/Date(1721847012000)/",
            "WhenChangedUTC": {"value": "/Date(1721847012000)/", "DateTime": "24 July 2024"},
            "Guid": HYBRID_GUID,
        }
    ],
    "Count": 1,
}
HYBRID_INBOUND: dict[str, Any] = {
    "value": [
        {
            "Name": f"Inbound from {HYBRID_GUID}",
            "Enabled": True,
            "ConnectorType": 1,
            "ConnectorSource": 2,
            "Comment": None,
            "SenderIPAddresses": [],
            "SenderDomains": ["smtp:*;1"],
            "AssociatedAcceptedDomains": [],
            "TrustedOrganizations": [],
            "RequireTls": True,
            "RestrictDomainsToIPAddresses": False,
            "RestrictDomainsToCertificate": False,
            "CloudServicesMailEnabled": True,
            "TreatMessagesAsInternal": False,
            "TlsSenderCertificateName": "mail.contoso.com",
            "EFTestMode": False,
            "EFSkipLastIP": False,
            "EFSkipIPs": [],
            "EFSkipMailGateway": [],
            "EFUsers": [],
            "ScanAndDropRecipients": [],
            "ClientHostNames": [],
            "WhenCreated": "/Date(1721847012000)/",
        }
    ],
    "Count": 1,
}


def centralized(outbound: dict[str, Any]) -> dict[str, Any]:
    """The hybrid tenant after the wizard's "Enable centralized mail transport"."""
    connector = dict(outbound["value"][0], RouteAllMessagesViaOnPremises=True)
    return {"value": [connector], "Count": 1}


def imported(client: Client, **boxes: Any) -> None:
    fields = {f"{key}_json": json.dumps(value) for key, value in boxes.items()}
    preview = post(client, **fields)
    plan = preview.context["plan"]
    assert preview.status_code == 200, page_errors(preview)
    assert plan.refused == 0
    assert post(client, "import", previewed=preview_token(preview), **fields).status_code == 302


def test_an_add_on_service_tenant_imports_whole(admin_client_: Client, contoso: Tenant) -> None:
    imported(
        admin_client_, domains=ADD_ON_DOMAINS, outbound=ADD_ON_OUTBOUND, inbound=ADD_ON_INBOUND
    )
    inbound = InboundConnector.objects.get(tenant=contoso, name=ADD_ON_INBOUND["Name"])
    assert inbound.connector_type == ConnectorType.ON_PREMISES
    assert inbound.restrict_domains_to_certificate is True
    assert inbound.tls_sender_certificate_name == SERVICE_CERTIFICATE


def test_the_preview_says_a_partner_only_restriction_has_no_effect_on_an_onpremises_connector(
    admin_client_: Client,
) -> None:
    preview = post(admin_client_, inbound_json=json.dumps(ADD_ON_INBOUND))
    [change] = preview.context["plan"].changes
    assert change.action == "Create"
    assert change.notes == (
        "RestrictDomainsToCertificate: takes effect only on partner connectors; "
        "this one is OnPremises.",
    )
    assert "takes effect only on partner connectors" in preview.content.decode()


def test_a_hybrid_tenant_imports_whole_from_windows_powershell(
    admin_client_: Client, contoso: Tenant
) -> None:
    imported(admin_client_, outbound=HYBRID_OUTBOUND, inbound=HYBRID_INBOUND)
    outbound = OutboundConnector.objects.get(tenant=contoso, name=f"Outbound to {HYBRID_GUID}")
    inbound = InboundConnector.objects.get(tenant=contoso, name=f"Inbound from {HYBRID_GUID}")
    assert outbound.connector_source == inbound.connector_source == ConnectorSource.HYBRID_WIZARD
    assert outbound.tls_settings == "DomainValidation"
    assert outbound.link_for_modified_connector is None  # the all-zero GUID is none


def test_the_preview_says_which_connectors_the_hybrid_wizard_made(admin_client_: Client) -> None:
    preview = post(admin_client_, outbound_json=json.dumps(HYBRID_OUTBOUND))
    [change] = preview.context["plan"].changes
    assert change.detail == (
        "Office 365 → Your organization's email server. Created by the Hybrid Configuration Wizard"
    )


def test_a_centralized_mail_transport_tenant_imports_whole(
    admin_client_: Client, contoso: Tenant
) -> None:
    imported(admin_client_, outbound=centralized(HYBRID_OUTBOUND), inbound=HYBRID_INBOUND)
    outbound = OutboundConnector.objects.get(tenant=contoso, name=f"Outbound to {HYBRID_GUID}")
    assert outbound.route_all_messages_via_on_premises is True
    script = admin_client_.get(reverse("connectors:export")).content.decode()
    assert "-RouteAllMessagesViaOnPremises $true" in script
    assert "-ConnectorSource HybridWizard" in script


# --- Every property round-trips ------------------------------------------------------------

EVERY_OUTBOUND = {
    "Name": "Every outbound property",
    "Enabled": False,
    "Comment": "set by hand",
    "ConnectorType": "OnPremises",
    "ConnectorSource": "Migrated",
    "CloudServicesMailEnabled": True,
    "AllAcceptedDomains": True,
    "IsTransportRuleScoped": False,
    "RecipientDomains": ["fabrikam.com", "*.fabrikam.com"],
    "UseMXRecord": False,
    "SmartHosts": ["mail.contoso.com", "10.5.3.2"],
    "TlsSettings": "CertificateValidation",
    "TlsDomain": "*.contoso.com",  # kept without DomainValidation, as Exchange keeps it
    "RouteAllMessagesViaOnPremises": True,
    "SenderRewritingEnabled": True,
    "TestMode": True,
    "MtaStsMode": "None",
    "SmtpDaneMode": "Mandatory",
    "LinkForModifiedConnector": "0b0f5d4e-8c1a-4f5e-9a47-3c1f2e6d7b80",
    "ValidationRecipients": ["john@contoso.com"],
    "IsValidated": True,
    "LastValidationTimestamp": "2026-07-24T18:59:12Z",
}
EVERY_INBOUND = {
    "Name": "Every inbound property",
    "Enabled": False,
    "Comment": "from the old gateway",
    "ConnectorType": "OnPremises",
    "ConnectorSource": "HybridWizard",
    "CloudServicesMailEnabled": False,
    "SenderDomains": ["smtp:contoso.com;1", "smtp:*.contoso.com;1"],
    "SenderIPAddresses": ["203.0.113.10", "198.51.100.0/24"],
    "RequireTls": True,
    "RestrictDomainsToCertificate": True,
    "RestrictDomainsToIPAddresses": True,
    "TlsSenderCertificateName": "mail.contoso.com",
    "AssociatedAcceptedDomains": ["contoso.com", "sales.contoso.com"],
    "TreatMessagesAsInternal": True,
    "TrustedOrganizations": ["fabrikam.onmicrosoft.com"],
    "EFSkipLastIP": False,
    "EFSkipIPs": ["192.168.3.0/24", "10.0.0.1-10.0.0.9", "2001:db8::1"],
    "EFUsers": ["john@contoso.com"],
    "EFTestMode": True,
    "EFSkipMailGateway": ["gateway.contoso.com"],
    "ScanAndDropRecipients": ["trap@contoso.com"],
    "ClientHostNames": ["relay.contoso.com"],
}


def test_every_property_round_trips_import_export_import(
    admin_client_: Client, stranger_client: Client, contoso: Tenant, fabrikam: Tenant
) -> None:
    for name in ("contoso.com", "sales.contoso.com"):
        AcceptedDomain.objects.get_or_create(tenant=fabrikam, name=name)
    imported(admin_client_, outbound=EVERY_OUTBOUND, inbound=EVERY_INBOUND)
    export = admin_client_.get(reverse("connectors:export_json")).content.decode()
    document = json.loads(export)

    kinds: tuple[tuple[Kind, dict[str, Any]], ...] = (
        ("outbound", EVERY_OUTBOUND),
        ("inbound", EVERY_INBOUND),
    )
    for kind, given in kinds:
        key = "OutboundConnectors" if kind == "outbound" else "InboundConnectors"
        [record] = [r for r in document[key] if r["Name"] == given["Name"]]
        for prop in SETTINGS[kind]:
            assert prop.name in record, f"the export leaves out {prop.name}"
        for name, value in given.items():
            assert record[name] == value, name

    preview_and_import(stranger_client, bundle_json=export)
    for model, given in ((OutboundConnector, EVERY_OUTBOUND), (InboundConnector, EVERY_INBOUND)):
        theirs = connector_properties(model.objects.get(tenant=contoso, name=given["Name"]))
        copied = connector_properties(model.objects.get(tenant=fabrikam, name=given["Name"]))
        assert copied == theirs


def test_every_property_is_written_in_powershell(admin_client_: Client, contoso: Tenant) -> None:
    imported(admin_client_, outbound=EVERY_OUTBOUND, inbound=EVERY_INBOUND)
    script = admin_client_.get(reverse("connectors:export")).content.decode()
    new_outbound = next(line for line in script.splitlines() if "'Every outbound" in line)
    for parameter in (
        "-TlsDomain '*.contoso.com'",
        "-RouteAllMessagesViaOnPremises $true",
        "-SenderRewritingEnabled $true",
        "-TestMode $true",
        "-MtaStsMode None",
        "-SmtpDaneMode Mandatory",
        "-ConnectorSource Migrated",
    ):
        assert parameter in new_outbound
    assert "LinkForModifiedConnector" not in script  # Microsoft's own: not a thing to set
    new_inbound = next(line for line in script.splitlines() if "'Every inbound" in line)
    for parameter in (
        "-AssociatedAcceptedDomains 'contoso.com','sales.contoso.com'",
        "-TreatMessagesAsInternal $true",
        "-TrustedOrganizations 'fabrikam.onmicrosoft.com'",
        "-EFSkipIPs '192.168.3.0/24','10.0.0.1-10.0.0.9','2001:db8::1'",
        "-EFUsers 'john@contoso.com'",
        "-ConnectorSource HybridWizard",
    ):
        assert parameter in new_inbound


def test_defaults_are_not_written_in_powershell(contoso: Tenant, admin_client_: Client) -> None:
    make_outbound(contoso, "Plain", recipient_domains=["fabrikam.com"])
    script = admin_client_.get(reverse("connectors:export")).content.decode()
    line = next(line for line in script.splitlines() if "-Name 'Plain'" in line)
    for parameter in ("MtaStsMode", "SmtpDaneMode", "ConnectorSource", "TestMode"):
        assert parameter not in line


# --- What the preview says -----------------------------------------------------------------


def test_a_property_the_console_doesnt_know_is_named_as_not_kept(admin_client_: Client) -> None:
    item = dict(ADD_ON_OUTBOUND, FutureSetting=True)
    [change] = post(admin_client_, outbound_json=json.dumps(item)).context["plan"].changes
    assert change.notes == (
        "FutureSetting: not kept; this console doesn't know this property, so it won't be "
        "exported.",
    )  # and Identity, which Exchange prints with every object, goes unmentioned


def test_a_tls_domain_without_domain_validation_is_kept_and_said_to_do_nothing(
    admin_client_: Client, contoso: Tenant
) -> None:
    item = dict(ADD_ON_OUTBOUND, TlsSettings="CertificateValidation")
    [change] = post(admin_client_, outbound_json=json.dumps(item)).context["plan"].changes
    assert change.notes == (
        "TlsDomain: used only when TlsSettings is DomainValidation; this connector's is "
        "CertificateValidation.",
    )


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        ({"ConnectorType": "Partner", "TreatMessagesAsInternal": True}, "TreatMessagesAsInternal"),
        ({"CloudServicesMailEnabled": True, "TreatMessagesAsInternal": True}, "retains"),
        ({"EFSkipIPs": ["10.0.0.9-10.0.0.1"]}, "ends before it starts"),
    ],
)
def test_what_exchange_refuses_is_refused(
    admin_client_: Client, changed: dict[str, Any], problem: str
) -> None:
    item = dict(HYBRID_INBOUND["value"][0], CloudServicesMailEnabled=False) | changed
    preview = post(admin_client_, inbound_json=json.dumps(item))
    assert preview.status_code == 422
    assert problem in " ".join(page_errors(preview))


def test_associated_domains_must_be_accepted_here_or_in_the_same_import(
    admin_client_: Client,
) -> None:
    item = dict(HYBRID_INBOUND["value"][0], AssociatedAcceptedDomains=["adatum.com"])
    alone = post(admin_client_, inbound_json=json.dumps(item))
    assert page_errors(alone) == [
        f"Inbound connector 'Inbound from {HYBRID_GUID}': AssociatedAcceptedDomains: adatum.com "
        "isn't an accepted domain of this organization. Add it to the import's accepted domains, "
        "or remove it from the connector."
    ]
    domain = [{"DomainName": "adatum.com", "DomainType": "Authoritative"}]
    together = post(admin_client_, inbound_json=json.dumps(item), domains_json=json.dumps(domain))
    assert together.status_code == 200, page_errors(together)


# --- Importing the valid ones ------------------------------------------------------------------


def broken_and_whole() -> list[dict[str, Any]]:
    broken = dict(ADD_ON_OUTBOUND, Name="Broken", SmartHosts=["mail.contoso.com:25"])
    return [broken, ADD_ON_OUTBOUND]


def test_the_preview_lists_each_refused_connectors_problems_and_offers_the_rest(
    admin_client_: Client, contoso: Tenant
) -> None:
    fields = {
        "domains_json": json.dumps(ADD_ON_DOMAINS),
        "outbound_json": json.dumps(broken_and_whole()),
    }
    preview = post(admin_client_, **fields)
    assert preview.status_code == 422
    changes = preview.context["plan"].changes
    assert [(c.name, c.action) for c in changes] == [  # in the order the JSON lists them
        (SERVICE_CERTIFICATE, "Add"),
        ("Broken", REFUSED),
        (ADD_ON_OUTBOUND["Name"], "Create"),
    ]
    assert "port" in changes[1].problems[0]
    page = preview.content.decode()
    assert "Import the rest, without the 1 refused" in page
    assert 'value="import"' not in page  # not all of it: there is no plain Import

    response = post(admin_client_, "import_valid", previewed=preview_token(preview), **fields)
    assert response.status_code == 302
    names = set(OutboundConnector.objects.filter(tenant=contoso).values_list("name", flat=True))
    assert ADD_ON_OUTBOUND["Name"] in names
    assert "Broken" not in names


def test_without_the_choice_one_refused_connector_still_stops_the_import(
    admin_client_: Client, contoso: Tenant
) -> None:
    fields = {"outbound_json": json.dumps(broken_and_whole())}
    preview = post(admin_client_, **fields)
    response = post(admin_client_, "import", previewed=preview_token(preview), **fields)
    assert response.status_code == 422
    assert not OutboundConnector.objects.filter(tenant=contoso, name="Broken").exists()
    assert not OutboundConnector.objects.filter(
        tenant=contoso, name=ADD_ON_OUTBOUND["Name"]
    ).exists()


def test_the_command_imports_the_valid_ones_only_when_asked(
    tmp_path: Path, contoso: Tenant
) -> None:
    path = tmp_path / "outbound.json"
    path.write_text(json.dumps(broken_and_whole()), encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import_tenant", tenant=contoso.initial_domain, outbound=path, stderr=StringIO()
        )
    assert not OutboundConnector.objects.filter(tenant=contoso, name="Broken").exists()

    out, err = StringIO(), StringIO()
    call_command(
        "import_tenant",
        tenant=contoso.initial_domain,
        outbound=path,
        skip_refused=True,
        stdout=out,
        stderr=err,
    )
    assert "Skipped Outbound connector Broken: SmartHosts" in err.getvalue()
    assert "1 connector created, 1 refused item skipped" in out.getvalue()
    assert OutboundConnector.objects.filter(tenant=contoso, name=ADD_ON_OUTBOUND["Name"]).exists()


def test_planning_the_valid_ones_skips_a_connector_whose_domain_was_refused(
    contoso: Tenant,
) -> None:
    """A domain refused (here, two of the same) can't leave a connector naming it."""
    domain = {"DomainName": "adatum.com", "DomainType": "Authoritative"}
    item = dict(HYBRID_INBOUND["value"][0], AssociatedAcceptedDomains=["adatum.com"])
    sources = ImportSources(
        domains=json.dumps([domain, domain]), inbound=json.dumps(item)
    )  # the first copy is added, the second refused: the connector still has its domain
    plan = plan_import(tenant=contoso, sources=sources, skip_refused=True)
    assert [c.action for c in plan.changes] == ["Add", REFUSED, "Create"]
    bad = dict(domain, DomainType="ExternalRelay")
    sources = ImportSources(domains=json.dumps([bad]), inbound=json.dumps(item))
    plan = plan_import(tenant=contoso, sources=sources, skip_refused=True)
    assert [c.action for c in plan.changes] == [REFUSED, REFUSED]
    assert plan.writes == 0
