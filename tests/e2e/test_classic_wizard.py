"""The Classic EAC "New connector" window in Chromium: each From/To pair (Internet ends with "no
connector needed"), the dialogs, Confirm your settings, and a validation that succeeds against the
lab's STARTTLS server through a real worker — with axe on every page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from connectors.models import InboundConnector, OutboundConnector
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


def add_with_dialog(page: Page, noun: str, value: str) -> None:
    page.get_by_role("button", name=f"Add {noun}", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"add {noun}")
    assert serious_accessibility_violations(page) == []
    dialog.get_by_role("textbox").fill(value)
    dialog.get_by_role("button", name="ok").click()
    expect(page.get_by_role("radio", name=value)).to_be_visible()


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
    lab_worker(lab)
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
    checked_page(page, "Validate this connector")
    page.get_by_role("textbox", name="Email address").fill("john@contoso.com")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validation successful")).to_be_visible(timeout=30_000)
    checked_page(page, "Validation result", "classic-4-result")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Classic to the lab")).to_be_visible()

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
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Classic from our server")).to_be_visible()
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
