"""Import of Get-AcceptedDomain / Get-OutboundConnector / Get-InboundConnector JSON: preview, one
transaction, clear per-item errors, limits and hostile input, and the export round trip."""

from __future__ import annotations

import html
import json
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from connectors import services
from connectors.endpoints import ConnectorType
from connectors.interchange.apply import import_configuration
from connectors.interchange.documents import ImportSources
from connectors.interchange.errors import ImportRejected
from connectors.interchange.items import parse_timestamp, sender_domain
from connectors.interchange.limits import MAX_ERRORS_SHOWN, MAX_ITEMS, MAX_JSON_BYTES
from connectors.interchange.plan import plan_import
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, AuditEvent, DomainType, Tenant
from eac.roles import Role
from tests.conftest import client_for, make_inbound, make_member, make_outbound

pytestmark = pytest.mark.django_db

URL = "/mail-flow/connectors/import/"

# As Exchange Online prints a connector made in the EAC, with the many properties the console
# doesn't model.
REAL_OUTBOUND = {
    "Enabled": True,
    "UseMXRecord": False,
    "Comment": None,
    "ConnectorType": "OnPremises",
    "ConnectorSource": "AdminUI",
    "RecipientDomains": [],
    "SmartHosts": ["smtp-relay.contoso.com"],
    "TlsDomain": None,
    "TlsSettings": "CertificateValidation",
    "IsTransportRuleScoped": True,
    "RouteAllMessagesViaOnPremises": False,
    "CloudServicesMailEnabled": True,
    "AllAcceptedDomains": False,
    "SenderRewritingEnabled": False,
    "TestMode": False,
    "LinkForModifiedConnector": "00000000-0000-0000-0000-000000000000",
    "ValidationRecipients": ["john@contoso.com"],
    "IsValidated": False,
    "LastValidationTimestamp": "2026-07-24T18:59:12",
    "MtaStsMode": "Opportunistic",
    "SmtpDaneMode": "Opportunistic",
    "AdminDisplayName": "",
    "ExchangeVersion": "0.20 (15.0.0.0)",
    "Name": "Relay via transport rule",
    "DistinguishedName": "CN=Relay via transport rule,CN=Transport Settings,...",
    "Identity": "Relay via transport rule",
    "ObjectCategory": "EURPR01A001.prod.outlook.com/Configuration/Schema/ms-Exch-SMTP-Outbound",
    "ObjectClass": ["top", "msExchSMTPOutboundConnector"],
    "WhenChanged": "2026-07-24T20:59:12+02:00",
    "WhenCreatedUTC": "2026-07-24T18:50:01",
    "OrganizationId": {"ConfigurationUnit": "contoso.onmicrosoft.com", "Nested": [1, [2, {}]]},
    "Guid": "4c3f7a5e-9f1d-4a6e-8f8b-2a1d9c0e5b7f",
    "IsValid": True,
    "ObjectState": "Unchanged",
}

REAL_INBOUND = {
    "Name": "From partner bank",
    "Enabled": True,
    "ConnectorType": "Partner",
    "ConnectorSource": "Default",
    "Comment": "Bank's gateway",
    "SenderIPAddresses": ["10.3.1.5/24"],
    "SenderDomains": ["smtp:contosobank.com;1", "SMTP:*.contosobank.com;1"],
    "TrustedOrganizations": [],
    "AssociatedAcceptedDomains": [],
    "RequireTls": True,
    "RestrictDomainsToIPAddresses": True,
    "RestrictDomainsToCertificate": False,
    "CloudServicesMailEnabled": False,
    "TreatMessagesAsInternal": False,
    "TlsSenderCertificateName": None,
    "EFTestMode": False,
    "EFSkipIPs": [],
    "ScanAndDropRecipients": [],
    "Identity": "From partner bank",
}

REAL_DOMAINS = [
    {
        "DomainName": "adatum.com",
        "DomainType": "InternalRelay",
        "MatchSubDomains": True,
        "Default": False,
        "AuthenticationType": None,
        "Name": "Adatum (display name)",
        "PendingRemoval": False,
    },
    {
        "DomainName": "sales.contoso.com",
        "DomainType": 2,
        "MatchSubDomains": False,
        "Default": False,
    },
    {"DomainName": "adatum.onmicrosoft.com", "DomainType": 0, "Default": True},
]


def dumps(value: Any) -> str:
    return json.dumps(value)


def post(client: Client, action: str = "preview", **fields: Any) -> Any:
    data = {"action": action} | fields
    return client.post(URL, data)


def preview_token(response: Any) -> str:
    token = response.context["token"]
    assert token, "the preview offered no Import"
    return str(token)


def preview_and_import(client: Client, **fields: Any) -> Any:
    preview = post(client, **fields)
    assert preview.status_code == 200, page_errors(preview)
    return post(client, "import", previewed=preview_token(preview), **fields)


