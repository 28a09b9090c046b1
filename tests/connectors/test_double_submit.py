"""A double-clicked Save in the Classic "New connector" / "Edit connector" window (two POSTs of
the same draft, with or without JavaScript): one connector, or one update, and both requests land
on the connectors list with its row selected — never a 404, nor "someone else saved"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from connectors.classic import wizard_views as classic_wizard_views
from connectors.models import ConnectorDraft, OutboundConnector
from connectors.wizard.drafts import connector_edit_draft, connector_save_draft
from eac.models import AuditEvent, Tenant, User
from tests.connectors.test_classic_wizard import SCENARIOS, classic_post, classic_walk

pytestmark = pytest.mark.django_db


def new_draft(client: Client) -> ConnectorDraft:
    return classic_walk(client, SCENARIOS["office365 → your org"][1])


def edit_draft(client: Client, contoso: Tenant) -> ConnectorDraft:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    client.post(reverse("classic_wizard:edit", args=["outbound", connector.pk]))
    draft = ConnectorDraft.objects.get(editing_connector_id=connector.pk)
    answers = {"action": "next", "name": "C", "turn_on": "on", "retain_headers": "on"}
    assert classic_post(client, draft, "name", answers).status_code == 302
    return draft


DRAFTS = {"new": new_draft, "edit": edit_draft}


def make(kind: str, client: Client, contoso: Tenant) -> ConnectorDraft:
    return new_draft(client) if kind == "new" else edit_draft(client, contoso)


def selected_row(client: Client, location: str) -> str:
    html = client.get(location, follow=True).content.decode()
    return html.split('<tr class="selected">', 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize("kind", list(DRAFTS))
def test_a_double_clicked_save_makes_one_connector_and_both_land_on_its_row(
    admin_client_: Client, contoso: Tenant, kind: str
) -> None:
    draft = make(kind, admin_client_, contoso)
    first = classic_post(admin_client_, draft, "validate", {"action": "save"})
    second = classic_post(admin_client_, draft, "validate", {"action": "save"})
    connector = OutboundConnector.objects.get(tenant=contoso, name="C")
    expected = f"{reverse('classic:connectors')}?selected=outbound:{connector.pk}"
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == expected
    assert ">C<" in selected_row(admin_client_, second["Location"])
    assert OutboundConnector.objects.filter(tenant=contoso).count() == (2 if kind == "new" else 1)
    action = "create" if kind == "new" else "update"
    assert AuditEvent.objects.filter(
        action=f"outbound_connector.{action}", tenant=contoso
    ).count() == (
        2 if kind == "new" else 1  # the fixture's own connector was created too
    )
    if kind == "edit":
        assert connector.version == 2


@pytest.mark.parametrize("kind", list(DRAFTS))
def test_a_second_save_that_read_the_draft_before_the_first_one_ended(
    admin_client_: Client, contoso: Tenant, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request read the draft while the first was still saving: its copy doesn't know
    the connector yet, and must neither write that back nor save again."""
    draft = make(kind, admin_client_, contoso)
    stale = ConnectorDraft.objects.get(pk=draft.pk)
    first = classic_post(admin_client_, draft, "validate", {"action": "save"})
    monkeypatch.setattr(classic_wizard_views, "tenant_draft", lambda request, draft_id: stale)
    second = classic_post(admin_client_, draft, "validate", {"action": "save"})
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"]
    connector = OutboundConnector.objects.get(tenant=contoso, name="C")
    draft.refresh_from_db()
    assert draft.created_connector_id == connector.pk
    assert connector.version == (1 if kind == "new" else 2)


def test_saving_an_edit_draft_twice_updates_once(contoso: Tenant, admin: User) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    draft = connector_edit_draft(connector=connector, actor=admin)
    draft.data = draft.data | {"name": draft.data["name"] | {"name": "Renamed"}}
    draft.save()
    copies: list[Any] = [ConnectorDraft.objects.get(pk=draft.pk) for _ in range(2)]
    first, second = (connector_save_draft(draft=copy, actor=admin) for copy in copies)
    assert first.pk == second.pk == connector.pk
    connector.refresh_from_db()
    assert (connector.name, connector.version) == ("Renamed", 2)


def test_a_saved_draft_whose_connector_was_deleted_is_refused(contoso: Tenant, admin: User) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    draft = connector_edit_draft(connector=connector, actor=admin)
    connector_save_draft(draft=draft, actor=admin)
    connector.delete()
    with pytest.raises(Exception, match="saved, then deleted"):
        connector_save_draft(draft=draft, actor=admin)
