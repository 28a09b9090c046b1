"""The New EAC wizard when a person errs or hurries: a name already taken is refused at the Name
step (and again at Create), a second Create of the same draft lands on the created page, the
page after Create is a page of its own for htmx too, and the review says what saving will do."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import InboundConnector
from eac.models import AuditEvent, Tenant
from tests.conftest import make_inbound
from tests.connectors.test_wizard import create, step, walk

pytestmark = pytest.mark.django_db

FROM_OUR_SERVER = [
    ("scenario", {"source": "your_org"}),
    ("name", {"name": "From our server", "turn_on": "on", "retain_headers": "on"}),
    ("identity", {"identify": "certificate", "certificate_domain": "mail.contoso.com"}),
]


def test_a_name_in_use_in_either_direction_is_refused_at_the_name_step(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, FROM_OUR_SERVER[:1])
    response = step(admin_client_, draft, "name", {"name": "TO CONTOSO SERVERS"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "A connector named TO CONTOSO SERVERS already exists." in html
    # Once in the summary at the top, linked to the box, and once under the box.
    assert '<a href="#id_name">A connector named TO CONTOSO SERVERS already exists.</a>' in html
    assert 'aria-describedby="id_name_error"' in html
    assert 'aria-invalid="true"' in html
    draft.refresh_from_db()
    assert draft.completed == ["scenario"]


def test_create_checks_the_name_again_and_links_to_the_name_step(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, FROM_OUR_SERVER)
    make_inbound(contoso, "From our server")  # made in another tab meanwhile
    response = create(admin_client_, draft)
    html = response.content.decode()
    assert response.status_code == 422
    name_step = reverse("connectors:wizard_step", args=[draft.pk, "name"])
    assert f'<a href="{name_step}">A connector named From our server already exists.</a>' in html
    assert InboundConnector.objects.filter(tenant=contoso, name="From our server").count() == 1


def test_a_second_create_of_the_same_draft_lands_on_the_created_page(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, FROM_OUR_SERVER)
    created_url = reverse("connectors:wizard_created", args=[draft.pk])
    first, second = create(admin_client_, draft), create(admin_client_, draft)
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == created_url
    assert InboundConnector.objects.filter(tenant=contoso, name="From our server").count() == 1
    assert (
        AuditEvent.objects.filter(action="inbound_connector.create", actor__isnull=False).count()
        == 1
    )


def test_with_htmx_create_sends_the_browser_to_the_created_page(
    admin_client_: Client, contoso: Tenant
) -> None:
    """htmx would swap a followed redirect, shell and all, into the wizard: it gets HX-Redirect."""
    draft = walk(admin_client_, FROM_OUR_SERVER)
    response = admin_client_.post(
        reverse("connectors:wizard_step", args=[draft.pk, "review"]),
        {"action": "create"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("connectors:wizard_created", args=[draft.pk])
    assert response.content == b""


def test_with_htmx_a_refused_step_answers_422_with_the_step_alone(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, FROM_OUR_SERVER[:1])
    response = step(admin_client_, draft, "name", {"name": ""}, HX_Request="true")
    html = response.content.decode()
    assert response.status_code == 422  # swapped by the console's htmx rule (htmx_head.html)
    assert html.lstrip().startswith('<div id="wizard"')
    assert "There is a problem" in html
    assert "Enter a name." in html
    assert "<header" not in html


def test_the_htmx_rule_lets_form_answers_swap(admin_client_: Client, contoso: Tenant) -> None:
    html = admin_client_.get(reverse("connectors:list")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert config
    assert '{"code": "^(409|413|422|503)$", "swap": true, "error": false}' in config.group(1)


def test_enter_in_a_text_box_means_next_never_back(admin_client_: Client, contoso: Tenant) -> None:
    """The browser presses a form's first submit button: the hidden default one, not Back."""
    draft = walk(admin_client_, FROM_OUR_SERVER[:1])
    html = admin_client_.get(reverse("connectors:wizard_step", args=[draft.pk, "name"])).content
    buttons = re.findall(rb"<button[^>]*>", html.split(b'id="wizard-form"', 1)[1])
    assert b'value="next" hidden' in buttons[0]
    assert b'value="back"' not in buttons[0]


def test_the_review_says_what_saving_will_do_and_edit_name_follows_the_status(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = walk(admin_client_, FROM_OUR_SERVER)
    html = admin_client_.get(reverse("connectors:wizard_step", args=[draft.pk, "review"])).content
    text = re.sub(r"<[^>]+>", "|", html.decode())
    parts = [p.strip() for p in text.split("|") if p.strip()]
    status = parts.index("Status")
    assert parts[status : status + 4] == [
        "Status",
        "Turn it on after saving",
        "Retain internal Exchange email headers (recommended)",
        "Edit name",
    ]
    assert "Edit name" not in parts[:status]
