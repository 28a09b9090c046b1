"""The four "Add a connector" scenarios driven in Chromium as an admin would, with axe on every
step; validation against the lab's STARTTLS server through a real worker; reload, Back, a second
tab; the keyboard alone; and a view-only user."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from connectors.models import InboundConnector, OutboundConnector
from eac.models import Tenant, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.validation.peers import SMART_HOST, Behaviour, LabServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Connectors")).to_be_visible()


def open_wizard(page: Page, base: str, admin: User) -> None:
    sign_in(page, base, admin.email)
    page.get_by_role("button", name="Add a connector").click()
    expect(page.get_by_text("Add a connector", exact=True)).to_be_visible()


def at_step(page: Page, heading: str, shot: str = "") -> None:
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert serious_accessibility_violations(page) == [], heading
    if shot:
        snapshot(page, shot)


def rail(page: Page) -> list[str]:
    return [
        re.sub(r"\s*\(completed\)", "", t).strip()
        for t in page.locator(".rail li:visible .label").all_inner_texts()
    ]


def choose(page: Page, group: str, label: str) -> None:
    page.get_by_role("group", name=group).get_by_label(label, exact=True).check()


def next_step(page: Page) -> None:
    page.get_by_role("button", name="Next").click()


def name_step(page: Page, name: str) -> None:
    page.get_by_role("textbox", name="Name", exact=True).fill(name)
    next_step(page)


def test_office_365_to_your_server_validates_against_the_lab_and_is_created(
    page: Page,
    live_server: Any,
    admin: User,
    contoso: Tenant,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., Any],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    lab_worker(lab)
    open_wizard(page, str(live_server), admin)
    at_step(page, "New connector", "wizard-1-new-connector")
    assert rail(page) == ["New connector"]
    choose(page, "Connection from", "Your organization's email server")
    expect(page.locator(".rail li:visible")).to_have_count(4)  # the rail follows the choice
    assert rail(page) == [
        "New connector",
        "Name",
        "Authenticating sent email",
        "Review connector",
    ]
    choose(page, "Connection from", "Office 365")
    expect(
        page.get_by_role("group", name="Connection to").get_by_label(
            "Your organization's email server"
        )
    ).to_be_checked()
    expect(page.locator(".rail li:visible")).to_have_count(7)
    next_step(page)

    at_step(page, "Connector name", "wizard-2-name")
    assert rail(page) == [
        "New connector",
        "Name",
        "Use of connector",
        "Routing",
        "Security restrictions",
        "Validation email",
        "Review connector",
    ]
    expect(page.get_by_label("Turn it on", exact=True)).to_be_checked()
    expect(
        page.get_by_label("Retain internal Exchange email headers (recommended)", exact=True)
    ).to_be_checked()
    name_step(page, "To the lab")

    at_step(page, "Use of connector", "wizard-3-use")
    expect(
        page.get_by_label(
            "For email messages sent to all accepted domains in your organization", exact=True
        )
    ).to_be_checked()
    # The domain box and its + appear under the third option only once it is chosen.
    expect(page.get_by_role("button", name="Add domain")).to_be_hidden()
    page.get_by_label("Only when email messages are sent to these domains", exact=True).check()
    expect(page.get_by_role("button", name="Add domain")).to_be_enabled()
    page.get_by_label(
        "For email messages sent to all accepted domains in your organization", exact=True
    ).check()
    expect(page.get_by_role("button", name="Add domain")).to_be_hidden()
    next_step(page)

    at_step(page, "Routing", "wizard-4-routing")
    page.get_by_label("Smart hosts", exact=True).fill(SMART_HOST)
    page.get_by_role("button", name="Add smart host").click()
    expect(page.get_by_role("button", name=f"Remove {SMART_HOST}")).to_be_visible()
    next_step(page)

    at_step(page, "Security restrictions", "wizard-5-security")
    expect(
        page.get_by_label("Issued by a trusted certificate authority (CA)", exact=True)
    ).to_be_checked()
    page.get_by_label(
        "And the subject name or subject alternative name (SAN) matches this domain name:",
        exact=True,
    ).check()
    page.get_by_label("Certificate domain", exact=True).fill(SMART_HOST)
    page.get_by_label(
        "Always use Transport Layer Security (TLS) to secure the connection (recommended)",
        exact=True,
    ).uncheck()
    expect(
        page.get_by_label("Certificate domain", exact=True)
    ).to_be_disabled()  # greyed with TLS off
    page.get_by_label(
        "Always use Transport Layer Security (TLS) to secure the connection (recommended)",
        exact=True,
    ).check()
    next_step(page)

    at_step(page, "Validation email")
    page.get_by_role("textbox", name="Email address").fill("john@contoso.com")
    page.get_by_role("button", name="Add email address").click()
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validation succeeded")).to_be_visible(timeout=30_000)
    assert serious_accessibility_violations(page) == []
    snapshot(page, "wizard-6-validation-email")
    next_step(page)

    at_step(page, "Review connector", "wizard-7-review")
    for link in ("Edit name", "Edit use", "Edit routing", "Edit restrictions"):
        expect(page.get_by_role("link", name=link)).to_be_visible()
    page.get_by_role("button", name="Create connector").click()
    at_step(page, "Connector created", "wizard-8-created")
    page.get_by_role("link", name="Done").click()
    expect(page.locator("tr", has_text="To the lab")).to_contain_text(
        re.compile(r"On\s*To the lab\s*O365\s*Your org")
    )

    c = OutboundConnector.objects.get(name="To the lab")
    assert (c.tls_settings, c.tls_domain, c.smart_hosts, c.all_accepted_domains) == (
        "DomainValidation",
        SMART_HOST,
        [SMART_HOST],
        True,
    )
    assert (c.is_validated, c.validation_recipients) == (True, ["john@contoso.com"])
    assert c.last_validation_timestamp is not None
    assert len(lab.messages) == 1


def test_office_365_to_a_partner_proceeds_after_a_failed_validation(
    page: Page,
    live_server: Any,
    admin: User,
    contoso: Tenant,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., Any],
) -> None:
    lab_worker(smtp_lab(Behaviour.REFUSED))
    open_wizard(page, str(live_server), admin)
    choose(page, "Connection from", "Office 365")
    choose(page, "Connection to", "Partner organization")
    next_step(page)
    at_step(page, "Connector name")
    expect(
        page.get_by_label("Retain internal Exchange email headers (recommended)", exact=True)
    ).to_have_count(0)
    name_step(page, "To the partner")
    at_step(page, "Use of connector")
    expect(
        page.get_by_label(
            "For email messages sent to all accepted domains in your organization", exact=True
        )
    ).to_have_count(0)
    page.get_by_label("Only when email messages are sent to these domains", exact=True).check()
    page.get_by_label("Domains", exact=True).fill(
        "lab.test"
    )  # typed, not added with +: Next adds it
    next_step(page)
    at_step(page, "Routing")
    page.get_by_label("Route email through these smart hosts", exact=True).check()
    page.get_by_label("Smart hosts", exact=True).fill(SMART_HOST)
    next_step(page)
    at_step(page, "Security restrictions")
    next_step(page)
    at_step(page, "Validation email")
    page.get_by_role("textbox", name="Email address").fill("someone@lab.test")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validation failed", exact=True)).to_be_visible(timeout=30_000)
    expect(page.locator("table.tasks")).to_contain_text("450 4.4.316 Connection refused")
    next_step(page)
    dialog = page.get_by_role("dialog", name="Are you sure you want to proceed?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Yes, proceed")).to_be_focused()
    snapshot(page, "wizard-are-you-sure")
    page.keyboard.press("Escape")  # No: the step stays, with its results
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Validation failed", exact=True)).to_be_visible()
    next_step(page)
    dialog.get_by_role("button", name="Yes, proceed").click()
    at_step(page, "Review connector")
    page.get_by_role("button", name="Create connector").click()
    at_step(page, "Connector created")

    c = OutboundConnector.objects.get(name="To the partner")
    assert (c.connector_type, c.recipient_domains, c.use_mx_record, c.smart_hosts) == (
        "Partner",
        ["lab.test"],
        False,
        [SMART_HOST],
    )
    assert (c.is_validated, c.tls_settings) == (False, "CertificateValidation")


def test_your_server_to_office_365_with_the_keyboard_alone(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_wizard(page, str(live_server), admin)

    def tab_to(name: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            if (
                page.evaluate(
                    "document.activeElement && (document.activeElement.labels?.[0]?.innerText || document.activeElement.innerText || document.activeElement.getAttribute('aria-label') || '')"
                )
                .strip()
                .startswith(name)
            ):
                return
        raise AssertionError(f"{name} can't be reached with Tab")

    tab_to("Office 365")
    page.keyboard.press(
        "ArrowDown"
    )  # radios move with the arrow keys: Your organization's email server
    tab_to("Next")
    page.keyboard.press("Enter")
    at_step(page, "Connector name")
    tab_to("Name")
    page.keyboard.type("Keyboard connector")
    tab_to("Next")
    page.keyboard.press("Enter")
    at_step(page, "Authenticating sent email")
    tab_to("Certificate domain")
    page.keyboard.type("mail.contoso.com")
    tab_to("Next")
    page.keyboard.press("Enter")
    at_step(page, "Review connector")
    tab_to("Create connector")
    page.keyboard.press("Enter")
    at_step(page, "Connector created")
    c = InboundConnector.objects.get(name="Keyboard connector")
    assert (c.connector_type, c.tls_sender_certificate_name, c.require_tls) == (
        "OnPremises",
        "mail.contoso.com",
        True,
    )


def test_partner_to_office_365_survives_reload_back_and_a_second_tab(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    open_wizard(page, str(live_server), admin)
    choose(page, "Connection from", "Partner organization")
    next_step(page)
    name_step(page, "From ContosoBank")
    at_step(page, "Authenticating sent email")
    assert rail(page) == [
        "New connector",
        "Name",
        "Authenticating sent email",
        "Security restrictions",
        "Review connector",
    ]
    page.get_by_label("Sender domains", exact=True).fill("contosobank.com")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_role("button", name="Remove contosobank.com")).to_be_visible()

    page.reload()  # a reload keeps the step, and what was saved before it
    at_step(page, "Authenticating sent email")
    page.get_by_label("Sender domains", exact=True).fill("contosobank.com")
    next_step(page)
    at_step(page, "Security restrictions", "wizard-partner-security")
    expect(
        page.get_by_label("Reject email messages if they aren't sent over TLS", exact=True)
    ).to_be_checked()

    page.go_back()  # browser Back shows the previous step with its values
    at_step(page, "Authenticating sent email")
    expect(page.get_by_role("button", name="Remove contosobank.com")).to_be_visible()

    second = page.context.new_page()  # a second tab resumes the same draft
    second.goto(page.url)
    expect(second.get_by_role("heading", name="Authenticating sent email")).to_be_visible()
    second.get_by_role("button", name="Next").click()
    expect(second.get_by_role("heading", name="Security restrictions")).to_be_visible()
    second.get_by_label(
        "And require that the subject name on the certificate that the partner uses to authenticate with Office 365 matches this domain name",
        exact=True,
    ).check()
    second.get_by_label("Certificate domain", exact=True).fill("*.contosobank.com")
    second.get_by_role("button", name="Next").click()
    expect(second.get_by_role("heading", name="Review connector")).to_be_visible()
    expect(second.get_by_role("link", name="Edit sent email identity")).to_be_visible()
    second.get_by_role("button", name="Create connector").click()
    expect(second.get_by_role("heading", name="Connector created")).to_be_visible()

    c = InboundConnector.objects.get(name="From ContosoBank")
    assert (c.connector_type, c.sender_domains, c.require_tls) == (
        "Partner",
        ["contosobank.com"],
        True,
    )
    assert (c.restrict_domains_to_certificate, c.tls_sender_certificate_name) == (
        True,
        "*.contosobank.com",
    )


def test_a_view_only_user_has_no_way_into_the_wizard(
    page: Page, live_server: Any, viewer: User
) -> None:
    sign_in(page, str(live_server), viewer.email)
    expect(page.get_by_role("button", name="Add a connector")).to_have_count(0)
