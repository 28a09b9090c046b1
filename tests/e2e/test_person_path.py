"""What a quick or keyboard-only person does, in Chromium with htmx on: a click made while the
page is still answering the one before isn't lost, a double-clicked Create makes one connector and
a whole page, Enter and Escape do what the EAC does, Tab follows the page, an error the page can't
swap is still said, and the Connectors list shows its selection as the EAC's does."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from connectors.models import InboundConnector, OutboundConnector
from eac.models import Tenant, User
from tests.e2e.error_cases import IN_FROM_OUR_SERVER, OUT_TO_OUR_SERVER, ready_draft
from tests.e2e.test_wizard import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_step(page: Page, base: str, draft: Any, key: str) -> None:
    page.goto(f"{base}/mail-flow/connectors/new/{draft.pk}/{key}/")


def test_next_pressed_while_the_plus_is_still_answering_is_not_lost(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    """The page answers + by replacing the form; a Next pressed before that answer arrives was
    dropped by htmx with the form it was queued on. The + answer is held here until Next has
    been pressed, so the race happens every time."""
    draft = ready_draft(contoso, admin, OUT_TO_OUR_SERVER, ["scenario", "name", "use"])
    sign_in(page, str(live_server), admin.email)
    open_step(page, str(live_server), draft, "routing")
    held: list[Route] = []

    def hold_the_plus(route: Route) -> None:
        if "list_action" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.route("**/new/*/routing/", hold_the_plus)
    page.get_by_label("Smart hosts", exact=True).fill("mail.contoso.com")
    page.get_by_role("button", name="Add smart host").click()
    page.wait_for_function(
        "() => document.getElementById('wizard-form').classList.contains('htmx-request')"
    )
    page.get_by_role("button", name="Next").click()  # while + is still on its way
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("heading", name="Security restrictions", exact=True)).to_be_visible()
    draft.refresh_from_db()
    assert draft.data["routing"]["smart_hosts"] == ["mail.contoso.com"]


def test_a_double_clicked_create_makes_one_connector_and_one_whole_page(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    draft = ready_draft(contoso, admin, IN_FROM_OUR_SERVER, ["scenario", "name", "identity"])
    sign_in(page, str(live_server), admin.email)
    open_step(page, str(live_server), draft, "review")
    page.get_by_role("button", name="Create connector").dblclick()
    expect(page.get_by_role("heading", name="Connector created")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/mail-flow/connectors/new/{draft.pk}/created/")
    expect(page.locator("header.topbar")).to_have_count(1)  # one console, not one in another
    expect(page.get_by_role("navigation", name="Exchange admin center")).to_have_count(1)
    assert InboundConnector.objects.filter(tenant=contoso, name="Matrix").count() == 1


def test_enter_goes_next_and_enter_beside_a_plus_adds(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    draft = ready_draft(contoso, admin, OUT_TO_OUR_SERVER, ["scenario"])
    sign_in(page, str(live_server), admin.email)
    open_step(page, str(live_server), draft, "name")
    page.get_by_role("textbox", name="Name", exact=True).fill("Keyboard")
    page.get_by_role("textbox", name="Name", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="Use of connector", exact=True)).to_be_visible()
    page.get_by_label("Only when email messages are sent to these domains", exact=True).check()
    page.get_by_label("Domains", exact=True).fill("contoso.com")
    page.get_by_label("Domains", exact=True).press("Enter")
    expect(page.get_by_role("button", name="Remove contoso.com")).to_be_visible()
    expect(page.get_by_role("heading", name="Use of connector", exact=True)).to_be_visible()
    page.get_by_label("Domains", exact=True).fill("sales.contoso.com")
    page.get_by_label("Domains", exact=True).press("Enter")
    expect(page.get_by_role("button", name="Remove sales.contoso.com")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Routing", exact=True)).to_be_visible()
    draft.refresh_from_db()
    assert draft.data["use"]["recipient_domains"] == ["contoso.com", "sales.contoso.com"]


def test_tab_follows_the_page_and_focus_follows_the_step(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    draft = ready_draft(contoso, admin, OUT_TO_OUR_SERVER, ["scenario"])
    sign_in(page, str(live_server), admin.email)
    open_step(page, str(live_server), draft, "name")
    page.get_by_role("textbox", name="Name", exact=True).fill("Tabbed")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate(
                "() => document.activeElement.labels?.[0]?.innerText?.trim()"
                " || document.activeElement.innerText.trim()"
            )
        )
    assert order == [
        "Description",
        "Turn it on",
        "Retain internal Exchange email headers (recommended)",
        "Back",
        "Next",
    ]
    page.keyboard.press("Enter")  # on Next
    expect(page.get_by_role("heading", name="Use of connector", exact=True)).to_be_focused()


def test_escape_closes_the_edit_panel_then_the_flyout(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    sign_in(page, str(live_server), admin.email)
    page.get_by_role("link", name="To Contoso servers").click()
    flyout = page.locator("#flyout")
    flyout.get_by_role("link", name="Edit name or status").click()
    expect(flyout.get_by_role("heading", name="Connector name")).to_be_visible()
    page.keyboard.press("Escape")
    expect(flyout.get_by_role("heading", name="To Contoso servers")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("aside#flyout")).to_have_count(0)
    expect(page).to_have_url(f"{live_server}/mail-flow/connectors/")


def test_an_error_the_page_cant_swap_is_still_said(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    draft = ready_draft(contoso, admin, OUT_TO_OUR_SERVER, ["scenario"])
    sign_in(page, str(live_server), admin.email)
    open_step(page, str(live_server), draft, "name")
    page.route(
        "**/new/*/name/", lambda route: route.fulfill(status=500, body="<h1>Server Error</h1>")
    )
    page.get_by_role("textbox", name="Name", exact=True).fill("Anything")
    page.get_by_role("button", name="Next").click()
    toast = page.get_by_role("alert").filter(has_text="Something went wrong on the server")
    expect(toast).to_be_visible()
    expect(toast).to_be_focused()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("Anything")


def test_the_list_shows_its_selection_and_the_flyout_its_commands(
    page: Page, live_server: Any, admin: User, contoso: Tenant
) -> None:
    OutboundConnector.objects.filter(tenant=contoso).update(enabled=False)
    sign_in(page, str(live_server), admin.email)
    commands = page.locator(".commandbar")
    expect(commands.get_by_role("button", name="Delete")).to_be_hidden()
    expect(page.get_by_text("Selection:")).to_be_hidden()
    page.get_by_role("checkbox", name="Select From Tailspin").check()
    expect(page.get_by_text("Selection: 1")).to_be_visible()
    expect(commands.get_by_role("button", name="Delete")).to_be_visible()
    page.get_by_role("checkbox", name="Select To Contoso servers").check()
    expect(page.get_by_text("Selection: 2")).to_be_visible()
    page.get_by_role("button", name="Clear selection").click()
    expect(page.get_by_text("Selection:")).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Select From Tailspin")).not_to_be_checked()

    page.get_by_role("link", name="To Contoso servers").click()
    flyout = page.locator("#flyout")
    expect(flyout.get_by_role("button", name="Turn on")).to_be_visible()
    expect(flyout.get_by_role("link", name="Refresh")).to_be_visible()
    expect(flyout.get_by_role("link", name="Delete")).to_be_visible()
    # Off: "Validate this connector" is greyed, as in the EAC, and says why.
    expect(flyout.get_by_role("link", name="Validate this connector")).to_have_count(0)
    expect(flyout.get_by_text("Turn the connector on to validate it.")).to_be_visible()
    # The flyout lies over the list: the command bar and Search keep their place and size.
    search = page.get_by_role("searchbox", name="Search connectors")
    expect(search).to_be_visible()
    bar = commands.bounding_box()
    assert bar is not None
    assert bar["height"] < 60
