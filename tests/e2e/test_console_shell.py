"""An admin uses the console in a real browser: sign in, connectors, details, accepted domains."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_accessibility_violations, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-password-for-browser-tests"


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_contoso_admin_sees_the_seed_connectors_and_their_details(
    page: Page, live_server: object, demo: None
) -> None:
    base = str(live_server)
    page.goto(f"{base}/")
    assert serious_accessibility_violations(page) == []
    sign_in(page, base, "admin@contoso.com")

    expect(page.get_by_role("heading", name="Connectors")).to_be_visible()
    expect(page.get_by_text("4 items")).to_be_visible()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(3)).to_contain_text(
        re.compile(r"On\s*From Contoso.s email server\s*Your org\s*O365")
    )
    for i, name in enumerate(["Connector 1", "Connector 2", "Connector 3"]):
        expect(rows.nth(i)).to_contain_text(re.compile(rf"On\s*{name}\s*O365\s*Your org"))
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="Connector 3").click()
    flyout = page.locator("#flyout")
    expect(flyout.get_by_role("heading", name="Connector 3")).to_be_visible()
    expect(flyout).to_contain_text(
        "Use only when email messages are sent to these domains: *.contoso.com"
    )
    expect(page).to_have_url(re.compile(r"/mail-flow/connectors/outbound/[0-9a-f-]+/$"))
    snapshot(page, "connectors-details")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Search connectors").fill("2")
    expect(page.get_by_text("1 item", exact=True)).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Connector 2")


def test_an_admin_makes_a_domain_internal_relay_for_all_subdomains(
    page: Page, live_server: object, demo: None
) -> None:
    base = str(live_server)
    sign_in(page, base, "admin@contoso.com")
    page.get_by_role("link", name="Accepted domains").click()
    expect(page.get_by_text("4 items")).to_be_visible()
    expect(page.get_by_role("link", name="contoso.com(default domain)")).to_be_visible()

    page.get_by_role("link", name="sales.contoso.com").click()
    subdomains = page.get_by_label("Accept mail for all subdomains")
    expect(subdomains).to_be_disabled()
    page.get_by_label("Internal relay").check()
    expect(subdomains).to_be_enabled()
    subdomains.check()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("The accepted domain is updated successfully")).to_be_visible()
    expect(page.locator("tr", has_text="sales.contoso.com")).to_contain_text("Internal relay")


def test_the_fabrikam_lab_admin_sees_none_of_contosos_objects(
    page: Page, live_server: object, demo: None
) -> None:
    sign_in(page, str(live_server), "admin@fabrikamlab.onmicrosoft.com")
    expect(page.get_by_text("1 item", exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Connector 1")
    page.get_by_role("link", name="Accepted domains").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("contoso.com")