def page_errors(response: Any) -> list[str]:
    return list(response.context["errors"]) if response.context else []


def state(tenant: Tenant) -> tuple[Any, ...]:
    """Everything an import could change."""
    return (
        sorted(
            AcceptedDomain.objects.filter(tenant=tenant).values_list(
                "name", "domain_type", "match_subdomains"
            )
        ),
        sorted(OutboundConnector.objects.filter(tenant=tenant).values_list("name", "version")),
        sorted(InboundConnector.objects.filter(tenant=tenant).values_list("name", "version")),
        AuditEvent.objects.filter(tenant=tenant).count(),
    )


# --- Preview, then Import ----------------------------------------------------------------------


def test_the_preview_lists_what_would_change_and_changes_nothing(
    admin_client_: Client, contoso: Tenant
) -> None:
    before = state(contoso)
    response = post(
        admin_client_,
        domains_json=dumps(REAL_DOMAINS),
        outbound_json=dumps(REAL_OUTBOUND),
        inbound_json=dumps([REAL_INBOUND]),
    )
    assert response.status_code == 200
    rows = {(c.kind, c.name): (c.action, c.detail) for c in response.context["plan"].changes}
    assert rows == {
        ("Accepted domain", "adatum.com"): (
            "Add",
            "Internal relay, accepts mail for all subdomains",
        ),
        ("Accepted domain", "sales.contoso.com"): ("Change type", "Authoritative → Internal relay"),
        ("Accepted domain", "adatum.onmicrosoft.com"): (
            "Skip",
            "Another organization's onmicrosoft.com domain",
        ),
        ("Outbound connector", "Relay via transport rule"): (
            "Create",
            "Office 365 → Your organization's email server",
        ),
        ("Inbound connector", "From partner bank"): ("Create", "Partner organization → Office 365"),
    }
    page = html.unescape(response.content.decode())
    assert (
        "Importing will make these changes: 1 accepted domain added, 1 domain type changed, 2 connectors created."
        in page
    )
    assert 'value="import"' in page
    assert state(contoso) == before


