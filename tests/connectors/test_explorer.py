"""The mail flow explorer for the seed's people: John (your server), Bob (Office 365), Sun (the
internet) — with and without the connectors each path needs."""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import services as connector_services
from connectors.mailflow import diagram as explorer_diagram
from connectors.mailflow import explorer
from connectors.mailflow.diagram import LABEL_LINE_HEIGHT, Diagram, text_width
from connectors.mailflow.explorer import Hop, Party, Path
from connectors.models import InboundConnector, OutboundConnector
from eac import services as tenant_services
from eac.models import AcceptedDomain, DomainType, Mailbox, MailboxLocation, Tenant, User
from eac.values import MAX_CONNECTOR_NAME_LENGTH
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

JOHN, BOB, SUN = "john@contoso.com", "bob@contoso.com", "sun@wingtiptoys.com"


@pytest.fixture
def demo_admin(monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "explorer-demo-password")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return client_for(User.objects.get(email="admin@contoso.com"))


def explore(client: Client, sender: str, recipient: str) -> str:
    response = client.get(reverse("explorer"), {"sender": sender, "recipient": recipient})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("sender", "recipient", "expected"),
    [
        (
            JOHN,
            BOB,
            [
                "From Contoso's email server",
                "Delivered to the mailbox in Office 365",
                "This message flows through From Contoso's email server.",
            ],
        ),
        (
            BOB,
            JOHN,
            [
                "Connector 2",
                "exact match on contoso.com",
                "This message flows through Connector 2.",
            ],
        ),
        (JOHN, SUN, ["From Contoso's email server", "no connector: delivered by MX"]),
        (SUN, JOHN, ["reaches Office 365 through your MX record", "Connector 2"]),
        (BOB, SUN, ["No connector is needed for this message.", "no connector: delivered by MX"]),
    ],
)
def test_the_seed_paths_with_the_demo_connectors(
    demo_admin: Client, sender: str, recipient: str, expected: list[str]
) -> None:
    page = explore(demo_admin, sender, recipient)
    for text in expected:
        assert text in page, text
    assert "will not flow" not in page
    assert "<svg" in page


def test_turning_connector_2_off_hands_john_to_connector_3(demo_admin: Client) -> None:
    OutboundConnector.objects.filter(name="Connector 2").update(enabled=False)
    page = explore(demo_admin, BOB, JOHN)
    assert "Connector 3" in page
    assert "wildcard *.contoso.com" in page


def test_without_an_outbound_connector_mail_to_john_will_not_flow(demo_admin: Client) -> None:
    OutboundConnector.objects.all().update(enabled=False)
    page = explore(demo_admin, BOB, JOHN)
    assert "This message will not flow as configured." in page
    assert "Without connectors, email will not flow" in page


def test_without_an_inbound_connector_johns_mail_to_bob_will_not_flow(demo_admin: Client) -> None:
    InboundConnector.objects.filter(name="From Contoso's email server").delete()
    page = explore(demo_admin, JOHN, BOB)
    assert "This message will not flow as configured." in page
    assert "Your organization's email server → Office 365" in page


def test_the_documented_order_sends_sales_to_connector_1(demo_admin: Client) -> None:
    # Internal relay: a recipient not in Office 365 is on Contoso's own server, so a connector is chosen.
    AcceptedDomain.objects.filter(name="sales.contoso.com").update(domain_type="InternalRelay")
    assert "Connector 3" in explore(demo_admin, BOB, "someone@sales.contoso.com")
    Tenant.objects.filter(name="Contoso").update(connector_selection_order="documented")
    page = explore(demo_admin, BOB, "someone@sales.contoso.com")
    assert "Connector 1" in page


def test_a_bad_address_is_refused_next_to_the_field_and_in_the_summary(
    demo_admin: Client,
) -> None:
    response = demo_admin.get(reverse("explorer"), {"sender": "not an address", "recipient": BOB})
    assert response.status_code == 422
    page = response.content.decode()
    box = re.search(r"<input [^>]*name=\"sender\"[^>]*>", page)
    assert box is not None
    assert 'aria-invalid="true"' in box[0]
    assert 'aria-describedby="id_sender_error"' in box[0]
    assert 'value="not an address"' in box[0]  # what was typed stays in the box
    assert '<div class="field-error" id="id_sender_error">' in page
    summary = page[page.index('class="error-summary"') : page.index("<datalist")]
    assert '<a href="#id_sender">Email addresses can&#x27;t contain spaces.</a>' in summary
    recipient = re.search(r"<input [^>]*name=\"recipient\"[^>]*>", page)
    assert recipient is not None
    assert "aria-invalid" not in recipient[0]
    assert "flow-diagram" not in page


