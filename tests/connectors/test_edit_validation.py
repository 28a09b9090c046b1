"""Outbound edits that change where or how mail is delivered, and turning an outbound connector
on, go on to "Validation email" before they are saved, as the New EAC's edit panels do; the
connector keeps its settings until Save, and a new route is not claimed validated by an old run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import connector_update
from eac.models import Tenant, User
from validation import services as validation
from validation.models import ValidationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def to_our_servers(contoso: Tenant) -> OutboundConnector:
    connector = contoso.outboundconnectors.get(name="To Contoso servers")
    OutboundConnector.objects.filter(pk=connector.pk).update(
        is_validated=True,
        last_validation_timestamp=timezone.now(),
        validation_recipients=["john@contoso.com"],
    )
    connector.refresh_from_db()
    return connector


def edit_url(connector: OutboundConnector | InboundConnector, key: str) -> str:
    return reverse("connectors:edit", args=[connector.direction, connector.pk, key])


def opened(client: Client, connector: OutboundConnector | InboundConnector, key: str) -> str:
    html = client.get(edit_url(connector, key)).content.decode()
    match = re.search(r'name="opened" value="([^"]+)"', html)
    assert match
    return match.group(1)


def next_to_validation(client: Client, connector: OutboundConnector, key: str, **data: Any) -> str:
    response = client.post(
        edit_url(connector, key),
        {"opened": opened(client, connector, key), "action": "save", **data},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert "/validation/" in response["Location"]
    return str(response["Location"])


def test_an_outbound_routing_edit_says_next_and_goes_on_to_validation_email(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    page = admin_client_.get(edit_url(to_our_servers, "routing")).content.decode()
    assert ">Next</button>" in page
    assert ">Save</button>" not in page
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )
    html = admin_client_.get(url).content.decode()
    assert ">Validation email</h2>" in html
    assert '<input type="hidden" name="recipients" value="john@contoso.com">' in html  # as before
    to_our_servers.refresh_from_db()
    assert to_our_servers.smart_hosts == ["mail.contoso.onmicrosoft.com"]  # not yet
    assert to_our_servers.version == 1


def test_save_without_a_successful_validation_asks_first_then_clears_the_old_result(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )
    asked = admin_client_.post(url, {"action": "save", "recipients": ["john@contoso.com"]})
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "<dialog" in html
    assert "Are you sure you want to proceed?" in html
    assert ">Yes, proceed</button>" in html
    to_our_servers.refresh_from_db()
    assert to_our_servers.smart_hosts == ["mail.contoso.onmicrosoft.com"]

    saved = admin_client_.post(url, {"action": "proceed", "recipients": ["john@contoso.com"]})
    assert saved.status_code == 302
    assert saved["Location"] == reverse("connectors:details", args=["outbound", to_our_servers.pk])
    to_our_servers.refresh_from_db()
    assert to_our_servers.smart_hosts == ["mail2.contoso.com"]
    # The old run proved the old smart host: the new one is not validated yet.
    assert (to_our_servers.is_validated, to_our_servers.last_validation_timestamp) == (False, None)


def test_a_successful_run_of_the_new_settings_is_recorded_on_save(
    admin_client_: Client, admin: User, to_our_servers: OutboundConnector
) -> None:
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )
    draft = ConnectorDraft.objects.get(editing_connector_id=to_our_servers.pk)
    from connectors.wizard import steps as wizard

    target = wizard.validation_target(draft)
    assert target["smart_hosts"] == ["mail2.contoso.com"]  # the run checks the new settings
    finished = timezone.now()
    run = ValidationRun.objects.create(
        tenant=to_our_servers.tenant,
        target=target,
        recipients=["john@contoso.com"],
        status="succeeded",
        finished_at=finished,
    )
    ConnectorDraft.objects.filter(pk=draft.pk).update(validation_run=run)

    saved = admin_client_.post(url, {"action": "save", "recipients": ["john@contoso.com"]})
    assert saved.status_code == 302  # no question: it validated
    to_our_servers.refresh_from_db()
    assert (to_our_servers.smart_hosts, to_our_servers.is_validated) == (
        ["mail2.contoso.com"],
        True,
    )
    assert to_our_servers.last_validation_timestamp == finished
    run.refresh_from_db()
    assert run.connector_id == to_our_servers.pk


def test_back_returns_to_the_edit_page_with_what_was_chosen(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )
    back = admin_client_.post(url, {"action": "back"})
    assert back.status_code == 302
    html = admin_client_.get(back["Location"]).content.decode()
    assert '<input type="hidden" name="smart_hosts" value="mail2.contoso.com">' in html
    draft = ConnectorDraft.objects.get(editing_connector_id=to_our_servers.pk)
    assert f'name="draft" value="{draft.pk}"' in html
    # Next again carries on with the same draft, not a second one.
    again = admin_client_.post(
        back["Location"].split("?")[0],
        {
            "opened": opened(admin_client_, to_our_servers, "routing"),
            "draft": str(draft.pk),
            "action": "save",
            "smart_hosts": ["mail3.contoso.com"],
        },
    )
    assert again["Location"] == url
    assert ConnectorDraft.objects.filter(editing_connector_id=to_our_servers.pk).count() == 1
    draft.refresh_from_db()
    assert draft.data["routing"]["smart_hosts"] == ["mail3.contoso.com"]


def test_someone_elses_save_is_reported_at_next_not_after_validating(
    admin_client_: Client, mailflow_admin: User, to_our_servers: OutboundConnector
) -> None:
    mine = opened(admin_client_, to_our_servers, "use")
    connector_update(
        connector=to_our_servers,
        actor=mailflow_admin,
        fields={"smart_hosts": ["mail9.contoso.com"]},
        expected_version=1,
    )
    response = admin_client_.post(
        edit_url(to_our_servers, "use"),
        {"opened": mine, "action": "save", "use": "domains", "recipient_domains": ["contoso.com"]},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Changed meanwhile: Smart hosts." in html
    assert not ConnectorDraft.objects.filter(editing_connector_id=to_our_servers.pk).exists()


def test_turning_an_outbound_connector_on_from_the_name_page_validates_first(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    OutboundConnector.objects.filter(pk=to_our_servers.pk).update(enabled=False)
    to_our_servers.refresh_from_db()
    page = admin_client_.get(edit_url(to_our_servers, "name")).content.decode()
    # Save while the box is clear, Next once it is ticked (console.js swaps them).
    assert 'data-shown-when="!#id_turn_on">Save</button>' in page
    assert 'data-shown-when="#id_turn_on" hidden>Next</button>' in page
    url = next_to_validation(
        admin_client_, to_our_servers, "name", name="To Contoso servers", turn_on="on"
    )
    admin_client_.post(url, {"action": "proceed", "recipients": ["john@contoso.com"]})
    to_our_servers.refresh_from_db()
    assert to_our_servers.enabled is True


def test_renaming_an_outbound_connector_saves_at_once(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    response = admin_client_.post(
        edit_url(to_our_servers, "name"),
        {
            "opened": opened(admin_client_, to_our_servers, "name"),
            "action": "save",
            "name": "Renamed",
            "turn_on": "on",
        },
    )
    assert response["Location"] == reverse(
        "connectors:details", args=["outbound", to_our_servers.pk]
    )
    to_our_servers.refresh_from_db()
    assert (to_our_servers.name, to_our_servers.is_validated) == ("Renamed", True)


def test_a_second_save_of_the_same_edit_lands_on_the_details(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )
    first = admin_client_.post(url, {"action": "proceed", "recipients": ["john@contoso.com"]})
    second = admin_client_.post(url, {"action": "proceed", "recipients": ["john@contoso.com"]})
    details = reverse("connectors:details", args=["outbound", to_our_servers.pk])
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == details
    to_our_servers.refresh_from_db()
    assert to_our_servers.version == 2  # one save


def test_the_edit_panel_answers_htmx_with_the_panel_alone(
    admin_client_: Client, to_our_servers: OutboundConnector
) -> None:
    html = admin_client_.get(
        edit_url(to_our_servers, "security"), headers={"HX-Request": "true"}
    ).content.decode()
    assert html.lstrip().startswith('<aside id="flyout" class="flyout edit-panel"')
    assert "<nav" not in html  # no second console inside the first
    full = admin_client_.get(edit_url(to_our_servers, "security")).content.decode()
    assert '<aside id="flyout" class="flyout edit-panel"' in full
    assert '<table id="connector-table"' in full  # the Connectors page behind the panel


def test_inbound_edits_save_at_once(admin_client_: Client, contoso: Tenant) -> None:
    tailspin = contoso.inboundconnectors.get(name="From Tailspin")
    response = admin_client_.post(
        edit_url(tailspin, "inbound_security"),
        {"opened": opened(admin_client_, tailspin, "inbound_security"), "action": "save"},
    )
    assert response["Location"] == reverse("connectors:details", args=["inbound", tailspin.pk])


def test_a_stranger_cannot_reach_another_tenants_edit_draft(
    admin_client_: Client, stranger_client: Client, to_our_servers: OutboundConnector
) -> None:
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )
    assert stranger_client.get(url).status_code == 404
    assert stranger_client.post(url, {"action": "proceed"}).status_code == 404
    to_our_servers.refresh_from_db()
    assert to_our_servers.version == 1


def test_validation_service_refusals_keep_the_draft(
    admin_client_: Client, to_our_servers: OutboundConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = next_to_validation(
        admin_client_, to_our_servers, "routing", smart_hosts=["mail2.contoso.com"]
    )

    def unavailable(**_: Any) -> None:
        raise validation.ValidationUnavailable("The validation service is unavailable.")

    monkeypatch.setattr(validation, "validation_start", unavailable)
    response = admin_client_.post(url, {"action": "validate", "recipients": ["john@contoso.com"]})
    assert response.status_code == 503
    assert "The validation service is unavailable." in response.content.decode()
