"""The Classic EAC "New connector" window: its pages, its dialogs, and — driven with the same
answers as the New EAC wizard — connectors identical to the New wizard's (except name, id and
timestamps)."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from eac.models import Tenant
from tests.connectors.test_wizard import create as new_create
from tests.connectors.test_wizard import skip_validation
from tests.connectors.test_wizard import walk as new_walk

pytestmark = pytest.mark.django_db


def classic_start(client: Client) -> ConnectorDraft:
    assert client.post(reverse("classic_wizard:start")).status_code == 302
    return ConnectorDraft.objects.latest("created_at")


def classic_post(client: Client, draft: ConnectorDraft, key: str, data: dict[str, Any]) -> Any:
    return client.post(reverse("classic_wizard:page", args=[draft.pk, key]), data)


def classic_walk(client: Client, pages: list[tuple[str, dict[str, Any]]]) -> ConnectorDraft:
    draft = classic_start(client)
    for key, data in pages:
        response = classic_post(client, draft, key, {"action": "next", **data})
        assert response.status_code == 302, (key, response.content.decode()[:3000])
    return draft


def comparable(connector: OutboundConnector | InboundConnector) -> dict[str, Any]:
    fields = model_to_dict(connector)
    for name in ("id", "name", "tenant"):
        fields.pop(name, None)
    return fields


SCENARIOS: dict[str, tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]] = {
    "office365 → your org": (
        [
            ("scenario", {"source": "office365", "target": "your_org"}),
            ("name", {"name": "N", "description": "Same", "turn_on": "on", "retain_headers": "on"}),
            ("use", {"use": "domains", "recipient_domains": ["contoso.com", "*.contoso.com"]}),
            ("routing", {"smart_hosts": ["mail.contoso.com"]}),
            (
                "security",
                {
                    "tls": "on",
                    "certificate": "trusted_ca",
                    "match_domain": "on",
                    "tls_domain": "mail.contoso.com",
                },
            ),
        ],
        [
            ("select", {"source": "office365", "target": "your_org"}),
            ("name", {"name": "C", "description": "Same", "turn_on": "on", "retain_headers": "on"}),
            ("use", {"use": "domains", "recipient_domains": ["contoso.com", "*.contoso.com"]}),
            ("routing", {"smart_hosts": ["mail.contoso.com"]}),
            (
                "security",
                {
                    "tls": "on",
                    "certificate": "trusted_ca",
                    "match_domain": "on",
                    "tls_domain": "mail.contoso.com",
                },
            ),
            ("confirm", {}),
        ],
    ),
    "office365 → partner": (
        [
            ("scenario", {"source": "office365", "target": "partner"}),
            ("name", {"name": "N", "turn_on": "on"}),
            ("use", {"use": "transport_rule"}),
            ("routing", {"route": "mx"}),
            ("security", {"tls": "on", "certificate": "any"}),
        ],
        [
            ("select", {"source": "office365", "target": "partner"}),
            ("name", {"name": "C", "turn_on": "on"}),
            ("use", {"use": "transport_rule"}),
            ("routing", {"route": "mx"}),
            ("security", {"tls": "on", "certificate": "any"}),
            ("confirm", {}),
        ],
    ),
    "your org → office365": (
        [
            ("scenario", {"source": "your_org"}),
            ("name", {"name": "N", "turn_on": "on", "retain_headers": "on"}),
            ("identity", {"identify": "ip", "sender_ips": ["203.0.113.0/24"]}),
        ],
        [
            ("select", {"source": "your_org", "target": "office365"}),
            ("name", {"name": "C", "turn_on": "on", "retain_headers": "on"}),
            ("identity", {"identify": "ip", "sender_ips": ["203.0.113.0/24"]}),
        ],
    ),
    "partner → office365": (
        [
            ("scenario", {"source": "partner"}),
            ("name", {"name": "N", "turn_on": "on"}),
            ("identity", {"identify": "domains", "sender_domains": ["contosobank.com"]}),
            (
                "inbound_security",
                {
                    "require_tls": "on",
                    "restrict_to_certificate": "on",
                    "certificate_domain": "contosobank.com",
                },
            ),
        ],
        [
            ("select", {"source": "partner", "target": "office365"}),
            ("name", {"name": "C", "turn_on": "on"}),
            ("partner_by", {"identify": "domains"}),
            ("partner_list", {"sender_domains": ["contosobank.com"]}),
            (
                "partner_security",
                {
                    "require_tls": "on",
                    "restrict_to_certificate": "on",
                    "certificate_domain": "contosobank.com",
                },
            ),
        ],
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_classic_and_new_create_identical_connectors(
    admin_client_: Client, contoso: Tenant, scenario: str
) -> None:
    new_answers, classic_pages = SCENARIOS[scenario]
    new_draft = new_walk(admin_client_, new_answers)
    if scenario.startswith("office365"):
        skip_validation(admin_client_, new_draft)
    assert new_create(admin_client_, new_draft).status_code == 302

    classic_draft = classic_walk(admin_client_, classic_pages)
    if scenario.startswith("office365"):
        saved = classic_post(
            admin_client_, classic_draft, "validate", {"action": "save"}
        )  # saved without validating
    else:
        saved = classic_post(admin_client_, classic_draft, "confirm", {"action": "save"})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert saved["Location"].startswith(reverse("classic:connectors"))

    model = OutboundConnector if scenario.startswith("office365") else InboundConnector
    new, old = (
        model.objects.get(tenant=contoso, name="N"),
        model.objects.get(tenant=contoso, name="C"),
    )
    assert comparable(old) == comparable(new)


@pytest.mark.parametrize(
    ("source", "target", "headline", "next_offered"),
    [
        (
            "office365",
            "your_org",
            "You need to create a connector for this mail flow scenario.",
            True,
        ),
        (
            "your_org",
            "office365",
            "You need to create a connector for this mail flow scenario.",
            True,
        ),
        ("office365", "partner", "You can create a connector for this mail flow scenario", True),
        ("partner", "office365", "You can create a connector for this mail flow scenario", True),
        ("office365", "internet", "You don't need a connector for this mail flow scenario.", False),
        ("internet", "office365", "You don't need a connector for this mail flow scenario.", False),
    ],
)
def test_the_first_page_advises_for_each_pair(
    admin_client_: Client,
    contoso: Tenant,
    source: str,
    target: str,
    headline: str,
    next_offered: bool,
) -> None:
    draft = classic_start(admin_client_)
    html = classic_post(
        admin_client_, draft, "select", {"source": source, "target": target}
    ).content.decode()
    assert headline.replace("'", "&#x27;") in html
    assert ('value="next"' in html) == next_offered
    ended = classic_post(
        admin_client_, draft, "select", {"source": source, "target": target, "action": "next"}
    )
    assert (ended.status_code == 302) == next_offered


def test_to_follows_from(admin_client_: Client, contoso: Tenant) -> None:
    draft = classic_start(admin_client_)
    html = classic_post(
        admin_client_, draft, "select", {"source": "partner", "target": "internet"}
    ).content.decode()
    to_select = html.split('id="id_target"', 1)[1].split("</select>", 1)[0]
    assert (
        ">Office 365<" in to_select and "Internet" not in to_select and "Partner" not in to_select
    )


def test_the_use_page_puts_the_transport_rule_option_first(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:2])
    html = admin_client_.get(
        reverse("classic_wizard:page", args=[draft.pk, "use"])
    ).content.decode()
    assert "When do you want to use this connector?" in html
    assert html.index("Only when I have a transport rule") < html.index(
        "For email messages sent to all accepted domains"
    )


def test_the_add_dialog_adds_edits_and_refuses_a_bad_domain(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:2])
    url = reverse("classic_wizard:page", args=[draft.pk, "use"])
    opened = admin_client_.post(
        url, {"use": "domains", "list_action": "open-add:recipient_domains"}
    ).content.decode()
    assert 'role="dialog"' in opened and "add domain" in opened
    bad = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains_new": "a.*.com",
            "list_action": "ok:recipient_domains",
        },
    ).content.decode()
    assert 'role="dialog"' in bad and "field-error" in bad and 'value="a.*.com"' in bad
    added = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains_new": "Contoso.com",
            "list_action": "ok:recipient_domains",
        },
    ).content.decode()
    assert 'name="recipient_domains" value="contoso.com"' in added and 'role="dialog"' not in added
    edit = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_selected": "0",
            "list_action": "open-edit:recipient_domains",
        },
    ).content.decode()
    assert "edit domain" in edit and 'value="contoso.com" autofocus' in edit
    edited = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_new": "*.contoso.com",
            "list_action": "ok:recipient_domains:0",
        },
    ).content.decode()
    assert (
        'name="recipient_domains" value="*.contoso.com"' in edited
        and 'value="contoso.com"' not in edited
    )
    removed = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["*.contoso.com"],
            "recipient_domains_selected": "0",
            "list_action": "remove-selected:recipient_domains",
        },
    ).content.decode()
    assert "There are no items to show in this view." in removed


def test_confirm_shows_classic_section_names(admin_client_: Client, contoso: Tenant) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:5])
    html = admin_client_.get(
        reverse("classic_wizard:page", args=[draft.pk, "confirm"])
    ).content.decode()
    for title in (
        "Mail flow scenario",
        "Description",
        "When to use the connector",
        "Routing method",
        "Security restrictions",
    ):
        assert f"<h2>{title}</h2>" in html
    assert "Before we validate this connector for you" in html


def test_view_only_users_cannot_use_the_classic_wizard(
    viewer_client: Client, contoso: Tenant
) -> None:
    assert viewer_client.post(reverse("classic_wizard:start")).status_code == 403


def test_the_pencil_opens_the_same_pages_filled_and_saves_the_change(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(
        tenant=contoso
    )  # "To Contoso servers": all accepted domains
    opened = admin_client_.post(reverse("classic_wizard:edit", args=["outbound", connector.pk]))
    draft = ConnectorDraft.objects.get(editing_connector_id=connector.pk)
    assert opened["Location"] == reverse("classic_wizard:page", args=[draft.pk, "name"])
    name_page = admin_client_.get(opened["Location"]).content.decode()
    assert "Edit connector" in name_page and 'value="To Contoso servers"' in name_page
    use_page = admin_client_.get(
        reverse("classic_wizard:page", args=[draft.pk, "use"])
    ).content.decode()
    assert (
        'value="all_accepted_domains" required id="id_use_1" checked' in use_page
        or "checked" in use_page
    )

    classic_post(
        admin_client_,
        draft,
        "use",
        {"action": "next", "use": "domains", "recipient_domains": ["sales.contoso.com"]},
    )
    saved = classic_post(admin_client_, draft, "validate", {"action": "save"})
    assert saved.status_code == 302
    connector.refresh_from_db()
    assert (connector.all_accepted_domains, connector.recipient_domains, connector.version) == (
        False,
        ["sales.contoso.com"],
        2,
    )
    assert not ConnectorDraft.objects.filter(pk=draft.pk).exists()
    assert (
        "Connector updated successfully"
        in admin_client_.get(saved["Location"], follow=True).content.decode()
    )


def test_a_classic_edit_refuses_to_overwrite_someone_elses_save(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso)
    admin_client_.post(reverse("classic_wizard:edit", args=["outbound", connector.pk]))
    draft = ConnectorDraft.objects.get(editing_connector_id=connector.pk)
    OutboundConnector.objects.filter(pk=connector.pk).update(
        smart_hosts=["other.contoso.com"], version=2
    )
    classic_post(
        admin_client_, draft, "name", {"action": "next", "name": "Renamed", "turn_on": "on"}
    )
    refused = classic_post(admin_client_, draft, "validate", {"action": "save"})
    assert refused.status_code == 409
    assert "Someone else saved this connector" in refused.content.decode().replace("&#x27;", "'")
    connector.refresh_from_db()
    assert (connector.name, connector.smart_hosts) == ("To Contoso servers", ["other.contoso.com"])
