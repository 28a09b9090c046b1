"""What each role sees and may do. Controls a role can't use are not rendered, and the server
refuses the request anyway."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import AcceptedDomain, Tenant, User
from eac.roles import Role
from tests.conftest import client_for, make_member

pytestmark = pytest.mark.django_db

CONTROLS = {
    "add_domain": "Add a domain",
    "save": ">Save</button>",
    "remove_domain": "Remove domain",
}

# role -> controls it must see on a domain's details panel
VISIBLE = {
    Role.ORGANIZATION_MANAGEMENT: {"add_domain", "save", "remove_domain"},
    Role.MAIL_FLOW_ADMINISTRATOR: {"save"},
    Role.VIEW_ONLY: set(),
}


def _member(contoso: Tenant, role: Role) -> User:
    return make_member(f"{role.lower()}@contoso.com", contoso, role)


@pytest.mark.parametrize("role", list(Role))
def test_the_domain_panel_shows_only_the_controls_the_role_may_use(
    role: Role, contoso: Tenant, domain: AcceptedDomain
) -> None:
    html = (
        client_for(_member(contoso, role))
        .get(reverse("accepted_domain", args=[domain.pk]))
        .content.decode()
    )
    for control, text in CONTROLS.items():
        assert (text in html) == (control in VISIBLE[role]), f"{role}: {control}"


@pytest.mark.parametrize("role", list(Role))
def test_changing_a_domain_type_is_refused_unless_the_role_allows_it(
    role: Role, contoso: Tenant, domain: AcceptedDomain
) -> None:
    client = client_for(_member(contoso, role))
    response = client.post(
        reverse("accepted_domain", args=[domain.pk]), {"domain_type": "InternalRelay"}
    )
    domain.refresh_from_db()
    allowed = role != Role.VIEW_ONLY
    assert response.status_code == (302 if allowed else 403)
    assert domain.domain_type == ("InternalRelay" if allowed else "Authoritative")


@pytest.mark.parametrize("role", list(Role))
def test_adding_and_removing_domains_is_for_organization_management_only(
    role: Role, contoso: Tenant, domain: AcceptedDomain
) -> None:
    client = client_for(_member(contoso, role))
    add = client.post(
        reverse("accepted_domain_add"), {"name": "new.contoso.com", "domain_type": "Authoritative"}
    )
    remove = client.post(reverse("accepted_domain_remove", args=[domain.pk]))
    allowed = role == Role.ORGANIZATION_MANAGEMENT
    assert (add.status_code, remove.status_code) == ((302, 302) if allowed else (403, 403))
    assert AcceptedDomain.objects.filter(tenant=contoso, name="new.contoso.com").exists() == allowed
    assert AcceptedDomain.objects.filter(pk=domain.pk).exists() != allowed


def test_view_only_users_see_no_connector_controls(viewer_client: Client, contoso: Tenant) -> None:
    list_html = viewer_client.get(reverse("connectors:list")).content.decode()
    connector = contoso.outboundconnectors.get()
    details_html = viewer_client.get(
        reverse("connectors:details", args=["outbound", connector.pk])
    ).content.decode()
    inbound = contoso.inboundconnectors.get()
    inbound_html = viewer_client.get(
        reverse("connectors:details", args=["inbound", inbound.pk])
    ).content.decode()
    controls = (
        "Add a connector",
        "Edit ",
        "Delete",
        "Validate this connector",
        "Turn on",
        "Turn off",
        'type="checkbox"',
    )
    for html in (list_html, details_html, inbound_html):
        for word in controls:
            assert word not in html
    assert "To Contoso servers" in list_html


def test_view_only_users_cannot_open_the_add_domain_page(viewer_client: Client) -> None:
    assert viewer_client.get(reverse("accepted_domain_add")).status_code == 403
