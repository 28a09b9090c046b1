"""The Classic EAC "New connector" window in Chromium: each From/To pair (Internet ends with "no
connector needed"), the dialogs and their keys (Enter, Escape; with and without JavaScript),
Confirm your settings, and a validation that succeeds against the lab's STARTTLS server through a
real worker — with axe on every page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from eac.models import Tenant, User
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.e2e.test_wizard import sign_in
from tests.validation.peers import SMART_HOST, Behaviour, LabServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_classic_wizard(page: Page, base: str, admin: User) -> None:
    sign_in(page, base, admin.email)
    page.goto(f"{base}/classic/mail-flow/connectors/")
    page.get_by_role("button", name="New").click()
    expect(page.get_by_role("heading", name="Select your mail flow scenario")).to_be_visible()


def checked_page(page: Page, heading: str, shot: str = "") -> None:
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert serious_accessibility_violations(page) == [], heading
    if shot:
        snapshot(page, shot)


def scenario(page: Page, source: str, target: str) -> None:
    """Each dropdown change reloads the page with the advice for the new pair."""
    for label, wanted in (("From:", source), ("To:", target)):
        page.wait_for_load_state("load")  # console.js, which submits on change, has run
        dropdown = page.get_by_label(label)
        if dropdown.evaluate("el => el.options[el.selectedIndex].text") != wanted:
            with page.expect_navigation():
                dropdown.select_option(label=wanted)


def next_page(page: Page) -> None:
    page.get_by_role("button", name="Next").click()


def add_with_dialog(page: Page, noun: str, value: str, title: str = "") -> None:
    page.get_by_role("button", name=f"Add {noun}", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(title or f"add {noun}")
    expect(dialog.get_by_role("textbox")).to_be_focused()
    assert serious_accessibility_violations(page) == []
    dialog.get_by_role("textbox").fill(value)
    dialog.get_by_role("button", name="ok").click()
    expect(page.get_by_role("radio", name=value)).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)


def to_the_use_page(page: Page, base: str, admin: User, name: str) -> None:
    open_classic_wizard(page, base, admin)
    scenario(page, "Office 365", "Your organization's email server")
    next_page(page)
    page.get_by_role("textbox", name="Name:").fill(name)
    next_page(page)
    expect(
        page.get_by_role("heading", name="When do you want to use this connector?")
    ).to_be_visible()


@pytest.mark.parametrize(
    ("source", "target"), [("Office 365", "Internet"), ("Internet", "Office 365")]
)
def test_an_internet_pair_ends_with_no_connector_needed(
    page: Page, live_server: Any, admin: User, contoso: Tenant, source: str, target: str
) -> None:
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, source, target)
    expect(
        page.get_by_text("You don't need a connector for this mail flow scenario.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_have_count(0)
    assert serious_accessibility_violations(page) == []


def test_office_365_to_your_server_validates_then_saves(
    page: Page,
    live_server: Any,
    admin: User,
    contoso: Tenant,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., Any],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, "Office 365", "Your organization's email server")
    expect(
        page.get_by_text("You need to create a connector for this mail flow scenario.")
    ).to_be_visible()
    checked_page(page, "Select your mail flow scenario", "classic-1-scenario")
    next_page(page)
    expect(
        page.get_by_text(
            "This connector lets Office 365 deliver messages to your organization's email server."
        )
    ).to_be_visible()
    page.get_by_role("textbox", name="Name:").fill("Classic to the lab")
    next_page(page)
    checked_page(page, "When do you want to use this connector?")
    page.get_by_label("Only when email messages are sent to these domains").check()
    add_with_dialog(page, "domain", "contoso.com")
    snapshot(page, "classic-2-use")
    next_page(page)
    checked_page(page, "How do you want to route email messages?")
    add_with_dialog(page, "smart host", SMART_HOST)
    next_page(page)
    checked_page(page, "How should Office 365 connect to your email server?")
    next_page(page)
    checked_page(page, "Confirm your settings", "classic-3-confirm")
    next_page(page)
    checked_page(page, "Validate this connector", "classic-validate")
    footer = page.locator(".classic-window-footer button")
    expect(footer).to_have_text(["Back", "Validate", "Cancel"])
    add_with_dialog(page, "email address", "john@contoso.com", title="add email")
    page.get_by_role("button", name="Validate").click()

    # No worker yet: the run waits, and the modal dialog says so until one takes it.
    validating = page.get_by_role("dialog", name="Validating connector...")
    expect(validating).to_be_visible()
    expect(validating.get_by_role("button", name="stop")).to_be_visible()
    assert validating.evaluate("dialog => dialog.matches(':modal')")
    snapshot(page, "classic-validating")
    assert serious_accessibility_violations(page) == []
    lab_worker(lab)

    # Once it has finished, its result takes the window's place, with its own buttons.
    expect(page.get_by_text("Validation successful")).to_be_visible(timeout=30_000)
    checked_page(page, "Validation result", "classic-4-result")
    expect(page.get_by_role("heading", name="Validate this connector")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(footer).to_have_text(["Back", "Save", "Cancel"])
    expect(page.get_by_role("link", name="View details")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Classic to the lab")).to_be_visible()
    expect(page.locator("tr.selected")).to_contain_text("Classic to the lab")

    c = OutboundConnector.objects.get(name="Classic to the lab")
    assert (c.connector_type, c.recipient_domains, c.smart_hosts, c.tls_settings) == (
        "OnPremises",
        ["contoso.com"],
        [SMART_HOST],
        "CertificateValidation",
    )
    assert (c.is_validated, c.validation_recipients) == (True, ["john@contoso.com"])
    assert len(lab.messages) == 1


def test_office_365_to_a_partner_by_mx(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, "Office 365", "Partner organization")
    expect(
        page.get_by_text("You can create a connector for this mail flow scenario")
    ).to_be_visible()
    next_page(page)
    page.get_by_role("textbox", name="Name:").fill("Classic to partner")
    next_page(page)
    expect(
        page.get_by_label("For email messages sent to all accepted domains in your organization")
    ).to_have_count(0)
    page.get_by_label("Only when email messages are sent to these domains").check()
    add_with_dialog(page, "domain", "adatum.com")
    next_page(page)
    page.get_by_label("Use the MX record associated with the partner's domain").check()
    next_page(page)
    checked_page(page, "How should Office 365 connect to your partner organization's email server?")
    next_page(page)
    next_page(page)  # Confirm → Validate
    checked_page(page, "Validate this connector")
    page.get_by_role("button", name="Cancel").click()
    assert not OutboundConnector.objects.filter(name="Classic to partner").exists()


def test_your_server_to_office_365_by_ip(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, "Your organization's email server", "Office 365")
    next_page(page)
    page.get_by_role("textbox", name="Name:").fill("Classic from our server")
    next_page(page)
    checked_page(page, "How should Office 365 identify email from your email server?")
    page.get_by_label(
        "By verifying that the IP address of the sending server matches one of these IP addresses that belong to your organization"
    ).check()
    add_with_dialog(page, "IP address", "203.0.113.10")
    next_page(page)
    checked_page(page, "Confirm your settings")
    expect(
        page.get_by_text("Before saving, make sure these are the settings you want to configure.")
    ).to_be_visible()
    # The same Save posted once already (a double click, another tab): this one lands on its row.
    fields = page.locator("form.classic-window-form").evaluate(
        "form => Object.fromEntries(new FormData(form))"
    )
    assert page.request.post(page.url, form=fields | {"action": "save"}).ok
    page.get_by_role("button", name="Save").click()
    expect(page.locator("tr.selected")).to_contain_text("Classic from our server")
    assert InboundConnector.objects.filter(name="Classic from our server").count() == 1
    c = InboundConnector.objects.get(name="Classic from our server")
    assert (c.connector_type, c.sender_ip_addresses, c.sender_domains) == (
        "OnPremises",
        ["203.0.113.10"],
        ["*"],
    )


def test_partner_to_office_365_by_domain_with_tls(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, "Partner organization", "Office 365")
    next_page(page)
    page.get_by_role("textbox", name="Name:").fill("Classic from ContosoBank")
    next_page(page)
    checked_page(page, "How do you want to identify the partner organization?")
    page.get_by_label("Use the sender's domain").check()
    next_page(page)
    checked_page(page, "What sender domain do you want to use to identify your partner?")
    add_with_dialog(page, "domain", "contosobank.com")
    next_page(page)
    checked_page(page, "What security restrictions do you want to apply?")
    page.get_by_label(
        "And require that the subject name on the certificate that the partner uses to authenticate with Office 365 matches this domain name"
    ).check()
    page.get_by_label("Certificate domain").fill("contosobank.com")
    next_page(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Classic from ContosoBank")).to_be_visible()
    c = InboundConnector.objects.get(name="Classic from ContosoBank")
    assert (c.connector_type, c.sender_domains, c.require_tls) == (
        "Partner",
        ["contosobank.com"],
        True,
    )
    assert (c.restrict_domains_to_certificate, c.tls_sender_certificate_name) == (
        True,
        "contosobank.com",
    )


def test_enter_in_the_name_box_means_next_never_back(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, "Office 365", "Your organization's email server")
    next_page(page)
    expect(page.get_by_role("button", name="Back")).to_be_visible()
    page.get_by_role("textbox", name="Name:").fill("Entered")
    page.get_by_role("textbox", name="Name:").press("Enter")
    expect(
        page.get_by_role("heading", name="When do you want to use this connector?")
    ).to_be_visible()


def test_a_refused_page_shows_its_errors_at_the_top(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_classic_wizard(page, str(live_server), admin)
    scenario(page, "Office 365", "Your organization's email server")
    next_page(page)
    next_page(page)  # no name
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    snapshot(page, "classic-error-summary")
    assert serious_accessibility_violations(page) == []
    summary.get_by_role("link", name="Enter a name.").click()
    expect(page.get_by_role("textbox", name="Name:")).to_be_focused()


def test_a_list_dialog_adds_with_enter_keeps_its_errors_and_closes_with_escape(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    to_the_use_page(page, str(live_server), admin, "Keys")
    page.get_by_label("Only when email messages are sent to these domains").check()
    plus = page.get_by_role("button", name="Add domain", exact=True)

    plus.click()
    dialog = page.get_by_role("dialog", name="add domain")
    box = dialog.get_by_role("textbox")
    expect(box).to_be_focused()
    box.fill("a.*.com")
    box.press("Enter")
    expect(dialog.locator(".field-error")).to_be_visible()  # the message stays in the dialog
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "id_recipient_domains_new_error")
    snapshot(page, "classic-dialog-error")
    assert serious_accessibility_violations(page) == []
    box.fill("contoso.com")
    box.press("Enter")
    expect(page.get_by_role("radio", name="contoso.com")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)

    plus.click()
    expect(page.get_by_role("dialog", name="add domain")).to_be_visible()
    page.get_by_role("dialog").get_by_role("textbox").fill("never.example")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    plus.click()
    page.get_by_role("dialog").get_by_role("button", name="cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    next_page(page)
    expect(
        page.get_by_role("heading", name="How do you want to route email messages?")
    ).to_be_visible()
    draft = ConnectorDraft.objects.get(data__name__name="Keys")
    assert draft.data["use"]["recipient_domains"] == ["contoso.com"]


@pytest.fixture
def page_without_javascript(browser: Browser, settings: Any) -> Iterator[Page]:
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(
        viewport={"width": 1366, "height": 800}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_without_javascript_a_dialogs_enter_is_its_ok_and_cancel_closes_it(
    page_without_javascript: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    page = page_without_javascript
    sign_in(page, str(live_server), admin.email)
    page.goto(f"{live_server}/classic/mail-flow/connectors/")
    page.get_by_role("button", name="New").click()
    page.get_by_role("button", name="Next").click()  # Office 365 → your organization's server
    page.get_by_role("textbox", name="Name:").fill("No script")
    page.get_by_role("textbox", name="Name:").press("Enter")
    expect(
        page.get_by_role("heading", name="When do you want to use this connector?")
    ).to_be_visible()
    page.get_by_label("Only when email messages are sent to these domains").check()
    page.get_by_role("button", name="Add domain", exact=True).click()
    dialog = page.get_by_role("dialog", name="add domain")
    dialog.get_by_role("textbox").fill("contoso.com")
    dialog.get_by_role("textbox").press("Enter")
    expect(page.get_by_role("radio", name="contoso.com")).to_be_visible()
    page.get_by_role("button", name="Add domain", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("radio", name="contoso.com")).to_be_visible()
