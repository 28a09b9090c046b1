"""An admin validates an outbound connector in the browser against the lab's STARTTLS server,
through a real worker: add the address with +, Validate, watch the tasks, read the details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from connectors.models import OutboundConnector
from eac.models import Tenant, User
from tests.conftest import PASSWORD, make_outbound
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.validation.peers import SMART_HOST, Behaviour, LabServer

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def connector(contoso: Tenant) -> OutboundConnector:
    return make_outbound(
        contoso,
        "To the lab",
        smart_hosts=[SMART_HOST],
        recipient_domains=["lab.test"],
        tls_settings="DomainValidation",
        tls_domain=SMART_HOST,
    )


def _sign_in(page: Page, base: str, admin: User) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Email address").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _open_validation(page: Page, base: str, admin: User) -> None:
    _sign_in(page, base, admin)
    page.get_by_role("link", name="To the lab").click()
    page.get_by_role("link", name="Validate this connector").click()
    expect(page.get_by_role("heading", name="Validate this connector")).to_be_visible()


def test_a_validation_succeeds_and_its_details_show_the_certificate(
    page: Page,
    live_server: Any,
    admin: User,
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., Any],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    lab_worker(lab)
    _open_validation(page, str(live_server), admin)
    assert serious_accessibility_violations(page) == []

    page.get_by_role("textbox", name="Email address").fill("john@lab.test")
    page.get_by_role("button", name="Add email address").click()
    expect(page.get_by_role("list", name="Email addresses to validate")).to_contain_text(
        "john@lab.test"
    )
    page.get_by_role("button", name="Validate").click()

    expect(page.get_by_text("Validation succeeded")).to_be_visible(timeout=30_000)
    rows = page.locator("table.tasks tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_role("button", name="Validate")).to_be_enabled()  # ready to run again
    for i in range(5):
        expect(rows.nth(i)).to_contain_text("Succeeded")
    assert len(lab.messages) == 1
    assert serious_accessibility_violations(page) == []
    snapshot(page, "validate-this-connector")

    page.get_by_role("link", name="View validation details").click()
    expect(page.get_by_role("heading", name="Validation details")).to_be_visible()
    page.get_by_text("TLS — smarthost.lab.test").click()
    expect(
        page.get_by_text("Yes, the chain leads to a trusted certificate authority")
    ).to_be_visible()
    expect(page.locator("pre.transcript")).to_contain_text("EHLO")
    snapshot(page, "validation-details")
    assert serious_accessibility_violations(page) == []


def test_a_typed_address_is_used_even_without_pressing_plus_and_a_failure_is_explained(
    page: Page,
    live_server: Any,
    admin: User,
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., Any],
) -> None:
    lab_worker(smtp_lab(Behaviour.REFUSED))
    _open_validation(page, str(live_server), admin)
    page.get_by_role("textbox", name="Email address").fill("john@lab.test")
    page.get_by_role("button", name="Validate").click()

    expect(page.get_by_text("Validation failed", exact=True)).to_be_visible(timeout=30_000)
    expect(page.locator("table.tasks")).to_contain_text("450 4.4.316 Connection refused")
    page.get_by_role("link", name="View validation details").click()
    expect(page.locator("details[open]").first).to_contain_text("How to fix it")