def test_import_applies_the_preview_through_the_audited_services(
    admin_client_: Client, admin: Any, contoso: Tenant
) -> None:
    response = preview_and_import(
        admin_client_,
        domains_json=dumps(REAL_DOMAINS),
        outbound_json=dumps(REAL_OUTBOUND),
        inbound_json=dumps(REAL_INBOUND),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("connectors:list")

    outbound = OutboundConnector.objects.get(tenant=contoso, name="Relay via transport rule")
    assert outbound.connector_type == ConnectorType.ON_PREMISES
    assert outbound.connector_source == "AdminUI"
    assert outbound.is_transport_rule_scoped
    assert not outbound.all_accepted_domains
    assert outbound.smart_hosts == ["smtp-relay.contoso.com"]
    assert outbound.cloud_services_mail_enabled
    assert not outbound.use_mx_record
    assert outbound.validation_recipients == ["john@contoso.com"]
    assert outbound.last_validation_timestamp == datetime(2026, 7, 24, 18, 59, 12, tzinfo=UTC)
    inbound = InboundConnector.objects.get(tenant=contoso, name="From partner bank")
    assert inbound.sender_domains == ["contosobank.com", "*.contosobank.com"]
    assert inbound.sender_ip_addresses == ["10.3.1.5/24"]
    assert inbound.require_tls
    assert inbound.restrict_domains_to_ip_addresses
    assert inbound.comment == "Bank's gateway"
    adatum = AcceptedDomain.objects.get(tenant=contoso, name="adatum.com")
    assert (adatum.domain_type, adatum.match_subdomains) == (DomainType.INTERNAL_RELAY, True)
    sales = AcceptedDomain.objects.get(tenant=contoso, name="sales.contoso.com")
    assert sales.domain_type == DomainType.INTERNAL_RELAY
    assert not AcceptedDomain.objects.filter(name="adatum.onmicrosoft.com").exists()

    actions = sorted(
        AuditEvent.objects.filter(tenant=contoso, actor=admin).values_list("action", flat=True)
    )
    assert actions == [
        "accepted_domain.add",
        "accepted_domain.update",
        "inbound_connector.create",
        "outbound_connector.create",
    ]
    page = admin_client_.get(reverse("connectors:list")).content.decode()
    assert (
        "Import complete: 1 accepted domain added, 1 domain type changed, 2 connectors created."
        in html.unescape(page)
    )


def test_import_without_the_preview_of_this_json_only_previews(
    admin_client_: Client, contoso: Tenant
) -> None:
    preview = post(admin_client_, outbound_json=dumps(REAL_OUTBOUND))
    changed = dict(REAL_OUTBOUND, Name="Something else")
    before = state(contoso)

    response = post(
        admin_client_, "import", previewed=preview_token(preview), outbound_json=dumps(changed)
    )

    assert response.status_code == 200
    assert "The JSON changed since the preview" in response.content.decode()
    assert response.context["plan"].changes[0].name == "Something else"
    assert state(contoso) == before


def test_uploaded_files_are_previewed_and_carried_into_the_import(
    admin_client_: Client, contoso: Tenant
) -> None:
    # What Windows PowerShell 5.1 writes with `>`: UTF-16 with a BOM, enums as numbers.
    data = dumps(dict(REAL_OUTBOUND, ConnectorType=1, TlsSettings=4, TlsDomain="*.contoso.com"))
    upload = SimpleUploadedFile("outbound.json", data.encode("utf-16"))
    preview = admin_client_.post(URL, {"action": "preview", "outbound_file": upload})
    assert preview.status_code == 200, page_errors(preview)
    assert preview.context["form"].initial["outbound_json"] == data

    response = post(admin_client_, "import", previewed=preview_token(preview), outbound_json=data)

    assert response.status_code == 302
    connector = OutboundConnector.objects.get(tenant=contoso, name="Relay via transport rule")
    assert (connector.tls_settings, connector.tls_domain) == ("DomainValidation", "*.contoso.com")


# --- Malformed, oversized and hostile input ----------------------------------------------------


def test_malformed_json_is_refused_with_where_it_breaks(
    admin_client_: Client, contoso: Tenant
) -> None:
    before = state(contoso)
    response = post(admin_client_, outbound_json='{"Name": "x",\n "Enabled": tru}')
    assert response.status_code == 422
    assert page_errors(response) == [
        "Outbound connectors (Get-OutboundConnector): this isn't valid JSON "
        "(Expecting value at line 2, column 13)."
    ]
    assert "Nothing was imported." in response.content.decode()
    assert state(contoso) == before


def test_more_than_a_megabyte_is_refused_with_the_limit(
    admin_client_: Client, contoso: Tenant
) -> None:
    big = dumps([dict(REAL_INBOUND, Name=f"C{i}", Comment="x" * 2000) for i in range(600)])
    assert len(big) > MAX_JSON_BYTES
    before = state(contoso)

    response = post(admin_client_, inbound_json=big)

    assert response.status_code == 413
    assert page_errors(response)[0].startswith(
        "The JSON is 1.5 MB in all; at most 1 MB can be imported at once."
    )
    assert state(contoso) == before


def test_an_oversized_upload_is_refused_without_being_read_whole(
    admin_client_: Client, contoso: Tenant
) -> None:
    upload = SimpleUploadedFile("huge.json", b"[" + b" " * (5 * 1024 * 1024) + b"]")
    response = admin_client_.post(URL, {"action": "preview", "domains_file": upload})
    assert response.status_code == 413
    assert "at most 1 MB can be imported at once" in page_errors(response)[0]


def test_ten_thousand_items_are_refused_before_any_is_read(
    admin_client_: Client, contoso: Tenant
) -> None:
    items = dumps(
        [
            {"Name": f"C{i}", "ConnectorType": "Partner", "SenderDomains": ["*"]}
            for i in range(10_000)
        ]
    )
    before = state(contoso)
    started = time.monotonic()

    response = post(admin_client_, inbound_json=items)

    assert time.monotonic() - started < 5
    assert response.status_code == 413
    assert page_errors(response) == [
        "The import has 10,000 items; at most 1,000 accepted domains and connectors can be "
        "imported at once. Split it into smaller files."
    ]
    assert state(contoso) == before


def test_exactly_the_item_limit_is_accepted(contoso: Tenant) -> None:
    items = [
        {"Name": f"C{i}", "ConnectorType": "Partner", "SenderDomains": ["smtp:*;1"]}
        for i in range(MAX_ITEMS)
    ]
    plan = plan_import(tenant=contoso, sources=ImportSources(inbound=dumps(items)))
    assert plan.errors == []
    assert len(plan.creates) == MAX_ITEMS


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            '"just a string"',
            "expected a JSON object or an array of objects, as ConvertTo-Json writes them; found a string.",
        ),
        ("42", "found a number."),
        ("null", "found null."),
        ("true", "found true."),
        ("[" * 100_000 + "]" * 100_000, "the JSON is nested too deeply."),
        ('{"Name": NaN}', "this isn't valid JSON (NaN isn't a JSON number)."),
        ('{"Name": ' + "9" * 5000 + "}", "this isn't valid JSON (a number is too long)."),
        (
            "{'Name': 'single quotes'}",
            "this isn't valid JSON (Expecting property name enclosed in double quotes at line 1, column 2).",
        ),
    ],
)
def test_hostile_documents_get_a_clear_error_never_a_500(
    admin_client_: Client, contoso: Tenant, text: str, error: str
) -> None:
    before = state(contoso)
    response = post(admin_client_, outbound_json=text)
    assert response.status_code == 422
    errors = page_errors(response) or [str(e) for e in response.context["form"].errors.values()]
    assert any(error in e for e in errors), errors
    assert state(contoso) == before


