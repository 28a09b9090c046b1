"""The mail flow explorer in the browser: the seed's people and the diagram, with axe; labels of
the longest connector names measured as Chromium draws them; the form's errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import connector_update
from eac.models import Tenant
from eac.values import MAX_CONNECTOR_NAME_LENGTH
from tests.conftest import make_inbound, make_outbound
from tests.e2e.conftest import serious_accessibility_violations, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each exactly as long as a connector name may be (64 characters).
TO_JOHNS_SERVER = "Outbound to Contoso's on-premises servers via the TLS smart host"
FROM_JOHNS_SERVER = "Inbound from Contoso's email server, identified by certificate X"
FROM_TAILSPIN = "Partner-connector-from-tailspintoys.com_identified-by-TLS-cert.1"
TO_TAILSPIN = "MW" * 32  # the widest letters, and nowhere to break the line


def sign_in_to_the_explorer(page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "explorer-browser-password")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page.goto(f"{live_server}/signin/")
    page.get_by_label("Email address").fill("admin@contoso.com")
    page.get_by_label("Password").fill("explorer-browser-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Exchange admin center").get_by_role(
        "link", name="Mail flow explorer"
    ).click()


def test_bob_to_john_shows_connector_2_on_the_diagram(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_to_the_explorer(page, live_server, monkeypatch)
    page.get_by_label("From").fill("bob@contoso.com")
    page.get_by_label("To").fill("john@contoso.com")
    page.get_by_role("button", name="Show the path").click()
    expect(
        page.get_by_role("heading", name="This message flows through Connector 2.")
    ).to_be_visible()
    expect(page.locator("svg.flow-diagram")).to_contain_text("Connector 2")
    assert serious_accessibility_violations(page) == []
    snapshot(page, "explorer-bob-to-john")


def drawn_boxes(page: Page) -> dict[str, Any]:
    """The viewBox, and the bounding boxes Chromium gives the boxes and the hops' labels."""
    drawn: dict[str, Any] = page.locator("svg.flow-diagram").evaluate(
        """svg => {
            const box = el => { const b = el.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
            const view = svg.viewBox.baseVal;
            return {
                view: [view.x, view.y, view.x + view.width, view.y + view.height],
                rects: [...svg.querySelectorAll("rect")].map(box),
                labels: [...svg.querySelectorAll("text.hop-label")].map(el => ({
                    box: box(el),
                    title: el.querySelector("title").textContent,
                })),
            };
        }"""
    )
    return drawn


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize(
    ("sender", "recipient", "names"),
    [
        ("bob@contoso.com", "john@contoso.com", [TO_JOHNS_SERVER]),
        ("john@contoso.com", "sun@wingtiptoys.com", [FROM_JOHNS_SERVER, "no connector"]),
        ("sun@wingtiptoys.com", "john@contoso.com", ["no connector", TO_JOHNS_SERVER]),
        ("ann@tailspintoys.com", "john@contoso.com", [FROM_TAILSPIN, TO_JOHNS_SERVER]),
        ("john@contoso.com", "ann@tailspintoys.com", [FROM_JOHNS_SERVER, TO_TAILSPIN]),
    ],
)
def test_no_label_of_a_64_character_name_covers_a_box(
    page: Page,
    live_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    sender: str,
    recipient: str,
    names: list[str],
) -> None:
    sign_in_to_the_explorer(page, live_server, monkeypatch)
    contoso = Tenant.objects.get(name="Contoso")
    OutboundConnector.objects.filter(tenant=contoso, name="Connector 2").update(
        name=TO_JOHNS_SERVER
    )
    InboundConnector.objects.filter(tenant=contoso, name="From Contoso's email server").update(
        name=FROM_JOHNS_SERVER
    )
    make_inbound(contoso, FROM_TAILSPIN, sender_domains=["tailspintoys.com"])
    make_outbound(
        contoso,
        TO_TAILSPIN,
        connector_type=ConnectorType.PARTNER,
        recipient_domains=["tailspintoys.com"],
        use_mx_record=True,
        smart_hosts=[],
    )
    for name in (TO_JOHNS_SERVER, FROM_JOHNS_SERVER, FROM_TAILSPIN, TO_TAILSPIN):
        assert len(name) == MAX_CONNECTOR_NAME_LENGTH

    page.get_by_label("From").fill(sender)
    page.get_by_label("To").fill(recipient)
    page.get_by_role("button", name="Show the path").click()

    drawn = drawn_boxes(page)
    assert [label["title"] for label in drawn["labels"]] == names
    view = drawn["view"]
    for label in drawn["labels"]:
        box = label["box"]
        assert view[0] <= box[0]
        assert box[2] <= view[2]
        assert view[1] <= box[1]
        assert box[3] <= view[3]
        for rect in drawn["rects"]:
            assert not overlap(box, rect), (label["title"], box, rect)
        for other in drawn["labels"]:
            assert other is label or not overlap(box, other["box"]), (label, other)
    for name in names:  # whole in the list of hops under the diagram
        if name != "no connector":
            expect(page.locator("ol.hops")).to_contain_text(name)
    assert serious_accessibility_violations(page) == []
    snapshot(page, f"explorer-long-names-{sender.split('@')[0]}-to-{recipient.split('@')[0]}")


