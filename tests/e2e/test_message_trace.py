"""Message trace in the browser: the admin opens it from the navigation, finds John's mail by
recipient, opens a message and reads its events; a Pending one settles without a reload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from eac.models import Tenant
from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus
from tests.e2e.conftest import serious_accessibility_violations, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "trace-browser-password"


@pytest.fixture
def contoso(monkeypatch: pytest.MonkeyPatch) -> Tenant:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Tenant.objects.get(initial_domain="contoso.onmicrosoft.com")


def trace(
    tenant: Tenant, recipient: str, subject: str, status: str, minutes_ago: int
) -> TracedMessage:
    return TracedMessage.objects.create(
        tenant=tenant,
        sender="sun@gmail.com",
        recipient=recipient,
        subject=subject,
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
        message_id=f"<{minutes_ago}.{recipient}@mail.gmail.com>",
        size=3100,
        from_ip="127.0.0.30",
        status=status,
    )


def add_event(message: TracedMessage, kind: str, detail: str, **fields: str) -> None:
    seq = message.events.count() + 1
    at = message.received_at + timedelta(seconds=seq)
    TraceEvent.objects.create(message=message, seq=seq, at=at, kind=kind, detail=detail, **fields)


def delivered_to_john(tenant: Tenant) -> TracedMessage:
    message = trace(tenant, "john@contoso.com", "Lunch on Friday?", TraceStatus.DELIVERED, 20)
    add_event(
        message,
        TraceEventKind.RECEIVE,
        "Received from the internet",
        host="mail.gmail.com",
        tls="TLS 1.3",
    )
    add_event(
        message, TraceEventKind.CONNECTOR, "Connector 2 routes contoso.com", connector="Connector 2"
    )
    add_event(
        message,
        TraceEventKind.SEND,
        "Sent to your email server",
        host="mail.contoso.com",
        tls="TLS 1.3",
        code="250 2.0.0 OK",
    )
    return message


def sign_in_to_message_trace(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Email address").fill("admin@contoso.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Exchange admin center").get_by_role(
        "link", name="Message trace"
    ).click()
    expect(page.get_by_role("heading", name="Message trace", exact=True)).to_be_visible()


def test_the_admin_finds_johns_message_and_reads_its_events(
    page: Page, live_server: object, contoso: Tenant
) -> None:
    delivered_to_john(contoso)
    trace(contoso, "bob@contoso.com", "For Bob", TraceStatus.DELIVERED, 10)
    base = str(live_server)
    sign_in_to_message_trace(page, base)
    results = page.locator("#trace-results")
    expect(results).to_contain_text("2 messages")

    page.get_by_label("Recipients").fill("john@")
    page.get_by_role("button", name="Search").click()
    expect(results).to_contain_text("1 message")
    expect(results).not_to_contain_text("bob@contoso.com")
    row = results.locator("tbody tr").first
    expect(row).to_contain_text(
        re.compile(r"sun@gmail\.com\s*john@contoso\.com\s*Lunch on Friday\?\s*Delivered")
    )
    assert serious_accessibility_violations(page) == []
    snapshot(page, "message-trace-results")

    row.get_by_role("link").click()
    flyout = page.locator("#flyout")
    expect(flyout.get_by_role("heading", name="Lunch on Friday?")).to_be_visible()
    events = flyout.locator("ol.trace-events > li")
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text("Receive")
    expect(events.nth(1)).to_contain_text(re.compile(r"Connector.*Connector 2", re.S))
    expect(events.nth(2)).to_contain_text(
        re.compile(r"Send.*mail\.contoso\.com.*250 2\.0\.0 OK", re.S)
    )
    expect(flyout).to_contain_text("<20.john@contoso.com@mail.gmail.com>")  # Message ID
    expect(page).to_have_url(re.compile(r"/lab/trace/[0-9a-f-]+/\?recipients=john%40"))
    snapshot(page, "message-trace-details")
    assert serious_accessibility_violations(page) == []

    page.keyboard.press("Escape")  # the flyout's ✕, and the search stays
    expect(flyout).to_be_hidden()
    expect(page.get_by_label("Recipients")).to_have_value("john@")


def test_a_pending_message_settles_on_the_page_without_a_reload(
    page: Page, live_server: object, contoso: Tenant
) -> None:
    message = trace(contoso, "john@contoso.com", "On its way", TraceStatus.PENDING, 1)
    add_event(message, TraceEventKind.RECEIVE, "Received from the internet", host="mail.gmail.com")
    sign_in_to_message_trace(page, str(live_server))
    page.locator("#trace-results").get_by_role("link").first.click()
    flyout = page.locator("#flyout")
    expect(flyout).to_contain_text("Pending: this message is still on its way.")

    add_event(
        message, TraceEventKind.FAIL, "Your email server refused the message.", code="550 5.7.1"
    )
    TracedMessage.objects.filter(pk=message.pk).update(
        status=TraceStatus.FAILED, failure_code="550 5.7.1"
    )

    expect(flyout.get_by_role("heading", name="Failed: 550 5.7.1")).to_be_visible()
    expect(flyout).to_contain_text("Your email server refused the message.")
    expect(page.locator("#trace-results tbody tr").first).to_contain_text("Failed 550 5.7.1")
    snapshot(page, "message-trace-failed")