def test_null_characters_are_refused_by_the_form(admin_client_: Client) -> None:
    response = post(admin_client_, outbound_json='{"Name": "a\x00"}')
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("item", "errors"),
    [
        (
            "a string",
            [
                "Outbound connector #1: expected an object with properties such as Name, found a string."
            ],
        ),
        (
            None,
            ["Outbound connector #1: expected an object with properties such as Name, found null."],
        ),
        (
            [{"Name": "nested"}],
            [
                "Outbound connector #1: expected an object with properties such as Name, found a list."
            ],
        ),
        (
            dict(REAL_OUTBOUND, SmartHosts="mail.contoso.com"),
            [
                "Outbound connector 'Relay via transport rule': SmartHosts: expected a list of strings, found a string."
            ],
        ),
        (
            dict(REAL_OUTBOUND, SmartHosts=["mail.contoso.com", 7]),
            [
                "Outbound connector 'Relay via transport rule': SmartHosts: entry 2 is a number; expected a list of strings."
            ],
        ),
        (
            dict(REAL_OUTBOUND, Enabled="yes", UseMXRecord=None),
            [
                "Outbound connector 'Relay via transport rule': Enabled: expected true or false, found a string.",
                "Outbound connector 'Relay via transport rule': UseMXRecord: expected true or false, found null.",
            ],
        ),
        (
            dict(REAL_OUTBOUND, Name=None),
            ["Outbound connector #1: Name: Enter a name."],
        ),
        (
            dict(REAL_OUTBOUND, Name={"first": "x"}),
            ["Outbound connector #1: Name: expected a string, found an object."],
        ),
        (
            dict(REAL_OUTBOUND, ConnectorType=7, TlsSettings="Strict"),
            [
                "Outbound connector 'Relay via transport rule': ConnectorType: 7 isn't one of OnPremises, Partner.",
                "Outbound connector 'Relay via transport rule': TlsSettings: “Strict” isn't one of EncryptionOnly, CertificateValidation, DomainValidation.",
            ],
        ),
        (
            dict(REAL_OUTBOUND, LastValidationTimestamp="yesterday"),
            [
                "Outbound connector 'Relay via transport rule': LastValidationTimestamp: “yesterday” isn't a date and time such as 2026-07-24T18:59:12Z."
            ],
        ),
        (
            dict(REAL_OUTBOUND, SmartHosts=["mail.contoso.com:25"]),
            [
                "Outbound connector 'Relay via transport rule': SmartHosts: mail.contoso.com:25: Don't include a port; connectors always deliver on port 25."
            ],
        ),
        (
            dict(REAL_OUTBOUND, SmartHosts=[]),
            [
                "Outbound connector 'Relay via transport rule': SmartHosts: Add at least one smart host."
            ],
        ),
        (
            dict(REAL_OUTBOUND, SmartHosts=["x"] * 1001),
            [
                "Outbound connector 'Relay via transport rule': SmartHosts: at most 1,000 entries; found 1,001."
            ],
        ),
        (
            dict(
                REAL_OUTBOUND, Comment="nul \x00 here", SmartHosts=["ok.contoso.com", "bad\ud800"]
            ),
            [
                "Outbound connector 'Relay via transport rule': Comment: contains a character that can't be stored (U+0000).",
                "Outbound connector 'Relay via transport rule': SmartHosts: entry 2 contains a character that can't be stored (U+D800).",
            ],
        ),
        (
            dict(REAL_OUTBOUND, Name="Evil \ud800"),
            ["Outbound connector #1: Name: contains a character that can't be stored (U+D800)."],
        ),
        (
            dict(REAL_OUTBOUND, TlsSettings="Bad\nvalue\ud800"),
            [
                "Outbound connector 'Relay via transport rule': TlsSettings: “BadU+000AvalueU+D800” isn't one of EncryptionOnly, CertificateValidation, DomainValidation."
            ],
        ),
        (
            REAL_INBOUND,
            [
                "Outbound connector 'From partner bank': this looks like inbound connector output; paste it in that box."
            ],
        ),
    ],
)
def test_each_invalid_item_gets_its_own_error(
    admin_client_: Client, contoso: Tenant, item: Any, errors: list[str]
) -> None:
    before = state(contoso)
    response = post(admin_client_, outbound_json=dumps([item]))
    assert response.status_code == 422
    assert page_errors(response) == errors
    assert state(contoso) == before


