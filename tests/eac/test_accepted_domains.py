from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import AcceptedDomain, AuditEvent, Tenant
from tests.conftest import make_outbound

pytestmark = pytest.mark.django_db


def test_the_page_lists_name_accepted_domain_and_type_with_the_default_marked(
    admin_client_: Client, contoso: Tenant
) -> None:
    AcceptedDomain.objects.filter(tenant=contoso, name="contoso.onmicrosoft.com").update(
        is_default=False
    )
    AcceptedDomain.objects.filter(tenant=contoso, name="contoso.com").update(is_default=True)
    html = admin_client_.get(reverse("accepted_domains")).content.decode()
    for header in ("Name", "Accepted domain", "Domain type"):
        assert f">{header}" in html
    assert "contoso.com(default domain)" in html
    assert "3 items" in html


def test_switching_to_internal_relay_with_subdomains_is_saved_and_audited(
    admin_client_: Client, admin: object, domain: AcceptedDomain
) -> None:
    response = admin_client_.post(
        reverse("accepted_domain", args=[domain.pk]),
        {"domain_type": "InternalRelay", "match_subdomains": "on"},
        follow=True,
    )
    domain.refresh_from_db()
    assert (domain.domain_type, domain.match_subdomains) == ("InternalRelay", True)
    assert "The accepted domain is updated successfully" in response.content.decode()
    event = AuditEvent.objects.get(action="accepted_domain.update")
    assert event.actor == admin
    assert event.before is not None
    assert event.after is not None
    assert event.before["domain_type"] == "Authoritative"
    assert event.after == event.after | {"domain_type": "InternalRelay", "match_subdomains": True}


def test_subdomains_are_refused_for_an_authoritative_domain_next_to_the_field(
    admin_client_: Client, domain: AcceptedDomain
) -> None:
    response = admin_client_.post(
        reverse("accepted_domain", args=[domain.pk]),
        {"domain_type": "Authoritative", "match_subdomains": "on"},
    )
    assert response.status_code == 422
    assert "only be accepted for an Internal relay domain" in response.content.decode()
    domain.refresh_from_db()
    assert domain.match_subdomains is False


def test_the_initial_domain_stays_authoritative(admin_client_: Client, contoso: Tenant) -> None:
    initial = AcceptedDomain.objects.get(tenant=contoso, name="contoso.onmicrosoft.com")
    response = admin_client_.post(
        reverse("accepted_domain", args=[initial.pk]), {"domain_type": "InternalRelay"}
    )
    assert response.status_code == 422
    assert "always Authoritative" in response.content.decode()


def test_an_admin_adds_a_domain_typed_in_any_case_with_a_trailing_dot(
    admin_client_: Client, contoso: Tenant
) -> None:
    response = admin_client_.post(
        reverse("accepted_domain_add"),
        {"name": "Bücher.Contoso.COM.", "domain_type": "Authoritative"},
    )
    assert response.status_code == 302
    assert AcceptedDomain.objects.filter(tenant=contoso, name="xn--bcher-kva.contoso.com").exists()
    added = AuditEvent.objects.get(action="accepted_domain.add", actor__email="admin@contoso.com")
    assert added.after is not None
    assert added.after["name"] == "xn--bcher-kva.contoso.com"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "This field is required."),
        ("bad_domain.com", "Underscores"),
        ("contoso.com", "already an accepted domain"),
    ],
)
def test_a_bad_domain_is_refused_next_to_the_field_and_the_text_is_kept(
    typed: str, message: str, admin_client_: Client
) -> None:
    response = admin_client_.post(
        reverse("accepted_domain_add"), {"name": typed, "domain_type": "Authoritative"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html
    assert f'value="{typed}"' in html or not typed


def test_the_initial_domain_cannot_be_removed(admin_client_: Client, contoso: Tenant) -> None:
    initial = AcceptedDomain.objects.get(tenant=contoso, name="contoso.onmicrosoft.com")
    panel = admin_client_.get(reverse("accepted_domain", args=[initial.pk])).content.decode()
    response = admin_client_.post(reverse("accepted_domain_remove", args=[initial.pk]))
    assert "Remove domain" not in panel
    assert response.status_code == 422
    assert "initial domain can&#x27;t be removed" in response.content.decode()
    assert AcceptedDomain.objects.filter(pk=initial.pk).exists()


def test_removing_a_domain_a_connector_names_warns_first(
    admin_client_: Client, contoso: Tenant
) -> None:
    make_outbound(contoso, "Sales route", recipient_domains=["sales.contoso.com"])
    domain = AcceptedDomain.objects.get(tenant=contoso, name="sales.contoso.com")
    confirm = admin_client_.get(
        reverse("accepted_domain_remove", args=[domain.pk])
    ).content.decode()
    assert "This domain is in use" in confirm
    assert "Sales route" in confirm
    assert AcceptedDomain.objects.filter(pk=domain.pk).exists()

    admin_client_.post(reverse("accepted_domain_remove", args=[domain.pk]))
    assert not AcceptedDomain.objects.filter(pk=domain.pk).exists()
    event = AuditEvent.objects.get(action="accepted_domain.remove")
    assert event.before is not None
    assert event.before["name"] == "sales.contoso.com"


def test_the_details_panel_swaps_in_alone_for_htmx(
    admin_client_: Client, domain: AcceptedDomain
) -> None:
    response = admin_client_.get(
        reverse("accepted_domain", args=[domain.pk]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<aside id="flyout"')
    assert "Accept mail for all subdomains" in html
    assert response["Vary"].count("HX-Request") == 1
