"""The mail flow explorer in the browser: the seed's people and the diagram, with axe."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_accessibility_violations, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bob_to_john_shows_connector_2_on_the_diagram(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "explorer-browser-password")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    page.goto(f"{live_server}/signin/")
    page.get_by_label("Email address").fill("admin@contoso.com")
    page.get_by_label("Password").fill("explorer-browser-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Exchange admin center").get_by_role(
        "link", name="Mail flow explorer"
    ).click()
    page.get_by_label("From").fill("bob@contoso.com")
    page.get_by_label("To").fill("john@contoso.com")
    page.get_by_role("button", name="Show the path").click()
    expect(
        page.get_by_role("heading", name="This message flows through Connector 2.")
    ).to_be_visible()
    expect(page.locator("svg.flow-diagram")).to_contain_text("Connector 2")
    assert serious_accessibility_violations(page) == []
    snapshot(page, "explorer-bob-to-john")
