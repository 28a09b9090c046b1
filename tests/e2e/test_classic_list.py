"""An admin moves between the New and the Classic EAC in a real browser: the Classic connectors list,
its details pane, Turn it off, the switch back and forth on the same page, accepted domains."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.e2e.test_console_shell import demo, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo"]

CLASSIC_CONNECTOR = re.compile(r"/classic/mail-flow/connectors/outbound/[0-9a-f-]+/$")
NEW_CONNECTOR = re.compile(r"/mail-flow/connectors/outbound/[0-9a-f-]+/$")


def test_an_admin_uses_the_classic_connectors_list_and_switches_views(
    page: Page, live_server: object, demo: None
) -> None:
    sign_in(page, str(live_server), "admin@contoso.com")
    page.get_by_role("link", name="Classic Exchange admin center").click()

    expect(page).to_have_url(re.compile(r"/classic/mail-flow/connectors/$"))
    expect(page.get_by_role("link", name="mail flow")).to_be_visible()
    rows = page.locator("table.classic-list tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(1)).to_contain_text(
        re.compile(r"On\s*Connector 2\s*Office 365\s*Your organization's email server")
    )
    expect(page.get_by_role("button", name="Edit")).to_be_disabled()
    assert serious_accessibility_violations(page) == []

    rows.nth(1).get_by_role("link", name="Connector 2").click()
    expect(page).to_have_url(CLASSIC_CONNECTOR)
    pane = page.locator(".classic-pane")
    expect(pane.get_by_role("heading", name="Connector 2")).to_be_visible()
    expect(pane).to_contain_text(re.compile(r"From: Office 365\s*To: Your organization's email"))
    expect(pane).to_contain_text(re.compile(r"Description\s*None"))
    expect(pane.get_by_role("link", name="Validate this connector")).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_be_enabled()
    snapshot(page, "classic-connectors-details")
    assert serious_accessibility_violations(page) == []

    pane.get_by_role("button", name="Turn it off").click()
    expect(page).to_have_url(CLASSIC_CONNECTOR)
    expect(page.get_by_text("Connector 2 was turned off.")).to_be_visible()
    expect(pane).to_contain_text(re.compile(r"Status\s*Off"))
    expect(rows.nth(0)).to_contain_text(re.compile(r"Off\s*Connector 2"))  # status sorts ▲

    page.get_by_role("link", name="Switch to the new Exchange admin center").click()
    expect(page).to_have_url(NEW_CONNECTOR)
    expect(page.locator("#flyout").get_by_role("heading", name="Connector 2")).to_be_visible()

    page.get_by_role("link", name="Classic Exchange admin center").click()
    expect(page).to_have_url(CLASSIC_CONNECTOR)
    expect(pane.get_by_role("heading", name="Connector 2")).to_be_visible()
    expect(page.locator("tr.selected")).to_contain_text("Connector 2")


def test_an_admin_makes_a_domain_internal_relay_in_the_classic_view(
    page: Page, live_server: object, demo: None
) -> None:
    base = str(live_server)
    sign_in(page, base, "admin@contoso.com")
    page.goto(f"{base}/classic/mail-flow/connectors/")
    page.get_by_role("link", name="accepted domains").click()
    expect(page.locator("table.classic-list tbody tr")).to_have_count(4)
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="sales.contoso.com").click()
    expect(page.locator(".classic-pane")).to_contain_text(
        re.compile(r"Domain type\s*Authoritative")
    )
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="sales.contoso.com")).to_be_visible()
    expect(page.get_by_label("Make this the default domain.")).to_be_disabled()
    subdomains = page.get_by_label("Accept mail for all subdomains")
    expect(subdomains).to_be_disabled()
    page.get_by_role("radio", name=re.compile(r"^Internal Relay:")).check()
    subdomains.check()
    snapshot(page, "classic-accepted-domain-edit")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("The accepted domain is updated successfully")).to_be_visible()
    expect(page.locator("tr", has_text="sales.contoso.com")).to_contain_text("Internal Relay")
    snapshot(page, "classic-accepted-domains")

    page.get_by_role("link", name="Switch to the new Exchange admin center").click()
    expect(page).to_have_url(re.compile(r"/mail-flow/accepted-domains/\d+/$"))
    expect(page.get_by_label("Internal relay")).to_be_checked()


def test_escape_closes_the_classic_domain_window_as_cancel_does(
    page: Page, live_server: object, demo: None
) -> None:
    base = str(live_server)
    sign_in(page, base, "admin@contoso.com")
    page.goto(f"{base}/classic/mail-flow/accepted-domains/")
    page.get_by_role("link", name="sales.contoso.com").click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="sales.contoso.com")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"/classic/mail-flow/accepted-domains/\d+/$"))
    expect(
        page.locator(".classic-pane").get_by_role("heading", name="sales.contoso.com")
    ).to_be_visible()
