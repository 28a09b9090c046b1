"""The Classic EAC "New connector" window: its pages, its dialogs, and — driven with the same
answers as the New EAC wizard — connectors identical to the New wizard's (except name, id and
timestamps)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from eac.models import Tenant
from tests.conftest import make_inbound
from tests.connectors.test_wizard import create as new_create
from tests.connectors.test_wizard import skip_validation
from tests.connectors.test_wizard import walk as new_walk
from validation.models import ValidationRun, ValidationTask

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
    assert ">Office 365<" in to_select
    assert "Internet" not in to_select
    assert "Partner" not in to_select


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
    assert '<dialog class="classic-dialog" open data-modal' in opened
    assert "add domain" in opened
    bad = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains_new": "a.*.com",
            "list_action": "ok:recipient_domains",
        },
    )
    assert bad.status_code == 422
    dialog = _dialog(bad.content.decode())
    assert 'value="a.*.com"' in dialog
    assert 'id="id_recipient_domains_new_error"' in dialog
    assert 'aria-invalid="true" aria-describedby="id_recipient_domains_new_error"' in dialog
    assert "error-summary" not in bad.content.decode()  # the message stays in the dialog
    added = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains_new": "Contoso.com",
            "list_action": "ok:recipient_domains",
        },
    ).content.decode()
    assert 'name="recipient_domains" value="contoso.com"' in added
    assert "<dialog" not in added
    edit = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_selected": "0",
            "list_action": "open-edit:recipient_domains",
        },
    ).content.decode()
    assert "edit domain" in edit
    assert 'value="contoso.com" autocomplete="off" autofocus' in edit
    edited = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_new": "*.contoso.com",
            "list_action": "ok:recipient_domains:0",
        },
    ).content.decode()
    assert 'name="recipient_domains" value="*.contoso.com"' in edited
    assert 'value="contoso.com"' not in edited
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


def test_a_dialogs_cancel_posts_back_and_closes_it(admin_client_: Client, contoso: Tenant) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:2])
    url = reverse("classic_wizard:page", args=[draft.pk, "use"])
    opened = admin_client_.post(
        url, {"use": "domains", "list_action": "open-add:recipient_domains"}
    ).content.decode()
    assert 'value="cancel:recipient_domains" formnovalidate data-dialog-close' in opened
    closed = admin_client_.post(
        url,
        {
            "use": "domains",
            "recipient_domains_new": "typed.example",
            "list_action": "cancel:recipient_domains",
        },
    )
    assert closed.status_code == 200
    assert "<dialog" not in closed.content.decode()
    assert "typed.example" not in closed.content.decode()


def test_a_box_left_in_a_closed_dialog_is_not_added_by_next(
    admin_client_: Client, contoso: Tenant
) -> None:
    """Escape closes the dialog in the browser, but its box stays in the form."""
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:2])
    response = classic_post(
        admin_client_,
        draft,
        "use",
        {
            "action": "next",
            "use": "domains",
            "recipient_domains": ["contoso.com"],
            "recipient_domains_new": "typed.example",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["use"]["recipient_domains"] == ["contoso.com"]


def _first_button(html: str) -> str:
    form = html.split('class="classic-window-form"', 1)[1]
    return re.search(r"<button[^>]*>", form).group(0)  # type: ignore[union-attr]


def _dialog(html: str) -> str:
    match = re.search(r"<dialog.*?</dialog>", html, re.S)
    assert match, "no dialog on the page"
    return match.group(0)


def test_enter_in_a_box_means_next_never_back(admin_client_: Client, contoso: Tenant) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:2])
    html = admin_client_.get(
        reverse("classic_wizard:page", args=[draft.pk, "use"])
    ).content.decode()
    first = _first_button(html)
    assert 'value="next"' in first
    assert "hidden" in first
    assert "data-default-button" in first
    assert html.index("data-default-button") < html.index('value="back"')


def test_with_a_dialog_open_enter_means_its_ok(admin_client_: Client, contoso: Tenant) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:3])
    html = classic_post(
        admin_client_, draft, "routing", {"list_action": "open-add:smart_hosts"}
    ).content.decode()
    first = _first_button(html)
    assert 'name="list_action" value="ok:smart_hosts"' in first
    assert "hidden" in first
    dialog = _dialog(html)
    assert 'data-enter-clicks="id_smart_hosts_ok"' in dialog
    assert (
        'id="id_smart_hosts_ok" type="submit" name="list_action" value="ok:smart_hosts"' in dialog
    )


def test_enter_on_the_last_page_of_an_inbound_connector_means_save(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["your org → office365"][1])
    html = admin_client_.get(
        reverse("classic_wizard:page", args=[draft.pk, "confirm"])
    ).content.decode()
    assert 'value="save"' in _first_button(html)


def test_a_refused_page_lists_its_errors_at_the_top_linked_to_their_fields(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:1])
    refused = classic_post(admin_client_, draft, "name", {"action": "next", "name": ""})
    assert refused.status_code == 422
    html = refused.content.decode()
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#id_name">Enter a name.</a>' in summary
    assert html.index("classic-window-body") < html.index("error-summary") < html.index("Name:")
    assert 'aria-describedby="id_name_error"' in html
    assert 'id="id_name_error"' in html


def test_a_list_left_empty_is_linked_to_its_plus_button(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["office365 → your org"][1][:3])
    refused = classic_post(admin_client_, draft, "routing", {"action": "next"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert '<a href="#id_smart_hosts">Add at least one smart host with the + button.</a>' in html
    assert re.search(
        r'<button type="submit" id="id_smart_hosts" [^>]*aria-describedby="id_smart_hosts_error"',
        html,
    )


def test_a_refused_save_links_to_the_page_to_fix(admin_client_: Client, contoso: Tenant) -> None:
    draft = classic_walk(admin_client_, SCENARIOS["your org → office365"][1])
    make_inbound(contoso, "C")  # the name is taken meanwhile
    refused = classic_post(admin_client_, draft, "confirm", {"action": "save"})
    assert refused.status_code == 422
    name_page = reverse("classic_wizard:page", args=[draft.pk, "name"])
    assert f'<a href="{name_page}">A connector named C already exists.</a>' in (
        refused.content.decode()
    )


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
    assert "Edit connector" in name_page
    assert 'value="To Contoso servers"' in name_page
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
    draft.refresh_from_db()  # it remembers what it became, for a second Save
    assert (draft.created_connector_id, draft.created_direction) == (connector.pk, "outbound")
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


def test_a_classic_edit_of_a_connector_deleted_meanwhile_says_so(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso)
    admin_client_.post(reverse("classic_wizard:edit", args=["outbound", connector.pk]))
    draft = ConnectorDraft.objects.get(editing_connector_id=connector.pk)
    OutboundConnector.objects.filter(pk=connector.pk).delete()  # someone else, in another tab

    saved = classic_post(admin_client_, draft, "validate", {"action": "save"})

    assert saved.status_code == 302
    assert saved["Location"] == reverse("classic:connectors")
    page = admin_client_.get(saved["Location"]).content.decode()
    assert "To Contoso servers was deleted by someone else." in page
    assert not OutboundConnector.objects.filter(tenant=contoso).exists()


# --- "Validate this connector" ----------------------------------------------------------------


def at_validate(client: Client) -> ConnectorDraft:
    """Office 365 → your server for contoso.com and *.contoso.com, through Confirm."""
    return classic_walk(client, SCENARIOS["office365 → your org"][1])


def validate_url(draft: ConnectorDraft) -> str:
    return reverse("classic_wizard:page", args=[draft.pk, "validate"])


def _footer(html: str) -> list[str]:
    footer = html.split('class="classic-window-footer"', 1)[1].split("</div>", 1)[0]
    return re.findall(r">([^<>]+)</button>", footer)


def started(client: Client, draft: ConnectorDraft, address: str = "john@contoso.com") -> Any:
    response = client.post(validate_url(draft), {"action": "validate", "recipients": [address]})
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.validation_run is not None
    return draft.validation_run


def finish(run: ValidationRun, status: str) -> None:
    now = timezone.now()
    ValidationTask.objects.create(
        run=run, seq=1, name="Resolve", host="mail.contoso.com", status="Succeeded",
        started_at=now, duration_ms=3,
    )  # fmt: skip
    ValidationRun.objects.filter(pk=run.pk).update(status=status, finished_at=now)


def poll(client: Client, draft: ConnectorDraft) -> Any:
    return client.get(validate_url(draft), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="run-progress")


def test_the_validate_page_is_a_classic_list_with_back_validate_cancel(
    admin_client_: Client, contoso: Tenant
) -> None:
    html = admin_client_.get(validate_url(at_validate(admin_client_))).content.decode()
    assert '<h1 class="classic-question" tabindex="-1">Validate this connector</h1>' in html
    assert 'aria-label="Add email address"' in html
    assert 'aria-label="Edit email address"' in html
    assert 'name="new_recipient"' not in html  # no New EAC box
    assert _footer(html) == ["Back", "Validate", "Cancel"]
    assert 'value="validate"' in _first_button(html)


def test_the_add_email_dialog_refuses_a_bad_address_and_keeps_nothing(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = at_validate(admin_client_)
    opened = admin_client_.post(validate_url(draft), {"list_action": "open-add:recipients"})
    assert "add email" in _dialog(opened.content.decode())
    for bad, message in (
        ("John <john@contoso.com>", "without a display name"),
        ("john@fabrikam.com", "doesn&#x27;t route mail to fabrikam.com"),
    ):
        refused = admin_client_.post(
            validate_url(draft), {"recipients_new": bad, "list_action": "ok:recipients"}
        )
        assert refused.status_code == 422
        dialog = _dialog(refused.content.decode())
        assert message in dialog
        assert 'id="id_recipients_new_error"' in dialog
        assert 'autofocus data-enter-clicks="id_recipients_ok" aria-invalid="true"' in dialog
        assert 'aria-describedby="id_recipients_new_error"' in dialog
    draft.refresh_from_db()
    assert draft.data.get("validation", {}).get("recipients", []) == []
    assert not OutboundConnector.objects.filter(name="C").exists()

    added = admin_client_.post(
        validate_url(draft), {"recipients_new": "John@Contoso.com", "list_action": "ok:recipients"}
    )
    assert added.status_code == 200
    assert "<dialog" not in added.content.decode()
    assert 'name="recipients" value="John@contoso.com"' in added.content.decode()
    draft.refresh_from_db()
    assert draft.data["validation"]["recipients"] == ["John@contoso.com"]


def test_validate_without_an_address_is_refused(admin_client_: Client, contoso: Tenant) -> None:
    draft = at_validate(admin_client_)
    refused = admin_client_.post(validate_url(draft), {"action": "validate"})
    assert refused.status_code == 422
    assert (
        '<a href="#id_recipients">Add at least one email address with the + button.</a>'
        in refused.content.decode()
    )
    assert not ValidationRun.objects.exists()


def test_validate_shows_the_validating_dialog_over_the_page(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = at_validate(admin_client_)
    run = started(admin_client_, draft)
    assert (run.status, run.recipients) == ("queued", ["john@contoso.com"])
    html = admin_client_.get(validate_url(draft)).content.decode()
    dialog = _dialog(html)
    assert '<dialog class="classic-dialog classic-progress" open data-modal' in dialog
    assert "Validating connector..." in dialog
    assert "<progress" in dialog
    assert 'hx-get="' + validate_url(draft) + '" hx-trigger="every 1s"' in dialog
    assert 'value="stop" autofocus' in dialog
    assert "<noscript><a href=" in dialog
    assert re.search(r'value="validate" disabled>Validate<', html)
    polled = poll(admin_client_, draft)
    assert polled.status_code == 200
    assert '<div id="run-progress"' in polled.content.decode()
    assert "<main" not in polled.content.decode()


@pytest.mark.parametrize(("status", "shown"), [("succeeded", "Validation successful"), ("failed", "Validation failed"), ("interrupted", "Validation interrupted")])  # fmt: skip
def test_when_the_run_finishes_its_result_replaces_the_window(
    admin_client_: Client, contoso: Tenant, status: str, shown: str
) -> None:
    draft = at_validate(admin_client_)
    finish(started(admin_client_, draft), status)
    polled = poll(admin_client_, draft)
    assert polled.status_code == 286  # no more polling
    assert (polled["HX-Retarget"], polled["HX-Reselect"], polled["HX-Reswap"]) == (
        "#classic-window",
        "#classic-window",
        "outerHTML",
    )
    for html in (polled.content.decode(), admin_client_.get(validate_url(draft)).content.decode()):
        window = html.split('<main class="classic-window" id="classic-window"', 1)[1]
        assert (
            '<h1 class="classic-question" tabindex="-1" autofocus>Validation result</h1>' in window
        )
        assert shown in window
        assert "View details" in window
        assert "Resolve mail.contoso.com" in window
        assert "Validate this connector" not in window
        assert "<dialog" not in window
        assert _footer(html) == ["Back", "Save", "Cancel"]
        assert 'value="save"' in _first_button(html)


def test_a_failed_validation_can_still_be_saved(admin_client_: Client, contoso: Tenant) -> None:
    draft = at_validate(admin_client_)
    finish(started(admin_client_, draft), "failed")
    saved = admin_client_.post(validate_url(draft), {"action": "save"})
    connector = OutboundConnector.objects.get(tenant=contoso, name="C")
    assert saved["Location"] == f"{reverse('classic:connectors')}?selected=outbound:{connector.pk}"
    assert (connector.is_validated, connector.validation_recipients) == (
        False,
        ["john@contoso.com"],
    )
    assert connector.last_validation_timestamp is not None


def test_the_results_back_returns_to_the_addresses(admin_client_: Client, contoso: Tenant) -> None:
    draft = at_validate(admin_client_)
    finish(started(admin_client_, draft), "failed")
    back = admin_client_.post(validate_url(draft), {"action": "revise"})
    assert back["Location"] == validate_url(draft)
    html = admin_client_.get(validate_url(draft)).content.decode()
    assert ">Validate this connector</h1>" in html
    assert "Validation result" not in html
    assert 'name="recipients" value="john@contoso.com"' in html
    assert _footer(html) == ["Back", "Validate", "Cancel"]
    late = poll(admin_client_, draft)  # a poll still on its way, from before Back
    assert (late.status_code, late["HX-Retarget"]) == (286, "#classic-window")
    assert ">Validate this connector</h1>" in late.content.decode()


def test_stop_ends_the_run_and_returns_to_the_addresses(
    admin_client_: Client, contoso: Tenant
) -> None:
    draft = at_validate(admin_client_)
    run = started(admin_client_, draft)
    assert admin_client_.post(validate_url(draft), {"action": "stop"}).status_code == 302
    run.refresh_from_db()
    assert run.status == "cancelled"  # no worker had taken it yet
    html = admin_client_.get(validate_url(draft)).content.decode()
    assert "<dialog" not in html
    assert ">Validate this connector</h1>" in html