def test_wrong_types_in_domains_and_inbound_connectors(admin_client_: Client) -> None:
    response = post(
        admin_client_,
        domains_json=dumps(
            [
                {"DomainName": "adatum.com", "DomainType": "ExternalRelay"},
                {"DomainName": 5},
                {"DomainName": "x.com", "MatchSubDomains": "true"},
            ]
        ),
        inbound_json=dumps(
            [
                dict(REAL_INBOUND, SenderDomains=None),
                dict(REAL_INBOUND, Name="Wide", SenderIPAddresses=["10.0.0.0/16"]),
            ]
        ),
    )
    assert page_errors(response) == [
        "Accepted domain 'adatum.com': DomainType: ExternalRelay exists only in on-premises Exchange; Exchange Online domains are Authoritative or InternalRelay.",
        "Accepted domain #2: DomainName: expected a string, found a number.",
        "Accepted domain 'x.com': MatchSubDomains: expected true or false, found a string.",
        "Inbound connector 'From partner bank': SenderDomains: Add at least one sender domain, or *.",
        "Inbound connector 'Wide': SenderIPAddresses: 10.0.0.0/16: Masks from /24 to /32 are supported; /16 is too wide.",
    ]


def test_the_error_list_is_capped(admin_client_: Client) -> None:
    response = post(admin_client_, outbound_json=dumps(["x"] * 150))
    assert len(response.context["errors"]) == MAX_ERRORS_SHOWN
    assert "…and 50 more." in response.content.decode()


# --- Unknown fields, shapes and encodings ------------------------------------------------------


def test_unknown_properties_are_ignored_and_names_match_in_any_case(contoso: Tenant) -> None:
    item = {key.lower(): value for key, value in REAL_OUTBOUND.items()} | {
        "SomethingNew": {"a": [1]}
    }
    plan = plan_import(tenant=contoso, sources=ImportSources(outbound=dumps(item)))
    assert plan.errors == []
    assert plan.creates[0].fields["is_transport_rule_scoped"] is True


def test_windows_powershell_array_wrapper_and_dates_are_understood(contoso: Tenant) -> None:
    wrapped = {
        "value": [dict(REAL_OUTBOUND, LastValidationTimestamp="/Date(1784919552000)/")],
        "Count": 1,
    }
    plan = plan_import(tenant=contoso, sources=ImportSources(outbound=dumps(wrapped)))
    assert plan.errors == []
    assert plan.creates[0].fields["last_validation_timestamp"] == datetime(
        2026, 7, 24, 18, 59, 12, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-07-24T18:59:12", datetime(2026, 7, 24, 18, 59, 12, tzinfo=UTC)),
        ("2026-07-24T18:59:12Z", datetime(2026, 7, 24, 18, 59, 12, tzinfo=UTC)),
        ("2026-07-24T20:59:12+02:00", datetime(2026, 7, 24, 18, 59, 12, tzinfo=UTC)),
        ("2026-07-24T18:59:12.1234567Z", datetime(2026, 7, 24, 18, 59, 12, 123456, tzinfo=UTC)),
        ("/Date(1784919552000)/", datetime(2026, 7, 24, 18, 59, 12, tzinfo=UTC)),
        ("/Date(1784919552000+0200)/", datetime(2026, 7, 24, 18, 59, 12, tzinfo=UTC)),
        ("soon", None),
        ("/Date(abc)/", None),
    ],
)
def test_timestamps_in_both_powershell_formats(text: str, moment: datetime | None) -> None:
    assert parse_timestamp(text) == moment


@pytest.mark.parametrize(
    ("entry", "domain"),
    [
        ("smtp:*;1", "*"),
        ("SMTP:contoso.com;10", "contoso.com"),
        ("*.adatum.com", "*.adatum.com"),
        ("contoso.com;x", "contoso.com;x"),
    ],
)
def test_sender_domains_lose_their_address_space_type_and_cost(entry: str, domain: str) -> None:
    assert sender_domain(entry) == domain


def test_a_file_that_is_not_text_is_refused(admin_client_: Client) -> None:
    upload = SimpleUploadedFile("x.json", b"\x80\x81\xfe")
    response = admin_client_.post(URL, {"action": "preview", "inbound_file": upload})
    assert response.status_code == 422
    assert page_errors(response) == [
        "Inbound connectors (Get-InboundConnector): the file isn't UTF-8 or UTF-16 text. Save it with Set-Content -Encoding utf8."
    ]


def test_a_box_and_a_file_for_the_same_cmdlet_are_refused(admin_client_: Client) -> None:
    upload = SimpleUploadedFile("x.json", b"[]")
    response = admin_client_.post(
        URL, {"action": "preview", "inbound_file": upload, "inbound_json": "[]"}
    )
    assert "paste the JSON or upload a file, not both" in page_errors(response)[0]


def test_the_console_export_box_wants_the_export(admin_client_: Client) -> None:
    response = post(admin_client_, bundle_json=dumps(REAL_OUTBOUND))
    assert "expected this console's export" in page_errors(response)[0]
    response = post(admin_client_, bundle_json=dumps({"OutboundConnectors": "none"}))
    assert page_errors(response) == [
        "Console export: OutboundConnectors: expected a JSON object or an array of objects, as ConvertTo-Json writes them; found a string."
    ]


