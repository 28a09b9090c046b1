"""After creating connectors, an admin edits one (validating the new route in the flyout's
"Validation email" before saving, as the New EAC does), turns one off and deletes one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from connectors.models import OutboundConnector
from eac.models import Tenant, User
from tests.conftest import make_outbound
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.e2e.test_wizard import sign_in
from tests.validation.peers import SMART_HOST, Behaviour, LabServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_edit_validate_save_turn_off_and_delete(
    page: Page,
    live_server: Any,
    admin: User,
    contoso: Tenant,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., Any],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    lab_worker(lab)
    make_outbound(contoso, "Edit me", recipient_domains=["contoso.com"])
    make_outbound(contoso, "Delete me", recipient_domains=["sales.contoso.com"])
    sign_in(page, str(live_server), admin.email)

    page.get_by_role("link", name="Edit me").click()
    flyout = page.locator("#flyout")
    flyout.get_by_role("link", name="Edit routing").click()
    # The edit page opens in the flyout, over the list, with Next: routing is validated first.
    expect(flyout.get_by_role("heading", name="Routing")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search connectors")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Smart hosts", exact=True).fill(SMART_HOST)
    page.get_by_label("Smart hosts", exact=True).press("Enter")  # Enter adds, as the + does
    expect(flyout.get_by_role("button", name=f"Remove {SMART_HOST}")).to_be_visible()
    flyout.get_by_role("button", name="Remove mail.contoso.onmicrosoft.com").click()
    expect(flyout.get_by_role("button", name="Remove mail.contoso.onmicrosoft.com")).to_be_hidden()
    snapshot(page, "edit-routing")
    flyout.get_by_role("button", name="Next").click()

    expect(flyout.get_by_role("heading", name="Validation email")).to_be_visible()
    assert OutboundConnector.objects.get(name="Edit me").smart_hosts == [
        "mail.contoso.onmicrosoft.com"  # the connector keeps its route until Save
    ]
    flyout.get_by_role("textbox", name="Email address").fill("john@contoso.com")
    flyout.get_by_role("textbox", name="Email address").press("Enter")
    expect(flyout.get_by_role("button", name="Remove john@contoso.com")).to_be_visible()
    flyout.get_by_role("button", name="Validate").click()
    expect(flyout.get_by_text("Validation succeeded")).to_be_visible(timeout=30_000)
    flyout.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Connector updated successfully")).to_be_visible()
    edited = OutboundConnector.objects.get(name="Edit me")
    assert (edited.smart_hosts, edited.is_validated) == ([SMART_HOST], True)
    assert len(lab.messages) == 1

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
