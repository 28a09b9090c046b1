"""Changing a saved connector from its details panel: each Edit page
opens one wizard step filled with the current settings, Save swaps them in at once unless someone
else saved meanwhile, and Turn on/off and Delete do what they say, for the roles that may."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import InboundConnector, OutboundConnector
from connectors.services import AnyConnector, ConnectorConflict, connector_update
from eac.audit import snapshot
from eac.models import AuditEvent, Tenant, User
from tests.conftest import client_for, make_inbound, make_outbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def to_partner(contoso: Tenant) -> OutboundConnector:
    return make_outbound(
        contoso,
        "To Fourth Coffee",
        connector_type="Partner",
        recipient_domains=["fourthcoffee.com"],
        smart_hosts=["smtp.fourthcoffee.com"],
        tls_settings="DomainValidation",
        tls_domain="mail.fourthcoffee.com",
        cloud_services_mail_enabled=True,  # set with PowerShell: the EAC page doesn't show it
    )


@pytest.fixture
def from_our_servers(contoso: Tenant) -> InboundConnector:
    return make_inbound(
        contoso,
        "From our servers",
        connector_type="OnPremises",
        sender_domains=["*"],
        require_tls=True,
        tls_sender_certificate_name="mail.contoso.com",
        cloud_services_mail_enabled=True,
    )


@pytest.fixture
def to_our_servers(contoso: Tenant) -> OutboundConnector:
    return contoso.outboundconnectors.get(name="To Contoso servers")


@pytest.fixture
def from_tailspin(contoso: Tenant) -> InboundConnector:
    return contoso.inboundconnectors.get(name="From Tailspin")


@pytest.fixture
def mailflow_client(mailflow_admin: User) -> Client:
    return client_for(mailflow_admin)


def edit_url(connector: AnyConnector, key: str) -> str:
    return reverse("connectors:edit", args=[connector.direction, connector.pk, key])


def details_url(connector: AnyConnector) -> str:
    return reverse("connectors:details", args=[connector.direction, connector.pk])


def opened_token(html: str) -> str:
    match = re.search(r'name="opened" value="([^"]+)"', html)
    assert match, "the edit page keeps what it was opened with"
    return match.group(1)


def open_edit(client: Client, connector: AnyConnector, key: str) -> str:
    response = client.get(edit_url(connector, key))
    assert response.status_code == 200
    return opened_token(response.content.decode())


def save(client: Client, connector: AnyConnector, key: str, data: dict[str, Any]) -> Any:
    """Save on an edit page; an outbound edit that goes on to "Validation email" is saved there
    without validating (Save, then Yes, proceed)."""
    token = open_edit(client, connector, key)
    response = client.post(edit_url(connector, key), {"opened": token, "action": "save", **data})
    if response.status_code == 302 and "/validation/" in response["Location"]:
        response = client.post(response["Location"], {"action": "proceed"})
    return response


def changed_meanwhile(html: str) -> list[str]:
    """What a conflict says someone else changed, as listed in the error summary."""
    match = re.search(r"Changed meanwhile: (.*?)\.</", html)
    assert match, "the conflict says what changed"
    return match.group(1).split(", ")


def properties(connector: AnyConnector) -> dict[str, Any]:
    connector.refresh_from_db()
    return {k: v for k, v in snapshot(connector).items() if k != "version"}


def changes(before: dict[str, Any], connector: AnyConnector) -> dict[str, Any]:
    after = properties(connector)
    return {k: after[k] for k in after if after[k] != before[k]}


def bound_values(response: Any) -> dict[str, Any]:
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def list_items(value: Any) -> list[str]:
    return list(getattr(value, "items", value))


# --- The edit pages open filled with the connector's settings ---------------------------------


def test_edit_name_or_status_opens_the_name_page_filled_in(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    OutboundConnector.objects.filter(pk=to_our_servers.pk).update(comment="Hybrid mail flow")
    response = admin_client_.get(edit_url(to_our_servers, "name"))
    html = response.content.decode()
    assert "<title>Connector name - To Contoso servers - Exchange admin center</title>" in html
    assert '<h2 id="flyout-title" tabindex="-1">Connector name</h2>' in html
    assert 'value="To Contoso servers"' in html
    assert ">\nHybrid mail flow</textarea>" in html
    assert bound_values(response) == {
        "name": "To Contoso servers",
        "description": "Hybrid mail flow",
        "turn_on": True,
        "retain_headers": False,
    }
    assert ">Save</button>" in html
    assert f'<a class="button" href="{details_url(to_our_servers)}" hx-get' in html


@pytest.mark.parametrize(
    ("fixture", "key", "expected"),
    [
        ("to_our_servers", "use", {"use": "all_accepted_domains", "recipient_domains": []}),
        ("to_our_servers", "routing", {"smart_hosts": ["mail.contoso.onmicrosoft.com"]}),
        (
            "to_our_servers",
            "security",
            {"tls": True, "certificate": "trusted_ca", "match_domain": False, "tls_domain": None},
        ),
        ("to_partner", "use", {"use": "domains", "recipient_domains": ["fourthcoffee.com"]}),
        (
            "to_partner",
            "routing",
            {"route": "smart_hosts", "smart_hosts": ["smtp.fourthcoffee.com"]},
        ),
        (
            "to_partner",
            "security",
            {
                "tls": True,
                "certificate": "trusted_ca",
                "match_domain": True,
                "tls_domain": "mail.fourthcoffee.com",
            },
        ),
        ("to_partner", "name", {"name": "To Fourth Coffee", "description": None, "turn_on": True}),
        (
            "from_our_servers",
            "identity",
            {"identify": "certificate", "certificate_domain": "mail.contoso.com", "sender_ips": []},
        ),
        (
            "from_tailspin",
            "identity",
            {"identify": "domains", "sender_domains": ["tailspintoys.com"], "sender_ips": []},
        ),
        (
            "from_tailspin",
            "inbound_security",
            {
                "require_tls": False,
                "restrict_to_certificate": False,
                "certificate_domain": None,
                "restrict_to_ips": False,
                "restricted_ips": [],
            },
        ),
    ],
)
def test_each_edit_page_opens_with_the_current_values(
    admin_client_: Client, request: pytest.FixtureRequest, fixture: str, key: str, expected: Any
) -> None:
    connector = request.getfixturevalue(fixture)
    response = admin_client_.get(edit_url(connector, key))
    assert response.status_code == 200
    values = {
        name: list_items(value) if name in ("recipient_domains", "smart_hosts") else value
        for name, value in bound_values(response).items()
    }
    for name in ("sender_domains", "sender_ips", "restricted_ips"):
        if name in values:
            values[name] = list_items(values[name])
    assert values == expected


@pytest.mark.parametrize(
    ("fixture", "key"),
    [
        ("to_our_servers", "identity"),
        ("to_our_servers", "inbound_security"),
        ("to_our_servers", "scenario"),
        ("to_our_servers", "validation"),
        ("to_our_servers", "review"),
        ("from_our_servers", "inbound_security"),
        ("from_tailspin", "routing"),
        ("from_tailspin", "nonsense"),
    ],
)
def test_a_page_the_connector_doesnt_have_is_not_found(
    admin_client_: Client, request: pytest.FixtureRequest, fixture: str, key: str
) -> None:
    connector = request.getfixturevalue(fixture)
    assert admin_client_.get(edit_url(connector, key)).status_code == 404


# --- Saving changes exactly the properties of the edited page ---------------------------------


def test_saving_the_name_page_changes_name_description_status_and_headers(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    before = properties(to_our_servers)
    response = save(
        admin_client_,
        to_our_servers,
        "name",
        {"name": "  Hybrid route ", "description": "To the Exchange 2019 servers"},
    )
    assert response.status_code == 302
    assert response["Location"] == details_url(to_our_servers)
    assert changes(before, to_our_servers) == {
        "name": "Hybrid route",
        "comment": "To the Exchange 2019 servers",
        "enabled": False,
    }
    assert to_our_servers.version == 2

    retained = save(
        admin_client_,
        to_our_servers,
        "name",
        {"name": "Hybrid route", "turn_on": "on", "retain_headers": "on"},
    )
    assert retained.status_code == 302
    to_our_servers.refresh_from_db()
    assert (to_our_servers.enabled, to_our_servers.cloud_services_mail_enabled) == (True, True)
    assert to_our_servers.comment == ""


def test_the_name_page_of_a_partner_connector_keeps_the_header_setting_it_doesnt_show(
    admin_client_: Client, to_partner: OutboundConnector
) -> None:
    before = properties(to_partner)
    response = save(admin_client_, to_partner, "name", {"name": "To Fourth Coffee", "turn_on": ""})
    assert response.status_code == 302
    assert changes(before, to_partner) == {"enabled": False}
    assert to_partner.cloud_services_mail_enabled is True


def test_editing_use_to_these_domains_sets_recipient_domains_and_clears_all_accepted_domains(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    before = properties(to_our_servers)
    response = save(
        admin_client_,
        to_our_servers,
        "use",
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_new": "*.Fabrikam.com",
        },
    )
    assert response.status_code == 302
    assert changes(before, to_our_servers) == {
        "all_accepted_domains": False,
        "recipient_domains": ["contoso.com", "*.fabrikam.com"],
    }


def test_editing_use_to_a_transport_rule_clears_the_domains(
    admin_client_: Client, to_partner: OutboundConnector
) -> None:
    before = properties(to_partner)
    response = save(
        admin_client_, to_partner, "use", {"use": "transport_rule", "recipient_domains": ["x.com"]}
    )
    assert response.status_code == 302
    assert changes(before, to_partner) == {
        "is_transport_rule_scoped": True,
        "recipient_domains": [],
    }


def test_editing_routing_to_the_mx_record_clears_the_smart_hosts(
    admin_client_: Client, to_partner: OutboundConnector
) -> None:
    before = properties(to_partner)
    response = save(
        admin_client_,
        to_partner,
        "routing",
        {"route": "mx", "smart_hosts": ["smtp.fourthcoffee.com"]},
    )
    assert response.status_code == 302
    assert changes(before, to_partner) == {"use_mx_record": True, "smart_hosts": []}


def test_editing_routing_replaces_the_smart_hosts(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    before = properties(to_our_servers)
    response = save(
        admin_client_,
        to_our_servers,
        "routing",
        {"smart_hosts": ["mail1.contoso.com", "192.168.3.2"]},
    )
    assert response.status_code == 302
    assert changes(before, to_our_servers) == {"smart_hosts": ["mail1.contoso.com", "192.168.3.2"]}


def test_editing_restrictions_to_match_a_domain_sets_domain_validation(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    before = properties(to_our_servers)
    response = save(
        admin_client_,
        to_our_servers,
        "security",
        {
            "tls": "on",
            "certificate": "trusted_ca",
            "match_domain": "on",
            "tls_domain": "mail.contoso.com",
        },
    )
    assert response.status_code == 302
    assert changes(before, to_our_servers) == {
        "tls_settings": "DomainValidation",
        "tls_domain": "mail.contoso.com",
    }


def test_turning_tls_off_clears_the_tls_settings_and_domain(
    admin_client_: Client, to_partner: OutboundConnector
) -> None:
    before = properties(to_partner)
    response = save(admin_client_, to_partner, "security", {"certificate": "trusted_ca"})
    assert response.status_code == 302
    assert changes(before, to_partner) == {"tls_settings": None, "tls_domain": ""}


def test_editing_identity_of_your_server_from_certificate_to_ip_addresses(
    admin_client_: Client, from_our_servers: InboundConnector
) -> None:
    before = properties(from_our_servers)
    response = save(
        admin_client_, from_our_servers, "identity", {"identify": "ip", "sender_ips": ["10.5.3.2"]}
    )
    assert response.status_code == 302
    assert changes(before, from_our_servers) == {
        "sender_ip_addresses": ["10.5.3.2"],
        "require_tls": False,
        "tls_sender_certificate_name": "",
    }


def test_editing_a_partners_identity_to_ip_addresses_sets_sender_domains_to_any(
    admin_client_: Client, from_tailspin: InboundConnector
) -> None:
    before = properties(from_tailspin)
    response = save(
        admin_client_, from_tailspin, "identity", {"identify": "ip", "sender_ips": ["10.3.1.0/24"]}
    )
    assert response.status_code == 302
    assert changes(before, from_tailspin) == {
        "sender_domains": ["*"],
        "sender_ip_addresses": ["10.3.1.0/24"],
    }


def test_editing_a_partners_restrictions(
    admin_client_: Client, from_tailspin: InboundConnector
) -> None:
    before = properties(from_tailspin)
    response = save(
        admin_client_,
        from_tailspin,
        "inbound_security",
        {
            "require_tls": "on",
            "restrict_to_certificate": "on",
            "certificate_domain": "mail.tailspintoys.com",
            "restrict_to_ips": "on",
            "restricted_ips": ["203.0.113.0/24"],
        },
    )
    assert response.status_code == 302
    assert changes(before, from_tailspin) == {
        "require_tls": True,
        "restrict_domains_to_certificate": True,
        "tls_sender_certificate_name": "mail.tailspintoys.com",
        "restrict_domains_to_ip_addresses": True,
        "sender_ip_addresses": ["203.0.113.0/24"],
    }


def test_saving_shows_the_toast_on_the_connectors_details(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    response = save(
        admin_client_, to_our_servers, "routing", {"smart_hosts": ["mail1.contoso.com"]}
    )
    page = admin_client_.get(response["Location"]).content.decode()
    assert '<p class="toast toast-success">Connector updated successfully</p>' in page
    assert "Route email messages through these smart hosts: mail1.contoso.com" in page


def test_saving_is_audited_with_before_and_after(
    admin_client_: Client, admin: User, from_tailspin: InboundConnector
) -> None:
    save(admin_client_, from_tailspin, "name", {"name": "From Tailspin Toys", "turn_on": "on"})
    event = AuditEvent.objects.get(action="inbound_connector.update")
    assert event.actor == admin
    assert event.target_id == str(from_tailspin.pk)
    assert event.before is not None
    assert event.after is not None
    assert (event.before["name"], event.after["name"]) == ("From Tailspin", "From Tailspin Toys")
    assert (event.before["version"], event.after["version"]) == (1, 2)


def test_saving_without_changes_writes_nothing(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    response = save(
        admin_client_, to_our_servers, "routing", {"smart_hosts": ["mail.contoso.onmicrosoft.com"]}
    )
    assert response.status_code == 302
    to_our_servers.refresh_from_db()
    assert to_our_servers.version == 1
    assert not AuditEvent.objects.filter(action="outbound_connector.update").exists()


def test_the_plus_button_adds_a_row_without_saving(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    url = edit_url(to_our_servers, "routing")
    token = open_edit(admin_client_, to_our_servers, "routing")
    response = admin_client_.post(
        url,
        {
            "opened": token,
            "smart_hosts": ["mail.contoso.onmicrosoft.com"],
            "smart_hosts_new": "mail2.contoso.com",
            "list_action": "add:smart_hosts",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<input type="hidden" name="smart_hosts" value="mail2.contoso.com">' in html
    assert opened_token(html) == token  # still the version the page was opened with
    to_our_servers.refresh_from_db()
    assert to_our_servers.smart_hosts == ["mail.contoso.onmicrosoft.com"]
    assert to_our_servers.version == 1

    saved = admin_client_.post(
        url,
        {
            "opened": token,
            "action": "save",
            "smart_hosts": ["mail.contoso.onmicrosoft.com", "mail2.contoso.com"],
        },
    )
    assert saved.status_code == 302  # on to "Validation email"; Save there, unvalidated
    assert admin_client_.post(saved["Location"], {"action": "proceed"}).status_code == 302
    to_our_servers.refresh_from_db()
    assert to_our_servers.smart_hosts == ["mail.contoso.onmicrosoft.com", "mail2.contoso.com"]


# --- Bad input is shown next to its field, with what was typed ---------------------------------


def test_a_bad_smart_host_is_shown_next_to_the_list_and_kept(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    response = save(
        admin_client_,
        to_our_servers,
        "routing",
        {"smart_hosts": ["mail.contoso.onmicrosoft.com"], "smart_hosts_new": "bad host!"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert '<div class="field list-field has-error">' in html
    assert 'value="bad host!"' in html
    assert 'class="field-error" id="id_smart_hosts_error"' in html
    to_our_servers.refresh_from_db()
    assert to_our_servers.version == 1


def test_an_empty_name_is_refused_next_to_the_name_box(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    response = save(
        admin_client_, to_our_servers, "name", {"name": " ", "description": "kept", "turn_on": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_name_error"><p>Enter a name.</p>' in html
    assert ">\nkept</textarea>" in html


def test_a_name_taken_by_a_connector_of_the_other_direction_is_refused(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    response = save(
        admin_client_, to_our_servers, "name", {"name": "from tailspin", "turn_on": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_name_error"><p>A connector named from tailspin already exists.</p>' in html
    assert 'value="from tailspin"' in html
    to_our_servers.refresh_from_db()
    assert to_our_servers.name == "To Contoso servers"


def test_a_form_without_what_it_was_opened_with_is_a_bad_request(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    url = edit_url(to_our_servers, "name")
    assert admin_client_.post(url, {"name": "x", "turn_on": "on"}).status_code == 400
    forged = admin_client_.post(url, {"opened": "eyJ2ZXJzaW9uIjo5OX0:x:y", "name": "x"})
    assert forged.status_code == 400
    to_our_servers.refresh_from_db()
    assert to_our_servers.name == "To Contoso servers"


def test_a_token_opened_for_another_connector_is_refused(
    admin_client_: Client, to_our_servers: OutboundConnector, to_partner: OutboundConnector
) -> None:
    token = open_edit(admin_client_, to_partner, "name")
    response = admin_client_.post(
        edit_url(to_our_servers, "name"), {"opened": token, "name": "x", "turn_on": "on"}
    )
    assert response.status_code == 400


# --- Optimistic locking: a save made meanwhile is never overwritten -----------------------------


def test_a_save_made_meanwhile_refuses_mine_and_says_what_changed(
    admin_client_: Client, mailflow_client: Client, to_our_servers: OutboundConnector
) -> None:
    url = edit_url(to_our_servers, "name")
    mine = open_edit(admin_client_, to_our_servers, "name")

    theirs = save(
        mailflow_client, to_our_servers, "name", {"name": "Renamed by Bob", "turn_on": "on"}
    )
    assert theirs.status_code == 302

    response = admin_client_.post(
        url,
        {"opened": mine, "action": "save", "name": "To Contoso servers", "description": "Mine"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved changes to this connector while you were editing it." in html
    assert changed_meanwhile(html) == ["Name"]
    assert ">\nMine</textarea>" in html  # my input is still there
    assert 'value="To Contoso servers"' in html
    assert '<input type="checkbox" name="turn_on" id="id_turn_on">' in html  # as I left it
    to_our_servers.refresh_from_db()
    assert (to_our_servers.name, to_our_servers.comment, to_our_servers.enabled) == (
        "Renamed by Bob",
        "",
        True,
    )
    assert to_our_servers.version == 2

    # Having seen it, Save again knowingly replaces their settings on this page.
    again = admin_client_.post(
        url,
        {
            "opened": opened_token(html),
            "action": "save",
            "name": "To Contoso servers",
            "description": "Mine",
        },
    )
    assert again.status_code == 302
    to_our_servers.refresh_from_db()
    assert (to_our_servers.name, to_our_servers.comment, to_our_servers.version) == (
        "To Contoso servers",
        "Mine",
        3,
    )


def test_a_conflict_names_changes_made_on_other_pages(
    admin_client_: Client, mailflow_client: Client, to_our_servers: OutboundConnector
) -> None:
    mine = open_edit(admin_client_, to_our_servers, "use")
    save(mailflow_client, to_our_servers, "routing", {"smart_hosts": ["mail9.contoso.com"]})
    save(mailflow_client, to_our_servers, "security", {})

    response = admin_client_.post(
        edit_url(to_our_servers, "use"),
        {"opened": mine, "action": "save", "use": "domains", "recipient_domains": ["contoso.com"]},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert changed_meanwhile(html) == ["Smart hosts", "Security restrictions"]
    assert '<input type="hidden" name="recipient_domains" value="contoso.com">' in html
    to_our_servers.refresh_from_db()
    assert to_our_servers.all_accepted_domains is True
    assert to_our_servers.smart_hosts == ["mail9.contoso.com"]


def test_turning_a_connector_off_meanwhile_is_a_conflict_too(
    admin_client_: Client, mailflow_client: Client, to_our_servers: OutboundConnector
) -> None:
    mine = open_edit(admin_client_, to_our_servers, "routing")
    mailflow_client.post(
        reverse("connectors:set_status", args=["outbound", to_our_servers.pk]), {"status": "off"}
    )
    response = admin_client_.post(
        edit_url(to_our_servers, "routing"),
        {"opened": mine, "action": "save", "smart_hosts": ["mail1.contoso.com"]},
    )
    assert response.status_code == 409
    assert changed_meanwhile(response.content.decode()) == ["Status"]
    to_our_servers.refresh_from_db()
    assert to_our_servers.smart_hosts == ["mail.contoso.onmicrosoft.com"]


def test_the_service_refuses_a_stale_version_and_writes_nothing(
    to_our_servers: OutboundConnector,
) -> None:
    OutboundConnector.objects.filter(pk=to_our_servers.pk).update(version=5, comment="theirs")
    with pytest.raises(ConnectorConflict) as caught:
        connector_update(
            connector=to_our_servers,
            actor=None,
            fields={"comment": "mine"},
            expected_version=1,
            opened={"comment": "", "name": "To Contoso servers"},
        )
    assert caught.value.changed == ["comment"]
    to_our_servers.refresh_from_db()
    assert (to_our_servers.comment, to_our_servers.version) == ("theirs", 5)
    assert not AuditEvent.objects.filter(action="outbound_connector.update").exists()


def test_a_connector_deleted_while_being_edited_is_not_found(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    mine = open_edit(admin_client_, to_our_servers, "name")
    url = edit_url(to_our_servers, "name")
    OutboundConnector.objects.filter(pk=to_our_servers.pk).delete()
    response = admin_client_.post(url, {"opened": mine, "name": "x", "turn_on": "on"})
    assert response.status_code == 404


# --- Turn on / Turn off --------------------------------------------------------------------------


def test_turning_a_connector_off_and_on_from_the_panel(
    admin_client_: Client, admin: User, to_our_servers: OutboundConnector
) -> None:
    panel = admin_client_.get(details_url(to_our_servers)).content.decode()
    assert 'name="status" value="off" aria-label="Turn off"' in panel
    url = reverse("connectors:set_status", args=["outbound", to_our_servers.pk])

    response = admin_client_.post(url, {"status": "off"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(details_url(to_our_servers), 302)]
    assert "To Contoso servers was turned off." in html
    assert 'name="status" value="on" aria-label="Turn on"' in html
    to_our_servers.refresh_from_db()
    assert (to_our_servers.enabled, to_our_servers.version) == (False, 2)
    event = AuditEvent.objects.get(action="outbound_connector.disable")
    assert (event.actor, event.before, event.after) == (
        admin,
        {"enabled": True},
        {"enabled": False},
    )

    admin_client_.post(url, {"status": "off"})  # a second click changes nothing
    to_our_servers.refresh_from_db()
    assert to_our_servers.version == 2

    # Turning an outbound connector on goes through "Validation email" first, as in the EAC.
    on = admin_client_.post(url, {"status": "on"})
    assert "/edit/name/validation/" in on["Location"]
    to_our_servers.refresh_from_db()
    assert (to_our_servers.enabled, to_our_servers.version) == (False, 2)  # not yet
    assert admin_client_.post(on["Location"], {"action": "proceed"}).status_code == 302
    to_our_servers.refresh_from_db()
    assert (to_our_servers.enabled, to_our_servers.version) == (True, 3)
    event = AuditEvent.objects.filter(action="outbound_connector.update").get()
    assert (event.before or {}).get("enabled") is False
    assert (event.after or {}).get("enabled") is True


def test_turning_an_inbound_connector_on_needs_no_validation(
    admin_client_: Client, from_tailspin: InboundConnector
) -> None:
    url = reverse("connectors:set_status", args=["inbound", from_tailspin.pk])
    admin_client_.post(url, {"status": "off"})
    admin_client_.post(url, {"status": "on"})
    from_tailspin.refresh_from_db()
    assert (from_tailspin.enabled, from_tailspin.version) == (True, 3)
    assert AuditEvent.objects.filter(action="inbound_connector.enable").count() == 1


def test_turn_on_off_takes_posts_only(
    admin_client_: Client, from_tailspin: InboundConnector
) -> None:
    url = reverse("connectors:set_status", args=["inbound", from_tailspin.pk])
    assert admin_client_.get(url).status_code == 405
    assert admin_client_.post(url, {"status": "maybe"}).status_code == 400


# --- Delete --------------------------------------------------------------------------------------


def test_deleting_from_the_panel_asks_first(
    admin_client_: Client, admin: User, to_our_servers: OutboundConnector
) -> None:
    panel = admin_client_.get(details_url(to_our_servers)).content.decode()
    url = reverse("connectors:delete", args=["outbound", to_our_servers.pk])
    assert f'href="{url}"' in panel

    confirm = admin_client_.get(url).content.decode()
    assert "<h1>Delete To Contoso servers?</h1>" in confirm
    assert ">Delete</button>" in confirm
    assert f'<a class="button" href="{details_url(to_our_servers)}">Cancel</a>' in confirm
    assert OutboundConnector.objects.filter(pk=to_our_servers.pk).exists()

    response = admin_client_.post(url, follow=True)
    assert response.redirect_chain == [(reverse("connectors:list"), 302)]
    assert "To Contoso servers was deleted." in response.content.decode()
    assert not OutboundConnector.objects.filter(pk=to_our_servers.pk).exists()
    event = AuditEvent.objects.get(action="outbound_connector.delete")
    assert event.actor == admin
    assert event.target_id == str(to_our_servers.pk)
    assert event.before is not None
    assert event.before["name"] == "To Contoso servers"


def test_deleting_rows_chosen_in_the_list(
    admin_client_: Client,
    to_our_servers: OutboundConnector,
    from_tailspin: InboundConnector,
    to_partner: OutboundConnector,
) -> None:
    html = admin_client_.get(reverse("connectors:list")).content.decode()
    assert '<form id="connector-selection" method="get"' in html
    assert 'aria-label="Select From Tailspin"' in html
    chosen = [f"inbound:{from_tailspin.pk}", f"outbound:{to_our_servers.pk}"]
    for value in chosen:
        assert f'form="connector-selection" name="connector" value="{value}"' in html

    url = reverse("connectors:delete_selected")
    confirm = admin_client_.get(url, {"connector": chosen}).content.decode()
    assert "<h1>Delete 2 connectors?</h1>" in confirm
    assert "<li>From Tailspin</li>" in confirm
    assert "<li>To Contoso servers</li>" in confirm

    response = admin_client_.post(url, {"connector": chosen}, follow=True)
    assert "2 connectors were deleted." in response.content.decode()
    assert list(OutboundConnector.objects.values_list("name", flat=True)) == ["To Fourth Coffee"]
    assert not InboundConnector.objects.exists()
    assert AuditEvent.objects.filter(action__endswith="_connector.delete").count() == 2


def test_one_row_chosen_in_the_list_is_confirmed_by_name(
    admin_client_: Client, from_tailspin: InboundConnector
) -> None:
    url = reverse("connectors:delete_selected")
    confirm = admin_client_.get(url, {"connector": f"inbound:{from_tailspin.pk}"})
    assert "<h1>Delete From Tailspin?</h1>" in confirm.content.decode()
    response = admin_client_.post(url, {"connector": f"inbound:{from_tailspin.pk}"}, follow=True)
    assert "From Tailspin was deleted." in response.content.decode()


def test_delete_with_nothing_chosen_goes_back_to_the_list(
    admin_client_: Client, contoso: Tenant
) -> None:
    response = admin_client_.get(reverse("connectors:delete_selected"), follow=True)
    assert response.redirect_chain == [(reverse("connectors:list"), 302)]
    assert "Select a connector to delete." in response.content.decode()


@pytest.mark.parametrize("value", ["outbound:not-a-uuid", "sideways:{pk}", "inbound:{pk}"])
def test_a_malformed_choice_is_not_found(
    admin_client_: Client, to_our_servers: OutboundConnector, value: str
) -> None:
    value = value.format(pk=to_our_servers.pk)
    url = reverse("connectors:delete_selected")
    assert admin_client_.post(url, {"connector": value}).status_code == 404
    assert OutboundConnector.objects.filter(pk=to_our_servers.pk).exists()


def test_choosing_another_tenants_connector_deletes_nothing(
    admin_client_: Client, to_our_servers: OutboundConnector, fabrikam: Tenant
) -> None:
    foreign = OutboundConnector.objects.get(tenant=fabrikam)
    chosen = [f"outbound:{to_our_servers.pk}", f"outbound:{foreign.pk}"]
    url = reverse("connectors:delete_selected")
    assert admin_client_.get(url, {"connector": chosen}).status_code == 404
    assert admin_client_.post(url, {"connector": chosen}).status_code == 404
    assert OutboundConnector.objects.filter(pk__in=[to_our_servers.pk, foreign.pk]).count() == 2


# --- Who may: view-only users see no controls and are refused; strangers find nothing ----------


def test_the_panel_links_each_section_to_its_edit_page(
    admin_client_: Client,
    to_our_servers: OutboundConnector,
    from_our_servers: InboundConnector,
    from_tailspin: InboundConnector,
) -> None:
    expected: dict[AnyConnector, list[tuple[str, str]]] = {
        to_our_servers: [
            ("name", "Edit name or status"),
            ("use", "Edit use"),
            ("routing", "Edit routing"),
            ("security", "Edit restrictions"),
        ],
        from_our_servers: [
            ("name", "Edit name or status"),
            ("identity", "Edit sent email identity"),
        ],
        from_tailspin: [
            ("name", "Edit name or status"),
            ("identity", "Edit sent email identity"),
            ("inbound_security", "Edit restrictions"),
        ],
    }
    for connector, links in expected.items():
        html = admin_client_.get(details_url(connector)).content.decode()
        found = re.findall(r'<a href="[^"]*/edit/([a-z_]+)/"[^>]*>(Edit [^<]+)</a>', html)
        assert found == links


def test_view_only_users_see_no_change_controls(
    viewer_client: Client, to_our_servers: OutboundConnector, from_tailspin: InboundConnector
) -> None:
    client = viewer_client
    pages = [reverse("connectors:list"), details_url(to_our_servers), details_url(from_tailspin)]
    for url in pages:
        html = client.get(url).content.decode()
        for text in ("Edit ", "Turn on", "Turn off", "Delete", 'type="checkbox"', "Select "):
            assert text not in html, (url, text)


def test_view_only_users_are_refused_every_change(
    viewer_client: Client, to_our_servers: OutboundConnector, from_tailspin: InboundConnector
) -> None:
    before = properties(to_our_servers)
    refused = [
        ("get", edit_url(to_our_servers, "name"), {}),
        ("post", edit_url(to_our_servers, "name"), {"name": "Mine", "turn_on": "on"}),
        (
            "post",
            reverse("connectors:set_status", args=["outbound", to_our_servers.pk]),
            {"status": "off"},
        ),
        ("get", reverse("connectors:delete", args=["outbound", to_our_servers.pk]), {}),
        ("post", reverse("connectors:delete", args=["outbound", to_our_servers.pk]), {}),
        (
            "post",
            reverse("connectors:delete_selected"),
            {"connector": f"inbound:{from_tailspin.pk}"},
        ),
    ]
    for method, url, data in refused:
        assert getattr(viewer_client, method)(url, data).status_code == 403, url
    assert changes(before, to_our_servers) == {}
    assert InboundConnector.objects.filter(pk=from_tailspin.pk).exists()


def test_a_mail_flow_administrator_may_edit(
    mailflow_client: Client, from_tailspin: InboundConnector
) -> None:
    response = save(
        mailflow_client, from_tailspin, "name", {"name": "From Tailspin", "turn_on": ""}
    )
    assert response.status_code == 302
    from_tailspin.refresh_from_db()
    assert from_tailspin.enabled is False


def test_another_tenants_connector_is_not_found(
    admin_client_: Client, stranger_client: Client, to_our_servers: OutboundConnector
) -> None:
    token = open_edit(admin_client_, to_our_servers, "name")
    attempts = [
        ("get", edit_url(to_our_servers, "routing"), {}),
        (
            "post",
            edit_url(to_our_servers, "name"),
            {"opened": token, "name": "Pwned", "turn_on": "on"},
        ),
        (
            "post",
            reverse("connectors:set_status", args=["outbound", to_our_servers.pk]),
            {"status": "off"},
        ),
        ("get", reverse("connectors:delete", args=["outbound", to_our_servers.pk]), {}),
        ("post", reverse("connectors:delete", args=["outbound", to_our_servers.pk]), {}),
        (
            "post",
            reverse("connectors:delete_selected"),
            {"connector": f"outbound:{to_our_servers.pk}"},
        ),
    ]
    before = properties(to_our_servers)
    for method, url, data in attempts:
        assert getattr(stranger_client, method)(url, data).status_code == 404, url
    assert changes(before, to_our_servers) == {}
    assert to_our_servers.version == 1


def test_a_property_no_page_sets_is_named_as_the_cmdlets_name_it_when_it_changed_meanwhile(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    mine = open_edit(admin_client_, to_our_servers, "name")
    connector_update(
        connector=to_our_servers,
        actor=None,
        fields={"route_all_messages_via_on_premises": True},
        expected_version=to_our_servers.version,
    )  # as an import's Replace does

    response = admin_client_.post(
        edit_url(to_our_servers, "name"),
        {"opened": mine, "action": "save", "name": "To Contoso servers", "description": "Mine"},
    )
    assert response.status_code == 409
    assert changed_meanwhile(response.content.decode()) == ["RouteAllMessagesViaOnPremises"]
