"""The Classic EAC's cases of the browser error matrix (test_error_matrix.py): the "New connector"
window's pages and dialogs, and an accepted domain's edit page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from playwright.sync_api import Page, expect

from connectors.classic import wizard as classic
from connectors.models import ConnectorDraft, InboundConnector
from eac.models import AcceptedDomain
from tests.conftest import make_inbound
from tests.e2e.error_cases import (
    IN_FROM_OUR_SERVER,
    OUT_TO_OUR_SERVER,
    Case,
    Step,
    World,
    choose,
    do,
    press,
    ready_draft,
    see_heading,
    steps,
    type_and_enter,
)


def window_at(scenario: tuple[str, str], key: str) -> Step:
    """Opens the Classic window at page `key`, every page before it answered."""

    def start(page: Page, world: World) -> None:
        chosen = ConnectorDraft(data={"scenario": {"source": scenario[0], "target": scenario[1]}})
        chosen.completed = ["scenario"]
        pages = classic.pages_for(chosen)
        before = pages[: pages.index(classic.PAGE_BY_KEY[key])] if key != "select" else []
        # A page's step (several partner pages fill one), or "confirm" for Confirm your settings.
        completed = list(dict.fromkeys(p.step or p.key for p in before))
        draft = ready_draft(world.tenant, world.admin, scenario, completed)
        world.notes["draft"] = draft
        page.goto(world.base + reverse("classic_wizard:page", args=[draft.pk, key]))

    return start


def question(text: str) -> Step:
    def done(page: Page, world: World) -> None:
        see_heading(page, text)

    return done


def dialog_box(page: Page) -> Any:
    return page.locator("dialog input[type=text]")


def add_in_dialog(plus: str, text: str) -> Step:
    """Opens a list's add dialog with its +, types the value and presses Enter (its ok)."""

    def run(page: Page, world: World) -> None:
        press(page, plus)
        dialog_box(page).fill(text)
        dialog_box(page).press("Enter")

    return run


def retype_in_dialog(text: str) -> Step:
    def run(page: Page, world: World) -> None:
        dialog_box(page).fill(text)
        dialog_box(page).press("Enter")
        expect(page.locator("dialog[open]")).to_have_count(0)

    return run


def row_listed(text: str) -> Step:
    def run(page: Page, world: World) -> None:
        expect(page.locator(".classic-rows")).to_contain_text(text)

    return run


def name_taken_meanwhile(page: Page, world: World) -> None:
    """Another tab creates a connector with this draft's name before Save is pressed."""
    make_inbound(world.tenant, "Matrix", sender_domains=["other.example"])


def rename_and_save(page: Page, world: World) -> None:
    page.locator("[data-error-summary]").get_by_role("link").first.click()
    type_and_enter(page, "Name:", "Matrix 2")
    see_heading(page, "How should Office 365 identify email from your email server?")
    press(page, "Next")
    see_heading(page, "Confirm your settings")
    press(page, "Save")


def listed_and_selected(name: str) -> Step:
    def done(page: Page, world: World) -> None:
        expect(page.locator("tr.selected")).to_contain_text(name)
        assert InboundConnector.objects.filter(tenant=world.tenant, name=name).count() == 1

    return done


def classic_domain_edit(page: Page, world: World) -> None:
    domain = AcceptedDomain.objects.get(tenant=world.tenant, name="sales.contoso.com")
    page.goto(world.base + reverse("classic:accepted_domain_edit", args=[domain.pk]))


def tick_subdomains_while_authoritative(page: Page, world: World) -> None:
    page.get_by_label("Authoritative", exact=False).first.check()
    page.get_by_label("Accept mail for all subdomains").check()
    press(page, "Save")


CLASSIC_CASES = [
    Case(
        form="classic_wizard:page",
        mistake_name="name:empty-then-enter",
        start=window_at(OUT_TO_OUR_SERVER, "name"),
        mistake=do(type_and_enter, "Name:", ""),
        message="Enter a name.",
        fix=do(type_and_enter, "Name:", "To our server"),
        done=question("When do you want to use this connector?"),
    ),
    Case(
        form="classic_wizard:page",
        mistake_name="use:these-domains-none-added",
        start=window_at(OUT_TO_OUR_SERVER, "use"),
        mistake=steps(
            do(choose, "Only when email messages are sent to these domains"), do(press, "Next")
        ),
        message="Add at least one domain with the + button.",
        fix=steps(
            add_in_dialog("Add domain", "contoso.com"), row_listed("contoso.com"), do(press, "Next")
        ),
        done=question("How do you want to route email messages?"),
    ),
    Case(
        form="classic_wizard:page",
        mistake_name="routing:smart-host-with-a-port-in-the-dialog",
        start=window_at(OUT_TO_OUR_SERVER, "routing"),
        mistake=add_in_dialog("Add smart host", "mail.contoso.com:25"),
        message="Don't include a port",
        fix=steps(
            retype_in_dialog("mail2.contoso.com"),
            row_listed("mail2.contoso.com"),
            do(press, "Next"),
        ),
        done=question("How should Office 365 connect to your email server?"),
    ),
    Case(
        form="classic_wizard:page",
        mistake_name="validate:address-outside-the-connectors-domains",
        start=window_at(OUT_TO_OUR_SERVER, "validate"),
        mistake=add_in_dialog("Add email address", "someone@fabrikam.example"),
        message="This connector doesn't route mail to fabrikam.example",
        fix=steps(retype_in_dialog("john@contoso.com")),
        done=row_listed("john@contoso.com"),
    ),
    Case(
        form="classic_wizard:page",
        mistake_name="confirm:name-taken-in-another-tab",
        start=window_at(IN_FROM_OUR_SERVER, "confirm"),
        meanwhile=name_taken_meanwhile,
        mistake=do(press, "Save"),
        message="A connector named Matrix already exists.",
        fix=rename_and_save,
        done=listed_and_selected("Matrix 2"),
    ),
    Case(
        form="classic:accepted_domain_edit",
        mistake_name="subdomains-for-an-authoritative-domain",
        start=classic_domain_edit,
        mistake=tick_subdomains_while_authoritative,
        message="Subdomains can only be accepted for an Internal relay domain.",
        fix=steps(
            lambda page, world: page.get_by_label("Internal Relay", exact=False).first.check(),
            do(press, "Save"),
        ),
        done=lambda page, world: expect(
            page.get_by_text("Internal Relay", exact=False).first
        ).to_be_visible(),
        js=False,
        why_one_mode="with JavaScript the box is greyed until Internal relay is chosen",
    ),
]
