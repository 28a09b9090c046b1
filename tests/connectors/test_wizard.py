"""The "Add a connector" wizard through its views: each scenario's answers create exactly the
connector New-OutboundConnector / New-InboundConnector would."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from eac.models import AuditEvent, Tenant
from tests.conftest import make_outbound

pytestmark = pytest.mark.django_db


def start(client: Client) -> ConnectorDraft:
    response = client.post(reverse("connectors:wizard_start"))
    assert response.status_code == 302
    return ConnectorDraft.objects.latest("created_at")


def step(
    client: Client, draft: ConnectorDraft, key: str, data: dict[str, Any], **headers: str
) -> Any:
    url = reverse("connectors:wizard_step", args=[draft.pk, key])
    return client.post(url, {"action": "next", **data}, headers=headers)


def walk(client: Client, answers: list[tuple[str, dict[str, Any]]]) -> ConnectorDraft:
    draft = start(client)
    for key, data in answers:
        response = step(client, draft, key, data)
        assert response.status_code == 302, (key, response.content.decode()[:2000])
    return draft


def create(client: Client, draft: ConnectorDraft) -> Any:
    return client.post(
        reverse("connectors:wizard_step", args=[draft.pk, "review"]), {"action": "create"}
    )


def skip_validation(client: Client, draft: ConnectorDraft) -> None:
    url = reverse("connectors:wizard_step", args=[draft.pk, "validation"])
    asked = client.post(url, {"action": "next"})
    assert "Are you sure" in asked.content.decode()
    assert "Yes, proceed" in asked.content.decode()
    assert client.post(url, {"action": "proceed"}).status_code == 302


def test_office_365_to_your_organization_creates_the_onpremises_outbound_connector(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "office365", "target": "your_org"}),
            (
                "name",
                {
                    "name": "To Contoso on-premises",
                    "description": "Hybrid",
                    "turn_on": "on",
                    "retain_headers": "on",
                },
            ),
            ("use", {"use": "all_accepted_domains"}),
            ("routing", {"smart_hosts": ["mail.contoso.com"], "smart_hosts_new": "192.168.3.2"}),
            (
                "security",
                {
                    "tls": "on",
                    "certificate": "trusted_ca",
                    "match_domain": "on",
                    "tls_domain": "*.contoso.com",
                },
            ),
        ],
    )
    skip_validation(admin_client_, draft)
    assert create(admin_client_, draft).status_code == 302
    c = OutboundConnector.objects.get(tenant=contoso, name="To Contoso on-premises")
    assert (c.connector_type, c.connector_source, c.comment, c.enabled) == (
        "OnPremises",
        "AdminUI",
        "Hybrid",
        True,
    )
    assert (c.all_accepted_domains, c.is_transport_rule_scoped, c.recipient_domains) == (
        True,
        False,
        [],
    )
    assert (c.use_mx_record, c.smart_hosts) == (False, ["mail.contoso.com", "192.168.3.2"])
    assert (c.tls_settings, c.tls_domain, c.cloud_services_mail_enabled) == (
        "DomainValidation",
        "*.contoso.com",
        True,
    )
    assert (c.is_validated, c.last_validation_timestamp) == (False, None)
    assert AuditEvent.objects.filter(
        action="outbound_connector.create", target_id=str(c.pk)
    ).exists()


def test_office_365_to_a_partner_uses_mx_and_has_no_header_option(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = start(admin_client_)
    step(admin_client_, draft, "scenario", {"source": "office365", "target": "partner"})
    name_page = admin_client_.get(
        reverse("connectors:wizard_step", args=[draft.pk, "name"])
    ).content.decode()
    assert "Retain internal Exchange email headers" not in name_page
    step(
        admin_client_, draft, "name", {"name": "To Adatum", "turn_on": "on", "retain_headers": "on"}
    )
    use_page = admin_client_.get(
        reverse("connectors:wizard_step", args=[draft.pk, "use"])
    ).content.decode()
    assert "all accepted domains" not in use_page
    for key, data in [
        ("use", {"use": "domains", "recipient_domains_new": "adatum.com"}),
        ("routing", {"route": "mx"}),
        ("security", {"tls": "on", "certificate": "any"}),
    ]:
        assert step(admin_client_, draft, key, data).status_code == 302
    skip_validation(admin_client_, draft)
    create(admin_client_, draft)
    c = OutboundConnector.objects.get(tenant=contoso, name="To Adatum")
    assert (c.connector_type, c.recipient_domains, c.use_mx_record, c.smart_hosts) == (
        "Partner",
        ["adatum.com"],
        True,
        [],
    )
    assert (
        c.all_accepted_domains,
        c.tls_settings,
        c.tls_domain,
        c.cloud_services_mail_enabled,
    ) == (False, "EncryptionOnly", "", False)


def test_your_organization_to_office_365_by_certificate(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "your_org"}),
            ("name", {"name": "From Contoso servers", "turn_on": "on"}),
            ("identity", {"identify": "certificate", "certificate_domain": "mail.contoso.com"}),
        ],
    )
    create(admin_client_, draft)
    c = InboundConnector.objects.get(tenant=contoso, name="From Contoso servers")
    assert (c.connector_type, c.sender_domains, c.sender_ip_addresses) == ("OnPremises", ["*"], [])
    assert (c.require_tls, c.tls_sender_certificate_name, c.restrict_domains_to_certificate) == (
        True,
        "mail.contoso.com",
        False,
    )
    assert c.cloud_services_mail_enabled is False  # retain headers was unticked


def test_partner_to_office_365_with_tls_certificate_and_ip_restrictions(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "partner"}),
            ("name", {"name": "From ContosoBank", "turn_on": "on"}),
            (
                "identity",
                {
                    "identify": "domains",
                    "sender_domains": ["contosobank.com"],
                    "sender_domains_new": "*.contosobank.com",
                },
            ),
            (
                "inbound_security",
                {
                    "require_tls": "on",
                    "restrict_to_certificate": "on",
                    "certificate_domain": "*.contosobank.com",
                    "restrict_to_ips": "on",
                    "restricted_ips_new": "10.3.1.5/24",
                },
            ),
        ],
    )
    create(admin_client_, draft)
    c = InboundConnector.objects.get(tenant=contoso, name="From ContosoBank")
    assert (c.connector_type, c.sender_domains) == (
        "Partner",
        ["contosobank.com", "*.contosobank.com"],
    )
    assert (c.require_tls, c.restrict_domains_to_certificate, c.tls_sender_certificate_name) == (
        True,
        True,
        "*.contosobank.com",
    )
    assert (c.restrict_domains_to_ip_addresses, c.sender_ip_addresses) == (True, ["10.3.1.5/24"])


@pytest.mark.parametrize(
    ("key", "data", "message"),
    [
        ("name", {"name": ""}, "Enter a name."),
        ("name", {"name": "x" * 65}, "64"),
    ],
)
def test_a_bad_answer_is_shown_next_to_its_field_and_the_step_stays(
    admin_client_: Client, contoso: Tenant, key: str, data: dict[str, Any], message: str
) -> None:
    draft = walk(admin_client_, [("scenario", {"source": "office365", "target": "your_org"})])
    response = step(admin_client_, draft, key, data)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_typed_but_unadded_smart_host_is_reported_on_next(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "office365", "target": "your_org"}),
            ("name", {"name": "Typed", "turn_on": "on"}),
            ("use", {"use": "transport_rule"}),
        ],
    )
    response = step(admin_client_, draft, "routing", {"smart_hosts_new": "mail.contoso.com:25"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "port" in html
    assert 'value="mail.contoso.com:25"' in html


def test_plus_adds_a_row_and_delete_removes_it_without_moving_on(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "office365", "target": "your_org"}),
            ("name", {"name": "Rows", "turn_on": "on"}),
        ],
    )
    url = reverse("connectors:wizard_step", args=[draft.pk, "use"])
    added = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains_new": "Contoso.COM",
            "list_action": "add:recipient_domains",
        },
    )
    html = added.content.decode()
    assert added.status_code == 200
    assert 'name="recipient_domains" value="contoso.com"' in html
    assert "field-error" not in html
    bad = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_new": "a.*.com",
            "list_action": "add:recipient_domains",
        },
    ).content.decode()
    assert "a.*.com" in bad
    assert "field-error" in bad
    assert 'name="recipient_domains" value="contoso.com"' in bad
    removed = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "list_action": "remove:recipient_domains:0",
        },
    )
    assert 'name="recipient_domains" value' not in removed.content.decode()
    draft.refresh_from_db()
    assert "use" not in draft.completed


def test_a_step_reached_out_of_order_redirects_to_the_first_incomplete_one(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, [("scenario", {"source": "office365", "target": "your_org"})])
    response = admin_client_.get(reverse("connectors:wizard_step", args=[draft.pk, "security"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("connectors:wizard_step", args=[draft.pk, "name"])


def test_back_keeps_what_was_entered(admin_client_: Client, contoso: Tenant) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "office365", "target": "your_org"}),
            ("name", {"name": "Kept name", "description": "Kept description", "turn_on": "on"}),
        ],
    )
    back = admin_client_.post(
        reverse("connectors:wizard_step", args=[draft.pk, "use"]), {"action": "back"}
    )
    assert back["Location"] == reverse("connectors:wizard_step", args=[draft.pk, "name"])
    html = admin_client_.get(back["Location"]).content.decode()
    assert 'value="Kept name"' in html
    assert "Kept description" in html


def test_htmx_swaps_the_next_step_in_and_pushes_its_url(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = start(admin_client_)
    response = step(
        admin_client_, draft, "scenario", {"source": "partner"}, **{"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Push-Url"] == reverse("connectors:wizard_step", args=[draft.pk, "name"])
    assert html.lstrip().startswith('<div id="wizard"')
    assert "Connector name" in html
    assert "Authenticating sent email" in html
    assert "Validation email" not in html


def test_a_view_only_user_cannot_start_or_continue_a_wizard(
    viewer_client: Client, admin_client_: Client, contoso: Tenant
) -> None:
    draft = start(admin_client_)
    assert viewer_client.post(reverse("connectors:wizard_start")).status_code == 403
    assert (
        viewer_client.get(
            reverse("connectors:wizard_step", args=[draft.pk, "scenario"])
        ).status_code
        == 403
    )
    assert "Add a connector" not in viewer_client.get(reverse("connectors:list")).content.decode()


def test_another_tenants_draft_is_not_found(
    stranger_client: Client, admin_client_: Client, contoso: Tenant
) -> None:
    draft = start(admin_client_)
    assert (
        stranger_client.get(
            reverse("connectors:wizard_step", args=[draft.pk, "scenario"])
        ).status_code
        == 404
    )


def test_a_draft_creates_one_connector_only(admin_client_: Client, contoso: Tenant) -> None:
    draft = walk(
        admin_client_,
        [
            ("scenario", {"source": "your_org"}),
            ("name", {"name": "Once", "turn_on": "on"}),
            ("identity", {"identify": "ip", "sender_ips_new": "203.0.113.10"}),
        ],
    )
    first = create(admin_client_, draft)
    second = create(admin_client_, draft)
    assert first["Location"] == reverse("connectors:wizard_created", args=[draft.pk])
    assert second.status_code == 302
    assert InboundConnector.objects.filter(tenant=contoso, name="Once").count() == 1
    page = admin_client_.get(first["Location"]).content.decode()
    assert "Connector created" in page
    assert "Add another connector" in page
    assert "Done" in page


OUTBOUND_WALK = [
    ("scenario", {"source": "office365", "target": "your_org"}),
    ("name", {"name": "Every step", "turn_on": "on"}),
    ("use", {"use": "transport_rule"}),
    ("routing", {"smart_hosts_new": "mail.contoso.com"}),
    ("security", {"tls": "on", "certificate": "trusted_ca"}),
]


@pytest.mark.parametrize(
    "key", ["scenario", "name", "use", "routing", "security", "validation", "review"]
)
def test_each_step_is_a_full_page_and_an_htmx_partial(
    admin_client_: Client, contoso: Tenant, key: str
) -> None:
    draft = walk(admin_client_, OUTBOUND_WALK)
    admin_client_.post(
        reverse("connectors:wizard_step", args=[draft.pk, "validation"]), {"action": "proceed"}
    )
    url = reverse("connectors:wizard_step", args=[draft.pk, key])
    full = admin_client_.get(url)
    partial = admin_client_.get(url, headers={"HX-Request": "true"})
    assert full.status_code == partial.status_code == 200
    assert full.content.decode().startswith("<!doctype html>")
    assert partial.content.decode().lstrip().startswith('<div id="wizard"')
    assert "HX-Request" in full["Vary"]
    history = admin_client_.get(
        url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert history.content.decode().startswith("<!doctype html>")  # Back/Forward get the whole page


def test_a_description_over_1024_characters_is_refused_beside_the_field(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, [("scenario", {"source": "office365", "target": "your_org"})])
    response = step(admin_client_, draft, "name", {"name": "Long", "description": "x" * 1025})
    assert response.status_code == 422
    assert (
        "Ensure this value has at most 1024 characters (it has 1025)." in response.content.decode()
    )
    accepted = step(admin_client_, draft, "name", {"name": "Long", "description": "x" * 1024})
    assert accepted.status_code == 302


def test_no_way_in_saves_a_comment_over_1024_characters(contoso: Tenant) -> None:
    """The import and the services check it too: 2 MB was saved before."""
    with pytest.raises(ValidationError, match="at most 1024 characters"):
        make_outbound(contoso, "Long comment", comment="x" * (2 * 1024 * 1024))
    assert not OutboundConnector.objects.filter(name="Long comment").exists()