def test_a_bad_address_is_summarised_and_marked_on_its_box(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_to_the_explorer(page, live_server, monkeypatch)
    page.get_by_label("From").fill("bob at contoso")
    page.get_by_label("To").fill("john@contoso.com")
    page.get_by_role("button", name="Show the path").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    box = page.get_by_label("From")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "id_sender_error")
    expect(box).to_have_value("bob at contoso")
    expect(box).to_have_accessible_description("Email addresses can't contain spaces.")
    expect(page.get_by_label("To")).not_to_have_attribute("aria-invalid", "true")
    assert serious_accessibility_violations(page) == []
    snapshot(page, "explorer-bad-address")

    summary.get_by_role("link", name="Email addresses can't contain spaces.").click()
    expect(box).to_be_focused()
    box.fill("bob@contoso.com")
    page.get_by_role("button", name="Show the path").click()
    expect(
        page.get_by_role("heading", name="This message flows through Connector 2.")
    ).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)


def test_centralized_mail_transport_takes_bobs_mail_to_sun_through_contosos_server(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_to_the_explorer(page, live_server, monkeypatch)
    connector_1 = OutboundConnector.objects.get(name="Connector 1")
    connector_update(  # as an import or PowerShell turns it on: the wizard doesn't offer it
        connector=connector_1,
        actor=None,
        fields={"route_all_messages_via_on_premises": True},
        expected_version=connector_1.version,
    )
    page.get_by_label("From").fill("bob@contoso.com")
    page.get_by_label("To").fill("sun@wingtiptoys.com")
    page.get_by_role("button", name="Show the path").click()

    expect(
        page.get_by_role("heading", name="This message flows through Connector 1.")
    ).to_be_visible()
    hops = page.locator("ol.hops li")
    expect(hops).to_have_count(2)
    expect(hops.nth(0)).to_contain_text("Office 365 → Your organization's email server")
    expect(hops.nth(0)).to_contain_text(
        "Chosen by centralized mail transport: wingtiptoys.com isn't an accepted domain"
    )
    expect(hops.nth(1)).to_contain_text("Your organization's email server → Internet")
    # The hop from your server to the internet goes over the Office 365 box, not through it.
    detour = page.locator("svg.flow-diagram polyline.hop")
    expect(detour).to_have_count(1)
    assert detour.evaluate("el => getComputedStyle(el).fill") == "none"
    drawn = drawn_boxes(page)
    assert [label["title"] for label in drawn["labels"]] == ["Connector 1", "no connector"]
    line_box = detour.evaluate(
        "el => { const b = el.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; }"
    )
    office_365 = drawn["rects"][1]
    assert line_box[3] <= office_365[1]  # the detour's top runs above the box
    for label in drawn["labels"]:
        for rect in drawn["rects"]:
            assert not overlap(label["box"], rect), (label["title"], rect)
    assert serious_accessibility_violations(page) == []
    snapshot(page, "explorer-centralized-bob-to-sun")
