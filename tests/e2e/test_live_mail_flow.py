"""Send a test message from the Mail flow explorer in Chromium: the lab and its front door really
carry Sun's message to John's server, and the trace panel beside the prediction settles on its
final status by itself (htmx polling), with the comparison said in one sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from connectors.models import InboundConnector, OutboundConnector
from connectors.services import connector_update
from eac.models import Tenant
from lab.runtime import start_lab
from lab.server import Lab
from tests.e2e.conftest import serious_accessibility_violations, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "live-mail-flow-password"


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Tenant:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Tenant.objects.get(initial_domain="contoso.onmicrosoft.com")


@pytest.fixture
def lab(demo: Tenant, tmp_path_factory: pytest.TempPathFactory, settings: Any) -> Iterator[Lab]:
    var_dir: Path = tmp_path_factory.mktemp("lab-var")
    running = start_lab(
        var_dir=var_dir, dns_port=0, smtp_port=0, refresh_seconds=0.2, front_door_port=0
    )
    settings.EAC_FRONT_DOOR_PORT = running.front_door_port
    settings.VAR_DIR = var_dir
    yield running
    running.stop()


def test_sun_to_john_is_sent_for_real_and_its_trace_settles_beside_the_prediction(
    page: Page, live_server: Any, lab: Lab
) -> None:
    page.goto(f"{live_server}/signin/")
    page.get_by_label("Email address").fill("admin@contoso.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Exchange admin center").get_by_role(
        "link", name="Mail flow explorer"
    ).click()
    page.get_by_label("From").fill("sun@wingtiptoys.com")
    page.get_by_label("To").fill("john@contoso.com")
    page.get_by_role("button", name="Show the path").click()
    expect(
        page.get_by_role("heading", name="This message flows through Connector 2.")
    ).to_be_visible()

    page.get_by_role("button", name="Send a test message").click()

    panel = page.locator("#test-message")
    expect(panel.get_by_role("heading", name="Test message: what happened")).to_be_visible()
    # The panel polls until the message is no longer Pending: wait for its final status.
    expect(panel.locator(".test-status")).to_contain_text(re.compile(r"Delivered|Failed"))
    expect(panel.locator(".comparison")).to_be_visible()
    expect(panel.locator("ol.trace-events > li").first).to_contain_text("Receive")
    expect(panel.locator(".comparison")).to_contain_text("Connector 2")
    assert serious_accessibility_violations(page) == []
    snapshot(page, "explorer-test-message")


def test_a_connector_whose_server_fails_tls_is_called_out_and_an_inbound_connector_validates(
    page: Page, live_server: Any, lab: Lab, demo: Tenant
) -> None:
    # Connector 2 now requires a certificate for mail2.contoso.com from a server whose certificate
    # expired: the explorer still predicts Connector 2 (it reads configuration), the flow fails.
    connector = OutboundConnector.objects.get(tenant=demo, name="Connector 2")
    connector_update(
        connector=connector,
        actor=None,
        fields={
            "smart_hosts": ["expired.contoso.com"],
            "tls_settings": "DomainValidation",
            "tls_domain": "expired.contoso.com",
        },
        expected_version=connector.version,
    )
    page.goto(f"{live_server}/signin/")
    page.get_by_label("Email address").fill("admin@contoso.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(
        f"{live_server}/mail-flow/explorer/?sender=sun%40wingtiptoys.com&recipient=john%40contoso.com"
    )
    page.get_by_role("button", name="Send a test message").click()

    comparison = page.locator("#test-message .comparison")
    expect(comparison).to_contain_text(
        re.compile(r"The explorer predicted delivery through Connector 2, but it failed with 4\d\d")
    )
    expect(page.locator("#test-message .test-status")).to_contain_text("Failed")
    snapshot(page, "explorer-test-message-differs")

    inbound = InboundConnector.objects.get(tenant=demo, name="From Contoso's email server")
    page.goto(f"{live_server}/mail-flow/connectors/inbound/{inbound.pk}/")
    page.get_by_role("link", name="Validate this connector").click()
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("#inbound-result .comparison")).to_contain_text(
        "Office 365 accepted the test message and attributed it to From Contoso's email server."
    )
    expect(page.locator("#inbound-result .test-status")).to_contain_text(re.compile("Delivered"))
    assert serious_accessibility_violations(page) == []
    snapshot(page, "inbound-connector-validated")
