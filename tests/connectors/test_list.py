from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import OutboundConnector
from eac.models import Tenant
from tests.conftest import make_inbound, make_outbound

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def four_scenarios(contoso: Tenant) -> Tenant:
    make_outbound(
        contoso,
        "Alpha to partner",
        connector_type="Partner",
        use_mx_record=True,
        smart_hosts=[],
        recipient_domains=["partner.example"],
        enabled=False,
    )
    make_inbound(
        contoso,
        "Beta from our servers",
        connector_type="OnPremises",
        sender_domains=["*"],
        tls_sender_certificate_name="mail.contoso.com",
        require_tls=True,
    )
    return contoso


def test_the_list_shows_status_name_and_short_from_to_names(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    html = admin_client_.get(reverse("connectors:list")).content.decode()
    assert "4 items" in html
    assert _rows(html) == [
        ["Off", "Alpha to partner", "O365", "Partner org"],
        ["On", "Beta from our servers", "Your org", "O365"],
        ["On", "From Tailspin", "Partner org", "O365"],
        ["On", "To Contoso servers", "O365", "Your org"],
    ]


def test_sorting_by_name_descending_reverses_the_names(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    html = admin_client_.get(
        reverse("connectors:list"), {"sort": "name", "desc": "1"}
    ).content.decode()
    names = [row[1] for row in _rows(html)]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert 'aria-sort="descending"' in html


def test_sorting_by_to_groups_the_short_names(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    html = admin_client_.get(reverse("connectors:list"), {"sort": "to"}).content.decode()
    assert [row[3] for row in _rows(html)] == ["O365", "O365", "Partner org", "Your org"]


def test_an_unknown_sort_falls_back_to_status(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    response = admin_client_.get(reverse("connectors:list"), {"sort": "'; drop table"})
    assert response.status_code == 200
    assert _rows(response.content.decode())[0][0] == "Off"


def test_search_filters_by_name_and_counts_what_is_left(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    html = admin_client_.get(reverse("connectors:list"), {"q": "FROM"}).content.decode()
    assert [row[1] for row in _rows(html)] == ["Beta from our servers", "From Tailspin"]
    assert "2 items" in html


def test_htmx_search_swaps_only_the_table(admin_client_: Client, four_scenarios: Tenant) -> None:
    response = admin_client_.get(
        reverse("connectors:list"),
        {"q": "alpha"},
        headers={"HX-Request": "true", "HX-Target": "connector-table"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<table id="connector-table"')
    assert "<h1>" not in html
    assert (
        '<span id="item-count" class="item-count" aria-live="polite" hx-swap-oob="true">1 item</span>'
        in html
    )


def test_the_details_panel_describes_an_outbound_connector(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = contoso.outboundconnectors.get()
    html = admin_client_.get(
        reverse("connectors:details", args=["outbound", connector.pk])
    ).content.decode()
    for text in (
        "From: Office 365",
        "To: Your organization&#x27;s email server",
        "Use for email messages sent to all accepted domains in your organization.",
        "Route email messages through these smart hosts: mail.contoso.onmicrosoft.com",
        "issued by a trusted certificate authority (CA)",
        "Last validation result: Not validated yet",
    ):
        assert text in html


def test_a_connector_id_under_the_wrong_direction_is_not_found(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = contoso.outboundconnectors.get()
    assert (
        admin_client_.get(reverse("connectors:details", args=["inbound", connector.pk])).status_code
        == 404
    )


def test_a_long_list_shows_a_page_and_offers_more(admin_client_: Client, contoso: Tenant) -> None:
    OutboundConnector.objects.bulk_create(
        OutboundConnector(
            tenant=contoso,
            name=f"Bulk {i:03}",
            connector_type="OnPremises",
            use_mx_record=False,
            smart_hosts=["mail.contoso.com"],
            recipient_domains=["contoso.com"],
        )
        for i in range(150)
    )
    first = admin_client_.get(reverse("connectors:list"), {"sort": "name"}).content.decode()
    assert "152 items" in first
    assert len(_rows(first)) == 101  # 100 connectors and the "Show more" row
    assert "Showing 100 of 152" in first
    assert "limit=200" in first
    more = admin_client_.get(
        reverse("connectors:list"), {"sort": "name", "limit": "200"}
    ).content.decode()
    assert len(_rows(more)) == 152
    assert "Show more connectors" not in more


def test_show_more_pages_through_both_directions_in_one_order(
    admin_client_: Client, contoso: Tenant
) -> None:
    """The database sorts and cuts the page: a page is the start of the whole list's order,
    ties broken by name whatever the case, and rows of both directions interleaved."""
    for number in range(70):
        make_outbound(
            contoso, f"{'ab'[number % 2]}{number:03} out", recipient_domains=[f"d{number}.example"]
        )
        make_inbound(
            contoso, f"{'AB'[number % 2]}{number:03} in", sender_domains=[f"p{number}.example"]
        )
    OutboundConnector.objects.filter(tenant=contoso, name__endswith="5 out").update(enabled=False)
    everything = _rows(
        admin_client_.get(reverse("connectors:list"), {"limit": "400"}).content.decode()
    )
    assert len(everything) == 142
    expected = sorted(everything, key=lambda row: (row[0], row[1].casefold()))
    assert everything == expected
    first_page = _rows(admin_client_.get(reverse("connectors:list")).content.decode())
    assert first_page[:100] == expected[:100]  # then the "Show more" row
    descending = _rows(
        admin_client_.get(
            reverse("connectors:list"), {"sort": "from", "desc": "1", "limit": "400"}
        ).content.decode()
    )
    by_name = sorted(everything, key=lambda row: row[1].casefold())
    assert descending == sorted(by_name, key=lambda row: row[2], reverse=True)  # ties: by name


def test_a_name_with_markup_is_shown_as_text_in_the_row(
    admin_client_: Client, contoso: Tenant
) -> None:
    make_outbound(contoso, 'Tom & "Jerry" <b>bold</b>', recipient_domains=["tom.example"])
    html = admin_client_.get(reverse("connectors:list")).content.decode()
    assert "Tom &amp; &quot;Jerry&quot; &lt;b&gt;bold&lt;/b&gt;</a>" in html
    assert 'aria-label="Select Tom &amp; &quot;Jerry&quot; &lt;b&gt;bold&lt;/b&gt;"' in html
    assert "<b>bold</b>" not in html


def test_a_search_with_control_characters_answers_like_one_without(
    admin_client_: Client, four_scenarios: Tenant
) -> None:
    """PostgreSQL refuses a NUL in a query: `?q=%00` was a 500 there."""
    for query in ("\x00", "Alpha\x00", "\x00\x1b\t"):
        response = admin_client_.get(reverse("connectors:list"), {"q": query})
        assert response.status_code == 200
        expected = 1 if "Alpha" in query else 4
        assert len(_rows(response.content.decode())) == expected
