from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connectors.models import OutboundConnector
from eac.models import AuditEvent, Tenant
from tests.conftest import make_inbound, make_outbound

pytestmark = pytest.mark.django_db


def test_creation_stores_canonical_values_and_writes_an_audit_event(contoso: Tenant) -> None:
    connector = make_outbound(
        contoso,
        "  Canonical  ",
        recipient_domains=["Contoso.COM.", "*.Bücher.example"],
        smart_hosts=["MAIL.contoso.com", "[2001:db8::1]"],
        all_accepted_domains=False,
    )
    connector.refresh_from_db()
    assert connector.name == "Canonical"
    assert connector.recipient_domains == ["contoso.com", "*.xn--bcher-kva.example"]
    assert connector.smart_hosts == ["mail.contoso.com", "2001:db8::1"]
    assert AuditEvent.objects.filter(
        action="outbound_connector.create", target_id=str(connector.pk)
    ).exists()


def test_names_are_unique_across_both_directions_ignoring_case(contoso: Tenant) -> None:
    with pytest.raises(ValidationError, match="already exists"):
        make_inbound(contoso, "to contoso SERVERS")


def test_the_same_name_is_fine_in_another_tenant(contoso: Tenant, fabrikam: Tenant) -> None:
    make_outbound(fabrikam, "To Contoso servers")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"use_mx_record": False, "smart_hosts": []}, "smart_hosts", "at least one smart host"),
        ({"smart_hosts": ["mail.contoso.com:25"]}, "smart_hosts", "port"),
        (
            {"connector_type": "Partner", "all_accepted_domains": True},
            "all_accepted_domains",
            "your organization",
        ),
        ({"tls_settings": "DomainValidation", "tls_domain": ""}, "tls_domain", "domain name"),
        (
            {"tls_settings": "CertificateValidation", "tls_domain": "a.*.com"},
            "tls_domain",
            "wildcard",
        ),
        (
            {"connector_type": "Partner", "route_all_messages_via_on_premises": True},
            "route_all_messages_via_on_premises",
            "your organization",
        ),
        (
            {"connector_type": "Partner", "sender_rewriting_enabled": True},
            "sender_rewriting_enabled",
            "your organization",
        ),
        ({"recipient_domains": ["a.*.com"]}, "recipient_domains", "a.*.com"),
        ({"name": "x" * 65}, "name", "64"),
    ],
)
def test_outbound_rules_are_enforced_with_the_field_named(
    contoso: Tenant, fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_outbound(contoso, str(fields.pop("name", "Rule breaker")), **fields)
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not OutboundConnector.objects.filter(name="Rule breaker").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sender_domains": []}, "sender_domains"),
        ({"sender_ip_addresses": ["10.0.0.0/16"]}, "sender_ip_addresses"),
        ({"restrict_domains_to_certificate": True}, "tls_sender_certificate_name"),
        (
            {"connector_type": "Partner", "treat_messages_as_internal": True},
            "treat_messages_as_internal",
        ),
        (
            {
                "connector_type": "OnPremises",
                "cloud_services_mail_enabled": True,
                "treat_messages_as_internal": True,
            },
            "treat_messages_as_internal",
        ),
        ({"associated_accepted_domains": ["*.contoso.com"]}, "associated_accepted_domains"),
        ({"trusted_organizations": ["not a domain"]}, "trusted_organizations"),
        ({"ef_skip_ips": ["10.0.0.9-10.0.0.1"]}, "ef_skip_ips"),
        ({"ef_skip_ips": ["10.0.0.1-::1"]}, "ef_skip_ips"),
        ({"ef_users": ["not an address"]}, "ef_users"),
    ],
)
def test_inbound_rules_are_enforced_with_the_field_named(
    contoso: Tenant, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_inbound(contoso, "Inbound rule breaker", **fields)
    assert field in caught.value.message_dict