def test_an_empty_box_is_named_in_the_summary(demo_admin: Client) -> None:
    response = demo_admin.get(reverse("explorer"), {"sender": JOHN, "recipient": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#id_recipient"' in page
    assert 'aria-describedby="id_recipient_error"' in page


def test_the_first_visit_shows_no_error(demo_admin: Client) -> None:
    response = demo_admin.get(reverse("explorer"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" not in page
    assert "aria-invalid" not in page
    assert 'list="mailboxes"' in page
    assert 'placeholder="Example: john@contoso.com"' in page


def test_a_stored_pattern_that_no_longer_parses_is_listed_in_the_summary(
    demo_admin: Client,
) -> None:
    InboundConnector.objects.filter(name="From Contoso's email server").update(
        sender_domains=["not a domain"]
    )
    response = demo_admin.get(reverse("explorer"), {"sender": JOHN, "recipient": BOB})
    assert response.status_code == 422
    page = response.content.decode()
    summary = page[page.index('class="error-summary"') : page.index("<datalist")]
    assert "<li>" in summary
    assert "href" not in summary
    assert "aria-invalid" not in page


def test_another_tenant_sees_its_own_world(stranger_client: Client, demo_admin: Any) -> None:
    page = explore(stranger_client, BOB, JOHN)
    assert "Connector 2" not in page


# --- centralized mail transport and associated accepted domains --------------------------------


def centralize(connector_name: str, **fields: Any) -> None:
    """Turns RouteAllMessagesViaOnPremises on, as an import or PowerShell would."""
    connector = OutboundConnector.objects.get(name=connector_name)
    connector_services.connector_update(
        connector=connector,
        actor=None,
        fields={"route_all_messages_via_on_premises": True, **fields},
        expected_version=connector.version,
    )


def associate(domains: list[str]) -> None:
    connector = InboundConnector.objects.get(name="From Contoso's email server")
    connector_services.connector_update(
        connector=connector,
        actor=None,
        fields={"associated_accepted_domains": domains},
        expected_version=connector.version,
    )


def test_centralized_mail_transport_takes_bobs_internet_mail_through_your_server(
    demo_admin: Client,
) -> None:
    assert "no connector: delivered by MX" in explore(demo_admin, BOB, SUN)
    centralize("Connector 1")

    page = explore(demo_admin, BOB, SUN)

    assert "This message flows through Connector 1." in page
    assert (
        "Chosen by centralized mail transport: wingtiptoys.com isn't an accepted domain, so the "
        "message goes through your email server first." in page
    )
    assert "Office 365 → Your organization's email server" in page
    assert "Your organization's email server → Internet" in page
    assert "Your email server sends it on to wingtiptoys.com" in page
    assert "delivered by MX" not in page
    assert '<polyline points="110,58 110,30 690,30 690,58" class="hop"' in page


def test_centralized_mail_transport_leaves_mail_to_your_own_domains_alone(
    demo_admin: Client,
) -> None:
    centralize("Connector 1")

    assert "This message flows through Connector 2." in explore(demo_admin, BOB, JOHN)
    assert "Delivered to the mailbox in Office 365" in explore(demo_admin, SUN, BOB)


def test_mail_from_your_server_is_not_sent_back_there_by_centralized_transport(
    demo_admin: Client,
) -> None:
    centralize("Connector 1")

    page = explore(demo_admin, JOHN, SUN)

    assert "no connector: delivered by MX" in page
    assert "centralized mail transport" not in page


def test_centralized_transport_on_a_connector_turned_off_does_nothing(demo_admin: Client) -> None:
    centralize("Connector 1")
    connector = OutboundConnector.objects.get(name="Connector 1")
    connector_services.connector_set_enabled(connector=connector, actor=None, enabled=False)

    assert "no connector: delivered by MX" in explore(demo_admin, BOB, SUN)


def test_an_inbound_connector_takes_only_senders_from_its_associated_accepted_domains(
    demo_admin: Client,
) -> None:
    associate(["fabrikam.com"])

    page = explore(demo_admin, JOHN, BOB)

    assert "This message will not flow as configured." in page
    assert (
        "No connector from your organization's email server to Office 365: From Contoso's email "
        "server would take it, but its associated accepted domains (fabrikam.com) restrict it to "
        "senders from those domains, and contoso.com isn't one." in page
    )
    associate(["fabrikam.com", "contoso.com"])
    assert "This message flows through From Contoso's email server." in explore(
        demo_admin, JOHN, BOB
    )


def test_an_associated_domain_that_accepts_subdomains_covers_its_subdomains(
    demo_admin: Client,
) -> None:
    Mailbox.objects.create(
        tenant=Tenant.objects.get(name="Contoso"),
        display_name="Eve",
        address="eve@eu.contoso.com",
        location=MailboxLocation.YOUR_ORG,
    )
    associate(["contoso.com"])
    assert "will not flow" in explore(demo_admin, "eve@eu.contoso.com", BOB)

    domain = AcceptedDomain.objects.get(name="contoso.com")
    tenant_services.accepted_domain_update(
        domain=domain, actor=None, domain_type=DomainType.INTERNAL_RELAY, match_subdomains=True
    )
    assert "This message flows through From Contoso's email server." in explore(
        demo_admin, "eve@eu.contoso.com", BOB
    )


# --- the diagram: a label never covers a box, whatever the connector's name -------------------

NAMES = [
    "C",
    "Outbound to Contoso's servers",  # 29 characters
    "Outbound to Contoso's on-premises servers via the TLS smart host",
    "MW" * 32,  # the widest letters, and nowhere to break
    "Partner-connector-for-tailspintoys.com_via-smarthost.example.org",
]
SENDER_PLACES = [explorer.OFFICE_365, explorer.YOUR_ORG, explorer.INTERNET, explorer.PARTNER]
RECIPIENT_PLACES = [explorer.OFFICE_365, explorer.YOUR_ORG, explorer.INTERNET, explorer.PARTNER]


def a_path(sender: str, recipient: str, inbound: str, outbound: str) -> Path:
    """Every shape a path can take: into Office 365 unless the sender is there, then to the
    recipient's place (or a connector's), each hop named after a connector."""
    hops = []
    if sender != explorer.OFFICE_365:
        hops.append(Hop(sender, explorer.OFFICE_365, inbound, "why"))
    hops.append(Hop(explorer.OFFICE_365, recipient, outbound, "why"))
    return Path(
        Party("a@example.com", "example.com", sender, "how"),
        Party("b@example.com", "example.com", recipient, "how"),
        tuple(hops),
        "summary",
    )


def assert_labels_clear(drawn: Diagram) -> None:
    """By the estimated width of each line of 12px text: every label inside the viewBox, off
    every box, off every arrow and off every other label."""
    boxes = [arrow.label.box for arrow in drawn.arrows]
    for arrow, box in zip(drawn.arrows, boxes, strict=True):
        label = arrow.label
        assert box.width >= max(text_width(line) for line in label.lines), label
        assert box.height == len(label.lines) * LABEL_LINE_HEIGHT, label
        assert drawn.bounds.contains(box), label
        for node in drawn.nodes:
            assert not node.box.intersects(box), (label, node)
        for other in drawn.arrows:
            for piece in other.pieces or (other.line,):
                assert not box.crosses(piece), (label, piece)
        for placed in boxes:
            assert placed is box or not placed.intersects(box), (label, placed)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("sender", "recipient"), list(itertools.product(SENDER_PLACES, RECIPIENT_PLACES))
)
def test_a_connector_name_up_to_64_characters_never_covers_a_box(
    name: str, sender: str, recipient: str
) -> None:
    assert len(name) <= MAX_CONNECTOR_NAME_LENGTH
    drawn = explorer_diagram.diagram(a_path(sender, recipient, name, name.swapcase()))
    assert_labels_clear(drawn)
    assert {arrow.label.text for arrow in drawn.arrows} <= {name, name.swapcase()}


@pytest.mark.parametrize(
    ("sender", "recipient"),
    [
        (explorer.OFFICE_365, explorer.YOUR_ORG),  # Bob to John
        (explorer.YOUR_ORG, explorer.INTERNET),  # John to Sun
        (explorer.INTERNET, explorer.YOUR_ORG),  # Sun to John
        (explorer.PARTNER, explorer.YOUR_ORG),
        (explorer.YOUR_ORG, explorer.PARTNER),
    ],
)
def test_the_longest_name_is_drawn_whole_on_the_usual_paths(sender: str, recipient: str) -> None:
    name = NAMES[2]
    assert len(name) == MAX_CONNECTOR_NAME_LENGTH
    for arrow in explorer_diagram.diagram(a_path(sender, recipient, name, name)).arrows:
        assert " ".join(arrow.label.lines) == name


def test_a_short_name_sits_on_one_line_just_above_its_arrow() -> None:
    (arrow,) = explorer_diagram.diagram(
        a_path(explorer.OFFICE_365, explorer.INTERNET, "", "C1")
    ).arrows
    assert arrow.label.lines == ("C1",)
    assert arrow.line.y1 - 10 < arrow.label.box.bottom < arrow.line.y1
    assert arrow.label.leader is None


def test_a_label_moved_away_from_its_arrow_is_tied_to_it() -> None:
    name = NAMES[2]
    (arrow,) = explorer_diagram.diagram(
        a_path(explorer.OFFICE_365, explorer.YOUR_ORG, "", name)
    ).arrows
    leader = arrow.label.leader
    assert leader is not None
    assert (leader.x2, leader.y2) == pytest.approx(arrow.line.middle, abs=4)


def test_two_arrows_between_the_same_boxes_are_drawn_apart() -> None:
    for far in (explorer.YOUR_ORG, explorer.PARTNER):
        there, back = explorer_diagram.diagram(a_path(far, far, "In", "Out")).arrows
        assert there.line != back.line


def a_centralized_path(sender: str, recipient: str, inbound: str, outbound: str) -> Path:
    """Centralized mail transport's shape: into Office 365 unless the sender is there, to your
    server through the connector, then on from your server to the recipient."""
    hops = (
        [] if sender == explorer.OFFICE_365 else [Hop(sender, explorer.OFFICE_365, inbound, "why")]
    )
    hops += [
        Hop(explorer.OFFICE_365, explorer.YOUR_ORG, outbound, "why"),
        Hop(explorer.YOUR_ORG, recipient, "", "why"),
    ]
    return Path(
        Party("a@example.com", "example.com", sender, "how"),
        Party("b@example.com", "example.com", recipient, "how"),
        tuple(hops),
        "summary",
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sender", [explorer.OFFICE_365, explorer.PARTNER])
@pytest.mark.parametrize("recipient", [explorer.INTERNET, explorer.PARTNER])
def test_centralized_transports_hop_from_your_server_goes_round_every_box(
    name: str, sender: str, recipient: str
) -> None:
    drawn = explorer_diagram.diagram(a_centralized_path(sender, recipient, name, name.swapcase()))

    assert_labels_clear(drawn)
    inside = [node.box.grown(-1) for node in drawn.nodes]
    for arrow in drawn.arrows:
        for piece in arrow.pieces or (arrow.line,):
            assert not any(box.crosses(piece) for box in inside), (arrow, piece)
    onward = drawn.arrows[-1]
    assert bool(onward.pieces) == (recipient == explorer.INTERNET)  # over Office 365's box


def test_the_detour_over_office_365_is_drawn_as_one_polyline() -> None:
    drawn = explorer_diagram.diagram(
        a_centralized_path(explorer.OFFICE_365, explorer.INTERNET, "", "Hybrid")
    )

    to_your_server, onward = drawn.arrows
    assert to_your_server.pieces == ()
    assert onward.points == "110,58 110,30 690,30 690,58"
    assert onward.line == onward.pieces[1]  # the label sits by the piece above Office 365
    assert onward.label.lines == ("no connector",)


# No deadline: how long an example takes depends on what text_width has cached, and isn't the point.
@settings(max_examples=60, deadline=None)
@given(
    name=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=MAX_CONNECTOR_NAME_LENGTH,
    ).filter(str.strip),
    places=st.tuples(st.sampled_from(SENDER_PLACES), st.sampled_from(RECIPIENT_PLACES)),
)
def test_any_name_stays_clear_of_the_boxes(name: str, places: tuple[str, str]) -> None:
    assert_labels_clear(explorer_diagram.diagram(a_path(*places, name, name)))


def test_the_page_keeps_a_long_name_whole_in_the_labels_title(demo_admin: Client) -> None:
    name = NAMES[2]
    OutboundConnector.objects.filter(name="Connector 2").update(name=name)
    page = explore(demo_admin, BOB, JOHN)
    assert f"<title>{name}</title>" in page
    assert 'class="hop-leader"' in page
    assert "eac/explorer.css" in page
