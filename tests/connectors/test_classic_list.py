"""The Classic EAC view of the tenant: mail flow > connectors with its details pane, mail flow >
accepted domains, and the header switch between the Classic and the New view."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant
from tests.conftest import make_inbound, make_outbound

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [_text(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _pane(html: str) -> str:
    match = re.search(r'<section class="classic-pane".*?</section>', html, re.S)
    return _text(match.group(0)) if match else ""


def _switch(html: str) -> str:
    match = re.search(r'<a class="switch-view" href="([^"]+)"', html)
    assert match, "the header has no switch link"
    return match.group(1)


@pytest.fixture
def outbound(contoso: Tenant) -> OutboundConnector:
    return OutboundConnector.objects.get(tenant=contoso)


@pytest.fixture
def inbound(contoso: Tenant) -> InboundConnector:
    return InboundConnector.objects.get(tenant=contoso)


@pytest.fixture
def four_scenarios(contoso: Tenant) -> Tenant:
    make_outbound(
        contoso,
        "Alpha to partner",
        connector_type="Partner",
        use_mx_record=True,
        smart_hosts=[],
        recipient_domains=["partner.example"],
        enabled=False,
    )
    make_inbound(
        contoso,
        "Beta from our servers",
        connector_type="OnPremises",
        sender_domains=["*"],
        tls_sender_certificate_name="mail.contoso.com",
    )
    return contoso


def _details(connector: OutboundConnector | InboundConnector) -> str:
    return reverse("classic:connector", args=[connector.direction, connector.pk])


# --- the list --------------------------------------------------------------------------------


def test_the_classic_list_shows_full_scenario_names_sorted_by_status(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    html = admin_client_.get(reverse("classic:connectors")).content.decode()
    assert _rows(html) == [
        ["Off", "Alpha to partner", "Office 365", "Partner organization"],
        ["On", "Beta from our servers", "Your organization's email server", "Office 365"],
        ["On", "From Tailspin", "Partner organization", "Office 365"],
        ["On", "To Contoso servers", "Office 365", "Your organization's email server"],
    ]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a [^>]*>Status<span[^>]*>▲', html)
    assert "O365" not in html


def test_the_classic_shell_has_the_lower_case_navigation_and_mail_flow_tabs(
    admin_client_: Client, contoso: Tenant
) -> None:
    text = _text(admin_client_.get(reverse("classic:connectors")).content.decode())
    assert "Office 365" in text
    assert "Exchange admin center" in text
    nav = (
        "dashboard recipients permissions compliance management organization protection "
        "advanced threats mail flow mobile public folders unified messaging hybrid"
    )
    assert nav in text
    assert "rules message trace accepted domains remote domains connectors" in text


def test_sorting_by_name_descending_keeps_the_order_when_a_row_is_selected(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    html = admin_client_.get(
        reverse("classic:connectors"), {"sort": "name", "desc": "1"}
    ).content.decode()
    names = [row[1] for row in _rows(html)]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert re.search(
        r'href="/classic/mail-flow/connectors/outbound/[0-9a-f-]+/\?sort=name&amp;desc=1"', html
    )


def test_an_empty_organization_shows_no_items(admin_client_: Client, contoso: Tenant) -> None:
    OutboundConnector.objects.filter(tenant=contoso).delete()
    InboundConnector.objects.filter(tenant=contoso).delete()
    html = admin_client_.get(reverse("classic:connectors")).content.decode()
    assert "There are no items to show in this view." in html


# --- the details pane ------------------------------------------------------------------------


def test_selecting_an_outbound_connector_shows_its_details_pane(
    admin_client_: Client, outbound: OutboundConnector
) -> None:
    html = admin_client_.get(_details(outbound)).content.decode()
    assert '<tr class="selected">' in html
    assert _pane(html).strip() == (
        "To Contoso servers Mail flow scenario From: Office 365 "
        "To: Your organization's email server Description None Status On Turn it off "
        "Validation Validate this connector Last validation result: None "
        "Last validation time: None"
    )


def test_the_pane_shows_the_description_and_the_last_validation(
    admin_client_: Client, outbound: OutboundConnector
) -> None:
    OutboundConnector.objects.filter(pk=outbound.pk).update(
        comment="Relay to the datacenter",
        is_validated=True,
        last_validation_timestamp=datetime(2015, 9, 9, 15, 48, tzinfo=UTC),
    )
    pane = _pane(admin_client_.get(_details(outbound)).content.decode())
    assert "Description Relay to the datacenter" in pane
    assert "Last validation result: Successful" in pane
    assert "Last validation time: 9/9/2015 3:48 PM" in pane

    OutboundConnector.objects.filter(pk=outbound.pk).update(is_validated=False)
    pane = _pane(admin_client_.get(_details(outbound)).content.decode())
    assert "Last validation result: Failed" in pane


def test_an_inbound_connector_has_no_validation_section(
    admin_client_: Client, inbound: InboundConnector
) -> None:
    pane = _pane(admin_client_.get(_details(inbound)).content.decode())
    assert "From: Partner organization To: Office 365" in pane
    assert "Validation" not in pane


def test_the_toolbar_targets_the_selected_connector(
    admin_client_: Client, outbound: OutboundConnector
) -> None:
    html = admin_client_.get(_details(outbound)).content.decode()
    assert f'action="{reverse("classic_wizard:start")}"' in html
    edit = reverse("classic_wizard:edit", args=["outbound", outbound.pk])
    assert f'action="{edit}"' in html
    delete = reverse("connectors:delete", args=["outbound", outbound.pk])
    assert f'href="{delete}" title="Delete" aria-label="Delete"' in html


def test_without_a_selection_edit_and_delete_are_disabled(
    admin_client_: Client, contoso: Tenant
) -> None:
    html = admin_client_.get(reverse("classic:connectors")).content.decode()
    assert re.search(
        r'<button class="icon-button" type="button" disabled [^>]*aria-label="Edit"', html
    )
    assert re.search(r'<button [^>]* disabled [^>]*aria-label="Delete"', html)


def test_the_plus_starts_the_classic_wizard(admin_client_: Client, contoso: Tenant) -> None:
    response = admin_client_.post(reverse("classic_wizard:start"))
    assert response.status_code == 302
    assert response["Location"].startswith("/classic/mail-flow/connectors/new/")


def test_a_selected_query_opens_that_connectors_pane(
    admin_client_: Client, outbound: OutboundConnector
) -> None:
    response = admin_client_.get(
        reverse("classic:connectors"), {"selected": f"outbound:{outbound.pk}"}
    )
    assert response.status_code == 302
    assert response["Location"] == _details(outbound)
    html = admin_client_.get(
        reverse("classic:connectors"), {"selected": "nonsense"}
    ).content.decode()
    assert "To Contoso servers" in html


# --- Turn it on / Turn it off ----------------------------------------------------------------


def test_turn_it_off_and_on_again_returns_to_the_classic_pane(
    admin_client_: Client, outbound: OutboundConnector
) -> None:
    url = reverse("classic:connector_status", args=["outbound", outbound.pk])
    response = admin_client_.post(url, {"status": "off"}, follow=True)
    assert response.redirect_chain == [(_details(outbound), 302)]
    html = response.content.decode()
    assert "To Contoso servers was turned off." in html
    assert "Status Off Turn it on" in _pane(html)
    outbound.refresh_from_db()
    assert outbound.enabled is False

    admin_client_.post(url, {"status": "on"})
    outbound.refresh_from_db()
    assert outbound.enabled is True


def test_a_status_other_than_on_or_off_is_refused(
    admin_client_: Client, inbound: InboundConnector
) -> None:
    url = reverse("classic:connector_status", args=["inbound", inbound.pk])
    assert admin_client_.post(url, {"status": "maybe"}).status_code == 400
    assert admin_client_.get(url).status_code == 405


# --- view-only -------------------------------------------------------------------------------


def test_a_view_only_user_sees_the_list_and_pane_without_controls(
    viewer_client: Client, outbound: OutboundConnector
) -> None:
    html = viewer_client.get(_details(outbound)).content.decode()
    assert "To Contoso servers" in _pane(html)
    for control in ('aria-label="New"', 'aria-label="Edit"', 'aria-label="Delete"'):
        assert control not in html
    for words in ("Turn it off", "Turn it on", "Validate this connector"):
        assert words not in html
    assert 'aria-label="Refresh"' in html


def test_a_view_only_users_posts_are_refused(
    viewer_client: Client, outbound: OutboundConnector, domain: AcceptedDomain
) -> None:
    status_url = reverse("classic:connector_status", args=["outbound", outbound.pk])
    assert viewer_client.post(status_url, {"status": "off"}).status_code == 403
    assert viewer_client.post(reverse("classic_wizard:start")).status_code == 403
    edit_url = reverse("classic:accepted_domain_edit", args=[domain.pk])
    assert viewer_client.post(edit_url, {"domain_type": "InternalRelay"}).status_code == 403
    outbound.refresh_from_db()
    domain.refresh_from_db()
    assert outbound.enabled is True
    assert domain.domain_type == "Authoritative"


# --- isolation -------------------------------------------------------------------------------


def test_another_tenants_connector_is_not_found(admin_client_: Client, fabrikam: Tenant) -> None:
    foreign = OutboundConnector.objects.get(tenant=fabrikam)
    assert admin_client_.get(_details(foreign)).status_code == 404
    url = reverse("classic:connector_status", args=["outbound", foreign.pk])
    assert admin_client_.post(url, {"status": "off"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.enabled is True


def test_the_classic_list_shows_no_foreign_rows(admin_client_: Client, fabrikam: Tenant) -> None:
    for url in (reverse("classic:connectors"), reverse("classic:accepted_domains")):
        html = admin_client_.get(url).content.decode()
        assert "Fabrikam" not in html
        assert "fabrikamlab" not in html


# --- accepted domains ------------------------------------------------------------------------


def test_the_classic_accepted_domains_show_full_type_names(
    admin_client_: Client, domain: AcceptedDomain
) -> None:
    domain.domain_type = "InternalRelay"
    domain.save()
    html = admin_client_.get(reverse("classic:accepted_domains")).content.decode()
    assert _rows(html) == [
        ["contoso.com", "contoso.com", "Authoritative"],
        ["contoso.onmicrosoft.com", "contoso.onmicrosoft.com", "Authoritative"],
        ["sales.contoso.com", "sales.contoso.com", "Internal Relay"],
    ]


def test_the_domain_edit_page_has_the_classic_controls(
    admin_client_: Client, domain: AcceptedDomain
) -> None:
    html = admin_client_.get(
        reverse("classic:accepted_domain_edit", args=[domain.pk])
    ).content.decode()
    text = _text(html)
    assert "This accepted domain is:" in text
    assert " Authoritative: " in text
    assert " Internal Relay: " in text
    assert re.search(r'<input type="checkbox" disabled> Make this the default domain\.', html)
    assert "Accept mail for all subdomains" in text
    assert ">Save</button>" in html
    assert " data-escape-closes>Cancel</a>" in html  # Escape closes the window, as Cancel does


def test_saving_a_domain_as_internal_relay_returns_to_the_classic_list(
    admin_client_: Client, domain: AcceptedDomain
) -> None:
    url = reverse("classic:accepted_domain_edit", args=[domain.pk])
    response = admin_client_.post(
        url, {"domain_type": "InternalRelay", "match_subdomains": "on"}, follow=True
    )
    assert response.redirect_chain == [(reverse("classic:accepted_domain", args=[domain.pk]), 302)]
    assert "The accepted domain is updated successfully" in response.content.decode()
    domain.refresh_from_db()
    assert (domain.domain_type, domain.match_subdomains) == ("InternalRelay", True)


def test_subdomains_need_internal_relay(admin_client_: Client, domain: AcceptedDomain) -> None:
    url = reverse("classic:accepted_domain_edit", args=[domain.pk])
    response = admin_client_.post(url, {"domain_type": "Authoritative", "match_subdomains": "on"})
    assert response.status_code == 422
    html = response.content.decode()
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "autofocus" in summary.split(">", 1)[0]
    assert 'role="alert"' in summary.split(">", 1)[0]
    assert (
        '<a href="#id_match_subdomains">Subdomains can only be accepted for an Internal relay '
        "domain.</a>" in summary
    )
    assert re.search(
        r'id="id_match_subdomains"[^>]* aria-invalid="true" '
        r'aria-describedby="id_match_subdomains_error"',
        html,
    )
    assert '<div class="field-error" id="id_match_subdomains_error">' in html


def test_a_view_only_user_sees_the_domain_read_only(
    viewer_client: Client, domain: AcceptedDomain
) -> None:
    assert (
        'aria-label="Edit"'
        not in viewer_client.get(
            reverse("classic:accepted_domain", args=[domain.pk])
        ).content.decode()
    )
    html = viewer_client.get(
        reverse("classic:accepted_domain_edit", args=[domain.pk])
    ).content.decode()
    assert "<fieldset disabled>" in html
    assert ">Save</button>" not in html


def test_another_tenants_domain_is_not_found(admin_client_: Client, fabrikam: Tenant) -> None:
    foreign = AcceptedDomain.objects.get(tenant=fabrikam, name="fabrikamlab.com")
    assert (
        admin_client_.get(reverse("classic:accepted_domain", args=[foreign.pk])).status_code == 404
    )
    edit = reverse("classic:accepted_domain_edit", args=[foreign.pk])
    assert admin_client_.post(edit, {"domain_type": "InternalRelay"}).status_code == 404


# --- the switch between the views ------------------------------------------------------------


def test_the_switch_links_map_the_connectors_list_both_ways(
    admin_client_: Client, contoso: Tenant
) -> None:
    new_list, classic_list = reverse("connectors:list"), reverse("classic:connectors")
    new_html = admin_client_.get(new_list).content.decode()
    assert _switch(new_html) == classic_list
    assert "Classic Exchange admin center</a>" in new_html
    classic_html = admin_client_.get(classic_list).content.decode()
    assert _switch(classic_html) == new_list
    assert "Switch to the new Exchange admin center</a>" in classic_html


def test_the_switch_links_map_a_connector_both_ways(
    admin_client_: Client, outbound: OutboundConnector, inbound: InboundConnector
) -> None:
    for connector in (outbound, inbound):
        new = reverse("connectors:details", args=[connector.direction, connector.pk])
        classic = _details(connector)
        assert _switch(admin_client_.get(new).content.decode()) == classic
        assert _switch(admin_client_.get(classic).content.decode()) == new


def test_the_switch_links_map_accepted_domains_both_ways(
    admin_client_: Client, domain: AcceptedDomain
) -> None:
    pairs = [
        (reverse("accepted_domains"), reverse("classic:accepted_domains")),
        (
            reverse("accepted_domain", args=[domain.pk]),
            reverse("classic:accepted_domain", args=[domain.pk]),
        ),
    ]
    for new, classic in pairs:
        assert _switch(admin_client_.get(new).content.decode()) == classic
        assert _switch(admin_client_.get(classic).content.decode()) == new
    edit = reverse("classic:accepted_domain_edit", args=[domain.pk])
    assert _switch(admin_client_.get(edit).content.decode()) == pairs[1][0]


def test_any_other_page_switches_to_the_other_views_connectors_list(
    admin_client_: Client, outbound: OutboundConnector
) -> None:
    edit = reverse("connectors:edit", args=["outbound", outbound.pk, "name"])
    assert _switch(admin_client_.get(edit).content.decode()) == reverse("classic:connectors")


def test_the_classic_organization_picker_stays_in_the_classic_view(
    admin_client_: Client, admin: object, fabrikam: Tenant
) -> None:
    from eac.roles import Role
    from tests.conftest import make_member

    make_member("admin@contoso.com", fabrikam, Role.VIEW_ONLY)
    response = admin_client_.post(
        reverse("classic:switch_tenant"), {"tenant": fabrikam.pk}, follow=True
    )
    assert response.redirect_chain == [(reverse("classic:connectors"), 302)]
    assert response.context["tenant"] == fabrikam
    assert "Fabrikam outbound secret" in response.content.decode()
