"""An admin opens an imported hybrid connector's details: the flyout says the Hybrid
Configuration Wizard made it, and its Advanced section, closed at first, opens with a click on
the properties the EAC doesn't show, with the notes beside them (issue 15). The page fixture
fails the test on any Content-Security-Policy refusal, so the section needs no inline style or
script."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from eac.models import Tenant, User
from tests.conftest import make_outbound
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.e2e.test_wizard import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_advanced_section_opens_on_the_settings_and_their_notes(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    make_outbound(
        contoso,
        "Outbound to hybrid",
        connector_source="HybridWizard",
        recipient_domains=["contoso.mail.onmicrosoft.com"],
        sender_rewriting_enabled=True,
    )
    sign_in(page, str(live_server), admin.email)

    page.get_by_role("link", name="Outbound to hybrid").click()
    flyout = page.locator("#flyout")
    expect(flyout.get_by_role("heading", name="Outbound to hybrid")).to_be_visible()
    expect(flyout.get_by_text("Created by the Hybrid Configuration Wizard")).to_be_visible()
    note = flyout.get_by_text("Not simulated:")
    expect(note).to_be_hidden()  # closed until asked for

    flyout.get_by_text("Advanced", exact=True).click()
    expect(note).to_be_visible()
    setting = flyout.locator(".setting", has=page.locator("dt", has_text="SenderRewritingEnabled"))
    expect(setting).to_contain_text("True")
    expect(setting).to_contain_text("the mail flow explorer doesn't model it")
    snapshot(page, "details-advanced")
    assert serious_accessibility_violations(page) == []

    flyout.get_by_text("Advanced", exact=True).click()  # and closes again
    expect(note).to_be_hidden()
