"""After creating connectors, an admin edits one, turns one off and deletes one in the browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from connectors.models import OutboundConnector
from eac.models import Tenant, User
from tests.conftest import make_outbound
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.e2e.test_wizard import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_edit_turn_off_and_delete(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    make_outbound(contoso, "Edit me", recipient_domains=["contoso.com"])
    make_outbound(contoso, "Delete me", recipient_domains=["sales.contoso.com"])
    sign_in(page, str(live_server), admin.email)

    page.get_by_role("link", name="Edit me").click()
    flyout = page.locator("#flyout")
    flyout.get_by_role("link", name="Edit routing").click()
    expect(page.get_by_role("heading", name="Routing")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Smart hosts", exact=True).fill("mail2.contoso.com")
    page.get_by_role("button", name="Add smart host").click()
    snapshot(page, "edit-routing")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Connector updated successfully")).to_be_visible()
    assert OutboundConnector.objects.get(name="Edit me").smart_hosts == [
        "mail.contoso.onmicrosoft.com",
        "mail2.contoso.com",
    ]

    page.get_by_role("link", name="Edit me").click()
    page.locator("#flyout").get_by_role("button", name="Turn off").click()
    expect(page.locator("tr", has_text="Edit me")).to_contain_text(re.compile(r"Off\s*Edit me"))

    page.get_by_role("link", name="Delete me").click()
    page.locator("#flyout").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete Delete me?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Delete me was deleted.")).to_be_visible()
    expect(page.locator("table.list")).not_to_contain_text("Delete me")
    assert not OutboundConnector.objects.filter(name="Delete me").exists()