# --- Names that already exist, and Replace -----------------------------------------------------


def test_a_name_that_exists_is_an_error_in_either_direction(
    admin_client_: Client, contoso: Tenant
) -> None:
    # "To Contoso servers" is an outbound connector; connector names are one namespace.
    taken = dict(REAL_INBOUND, Name="to contoso SERVERS")
    response = post(admin_client_, inbound_json=dumps(taken))
    assert page_errors(response) == [
        "Inbound connector 'to contoso SERVERS': a connector with this name already exists. "
        "Rename it in the JSON, or tick “Replace connectors that have the same name”."
    ]


def test_the_same_name_twice_in_one_import_is_an_error(admin_client_: Client) -> None:
    response = post(
        admin_client_,
        outbound_json=dumps(REAL_OUTBOUND),
        inbound_json=dumps(dict(REAL_INBOUND, Name="RELAY via transport rule")),
        domains_json=dumps([{"DomainName": "a.com"}, {"DomainName": "A.com."}]),
    )
    assert page_errors(response) == [
        "Accepted domain 'a.com': the import lists this domain twice.",
        "Inbound connector 'RELAY via transport rule': the import has another connector with this "
        "name (inbound and outbound connectors share one set of names).",
    ]


def test_replace_updates_the_connector_in_place_and_audits_it(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    item = dict(REAL_OUTBOUND, Name="To Contoso servers", SmartHosts=["mail2.contoso.com"])
    preview = post(admin_client_, outbound_json=dumps(item), replace="on")
    change = preview.context["plan"].changes[0]
    assert (change.action, change.detail) == (
        "Replace",
        "Changes CloudServicesMailEnabled, AllAcceptedDomains, IsTransportRuleScoped, SmartHosts, "
        "ValidationRecipients, LastValidationTimestamp",
    )

    response = post(
        admin_client_,
        "import",
        previewed=preview_token(preview),
        outbound_json=dumps(item),
        replace="on",
    )

    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.smart_hosts == ["mail2.contoso.com"]
    assert connector.is_transport_rule_scoped
    assert connector.version == 2
    assert (
        AuditEvent.objects.filter(tenant=contoso, action="outbound_connector.update").count() == 1
    )


def test_replace_does_not_cross_directions(admin_client_: Client) -> None:
    response = post(
        admin_client_,
        inbound_json=dumps(dict(REAL_INBOUND, Name="To Contoso servers")),
        replace="on",
    )
    assert page_errors(response) == [
        "Inbound connector 'To Contoso servers': an outbound connector has this name, and only a "
        "connector of the same direction can be replaced. Rename or delete it first."
    ]


def test_the_preview_token_includes_the_replace_choice(
    admin_client_: Client, contoso: Tenant
) -> None:
    item = dict(REAL_OUTBOUND, Name="To Contoso servers")
    preview = post(admin_client_, outbound_json=dumps(item), replace="on")
    before = state(contoso)
    response = post(
        admin_client_, "import", previewed=preview_token(preview), outbound_json=dumps(item)
    )
    assert response.status_code == 422  # a preview without Replace: the name is an error
    assert state(contoso) == before


# --- All or nothing ----------------------------------------------------------------------------


def test_one_bad_item_means_nothing_is_imported(admin_client_: Client, contoso: Tenant) -> None:
    before = state(contoso)
    response = post(
        admin_client_,
        "import",
        domains_json=dumps(REAL_DOMAINS),
        inbound_json=dumps(
            [REAL_INBOUND, dict(REAL_INBOUND, Name="Bad", SenderIPAddresses=["2001:db8::1"])]
        ),
    )
    assert response.status_code == 422
    assert page_errors(response) == [
        "Inbound connector 'Bad': SenderIPAddresses: 2001:db8::1: IPv6 isn't supported for sender IP addresses; enter an IPv4 address."
    ]
    assert state(contoso) == before


def test_a_failure_while_applying_rolls_back_what_was_already_written(
    contoso: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = services.inbound_connector_create
    calls = []

    def create_then_fail(**kwargs: Any) -> Any:
        calls.append(kwargs["name"])
        if len(calls) == 2:
            raise ValidationError({"name": "Someone took this name a moment ago."})
        return real_create(**kwargs)

    monkeypatch.setattr("connectors.interchange.apply.inbound_connector_create", create_then_fail)
    before = state(contoso)
    sources = ImportSources(
        domains=dumps(REAL_DOMAINS),
        outbound=dumps(REAL_OUTBOUND),
        inbound=dumps([REAL_INBOUND, dict(REAL_INBOUND, Name="Second")]),
    )

    with pytest.raises(ImportRejected) as caught:
        import_configuration(tenant=contoso, sources=sources, actor=None)

    assert caught.value.errors == [
        "Inbound connector 'Second': Name: Someone took this name a moment ago."
    ]
    assert state(contoso) == before


# --- Who may import ----------------------------------------------------------------------------


def test_a_view_only_member_may_not_import(viewer_client: Client, contoso: Tenant) -> None:
    before = state(contoso)
    assert viewer_client.get(URL).status_code == 403
    assert post(viewer_client, "import", outbound_json=dumps(REAL_OUTBOUND)).status_code == 403
    assert state(contoso) == before


def test_a_mail_flow_administrator_imports_connectors_but_cannot_add_domains(
    contoso: Tenant,
) -> None:
    client = client_for(make_member("mailflow@contoso.com", contoso, Role.MAIL_FLOW_ADMINISTRATOR))
    assert client.get(URL).status_code == 200
    response = post(client, domains_json=dumps(REAL_DOMAINS))
    assert page_errors(response) == [
        "Accepted domain 'adatum.com': your role can't add accepted domains (Organization "
        "Management can). Remove it from the import, or ask an Organization Management admin."
    ]
    changing_only = preview_and_import(
        client, domains_json=dumps(REAL_DOMAINS[1:]), outbound_json=dumps(REAL_OUTBOUND)
    )
    assert changing_only.status_code == 302
    assert (
        AcceptedDomain.objects.get(tenant=contoso, name="sales.contoso.com").domain_type
        == DomainType.INTERNAL_RELAY
    )


def test_the_initial_domain_stays_authoritative(admin_client_: Client) -> None:
    response = post(
        admin_client_,
        domains_json=dumps(
            {"DomainName": "contoso.onmicrosoft.com", "DomainType": "InternalRelay"}
        ),
    )
    assert page_errors(response) == [
        "Accepted domain 'contoso.onmicrosoft.com': the initial domain is always Authoritative."
    ]


# --- Export → import round trip ----------------------------------------------------------------


def connector_properties(connector: OutboundConnector | InboundConnector) -> dict[str, Any]:
    skipped = {"id", "tenant", "created_at", "changed_at"}
    return {
        f.name: getattr(connector, f.attname)
        for f in connector._meta.concrete_fields
        if f.name not in skipped
    }


def demo_like_contoso(contoso: Tenant) -> None:
    AcceptedDomain.objects.filter(tenant=contoso, name="sales.contoso.com").update(
        domain_type=DomainType.INTERNAL_RELAY, match_subdomains=True
    )
    make_outbound(
        contoso,
        "Connector 1",
        all_accepted_domains=True,
        smart_hosts=["mail.contoso.com"],
        cloud_services_mail_enabled=True,
    )
    make_outbound(
        contoso, "Connector 2", recipient_domains=["contoso.com"], smart_hosts=["mail2.contoso.com"]
    )
    make_outbound(
        contoso,
        "Connector 3",
        recipient_domains=["*.contoso.com"],
        smart_hosts=["mail3.contoso.com", "10.5.3.2"],
        validation_recipients=["john@sales.contoso.com"],
        is_validated=True,
        last_validation_timestamp=datetime(2026, 7, 24, 18, 59, 12, 345678, tzinfo=UTC),
    )
    make_outbound(
        contoso,
        'Adatum\'s "MX" $partner',
        connector_type=ConnectorType.PARTNER,
        recipient_domains=["adatum.com", "*.adatum.com"],
        use_mx_record=True,
        smart_hosts=[],
        tls_settings="DomainValidation",
        tls_domain="*.adatum.com",
        comment="Line one\nLine two: ünïcödé",
        enabled=False,
        connector_source="Default",
    )
    make_outbound(
        contoso,
        "Rule scoped",
        is_transport_rule_scoped=True,
        tls_settings=None,
        validation_recipients=["bob@contoso.com"],
        is_validated=False,
        last_validation_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    make_inbound(
        contoso,
        "From on-premises",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        require_tls=True,
        tls_sender_certificate_name="mail.contoso.com",
        cloud_services_mail_enabled=True,
    )
    make_inbound(
        contoso,
        "From on-premises by IP",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.10", "198.51.100.0/24"],
    )
    make_inbound(
        contoso,
        "Adatum by certificate",
        sender_domains=["*.adatum.com"],
        require_tls=True,
        restrict_domains_to_certificate=True,
        tls_sender_certificate_name="*.adatum.com",
    )
    make_inbound(
        contoso,
        "Contoso Bank",
        sender_domains=["contosobank.com"],
        restrict_domains_to_ip_addresses=True,
        sender_ip_addresses=["10.3.1.0/24"],
        enabled=False,
    )


def test_an_export_imported_into_another_tenant_recreates_the_connectors_exactly(
    admin_client_: Client, stranger_client: Client, contoso: Tenant, fabrikam: Tenant
) -> None:
    demo_like_contoso(contoso)
    export = admin_client_.get(reverse("connectors:export_json"))
    assert export["Content-Type"] == "application/json; charset=utf-8"
    assert (
        export["Content-Disposition"]
        == 'attachment; filename="contoso.onmicrosoft.com-connectors.json"'
    )

    response = preview_and_import(stranger_client, bundle_json=export.content.decode())

    assert response.status_code == 302
    for model in (OutboundConnector, InboundConnector):
        theirs = {c.name: connector_properties(c) for c in model.objects.filter(tenant=contoso)}
        copied = {
            c.name: connector_properties(c)
            for c in model.objects.filter(tenant=fabrikam, name__in=theirs)
        }
        assert copied == theirs
    domains = dict(
        AcceptedDomain.objects.filter(tenant=fabrikam).values_list("name", "domain_type")
    )
    assert domains["sales.contoso.com"] == DomainType.INTERNAL_RELAY
    assert "contoso.onmicrosoft.com" not in domains
    assert (
        AcceptedDomain.objects.get(tenant=fabrikam, is_default=True).name
        == "fabrikamlab.onmicrosoft.com"
    )


def test_importing_the_same_export_again_with_replace_changes_nothing(
    admin_client_: Client, contoso: Tenant
) -> None:
    demo_like_contoso(contoso)
    export = admin_client_.get(reverse("connectors:export_json")).content.decode()
    before = state(contoso)
    preview = post(admin_client_, bundle_json=export, replace="on")
    assert {c.action for c in preview.context["plan"].changes} <= {"No change", "Skip"}
    response = post(
        admin_client_, "import", previewed=preview_token(preview), bundle_json=export, replace="on"
    )
    assert response.status_code == 302
    assert state(contoso) == before


def test_the_json_export_holds_only_your_tenant(admin_client_: Client, fabrikam: Tenant) -> None:
    document = json.loads(admin_client_.get(reverse("connectors:export_json")).content)
    names = [
        c["Name"] for part in ("OutboundConnectors", "InboundConnectors") for c in document[part]
    ]
    assert names == ["To Contoso servers", "From Tailspin"]
    assert all("fabrikam" not in d["DomainName"] for d in document["AcceptedDomains"])
    assert document["InboundConnectors"][0]["SenderDomains"] == ["smtp:tailspintoys.com;1"]


# --- manage.py import_tenant -------------------------------------------------------------------


def test_the_command_imports_files_and_dry_run_changes_nothing(
    tmp_path: Path, contoso: Tenant
) -> None:
    outbound = tmp_path / "outbound.json"
    outbound.write_text(dumps(REAL_OUTBOUND), encoding="utf-16")
    before = state(contoso)
    out = StringIO()

    call_command(
        "import_tenant",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--outbound",
        str(outbound),
        "--dry-run",
        stdout=out,
    )

    assert "Would make these changes in Contoso: 1 connector created." in out.getvalue()
    assert state(contoso) == before
    call_command(
        "import_tenant",
        "--tenant",
        "CONTOSO.onmicrosoft.com",
        "--outbound",
        str(outbound),
        stdout=StringIO(),
    )
    assert OutboundConnector.objects.filter(
        tenant=contoso, name="Relay via transport rule"
    ).exists()


def test_the_command_reports_every_error_and_fails(tmp_path: Path, contoso: Tenant) -> None:
    bad = tmp_path / "inbound.json"
    bad.write_text(dumps([{"Name": "x"}]))
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import_tenant",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--inbound",
            str(bad),
            stderr=err,
        )
    assert (
        "Inbound connector 'x': ConnectorType: required: OnPremises or Partner." in err.getvalue()
    )
    with pytest.raises(CommandError, match="No tenant"):
        call_command("import_tenant", "--tenant", "nobody.onmicrosoft.com")


@pytest.mark.parametrize("debug", [False, True])
def test_ten_megabytes_pasted_get_the_import_page_and_its_limit(
    admin_client_: Client, contoso: Tenant, settings: Any, debug: bool
) -> None:
    """Over Django's request limit (2.5 MB) the CSRF check refused it with a bare 400, and with
    DEBUG on (`make run`) a technical page; a pasted file that large now stays on the import page."""
    settings.DEBUG = debug
    before = state(contoso)
    pasted = dumps([dict(REAL_INBOUND, Name="C", Comment="x" * (10 * 1024 * 1024))])

    response = post(admin_client_, inbound_json=pasted)

    assert response.status_code == 413
    assert page_errors(response)[0].startswith("The import sent 10")
    assert "at most 1 MB of JSON can be imported at once" in page_errors(response)[0]
    assert 'name="inbound_json"' in response.content.decode()  # the form, to try again
    assert state(contoso) == before


def test_ten_megabytes_from_a_viewer_get_the_consoles_too_large_page(
    viewer_client: Client, contoso: Tenant
) -> None:
    response = viewer_client.post(URL, {"inbound_json": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That was too much to send" in response.content.decode()
