"""A training class in Chromium: a trainee completes "EOP in front of your own servers" as they
would — both connectors through the wizard, validation against the training lab through a real
worker, the Mail flow explorer, the MX question — and sees every task ticked, while the trainer's
progress table, open in another browser session, updates by itself."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from eac.models import User
from lab.models import LabMessage
from tests.conftest import PASSWORD
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.workers import lab_app_worker
from training.scenarios import get_scenario
from training.services import class_create

__all__ = ["lab_app_worker"]  # a fixture

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

POLL_WAIT = 15_000  # ms: the panel and the trainer's table poll every 5 s


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def choose(page: Page, group: str, label: str) -> None:
    page.get_by_role("group", name=group).get_by_label(label, exact=True).check()


def at_step(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def next_step(page: Page) -> None:
    page.get_by_role("button", name="Next").click()


def add_connector_to_your_server(page: Page) -> None:
    page.get_by_role("button", name="Add a connector").click()
    at_step(page, "New connector")
    choose(page, "Connection from", "Office 365")
    choose(page, "Connection to", "Your organization's email server")
    next_step(page)
    at_step(page, "Connector name")
    page.get_by_role("textbox", name="Name", exact=True).fill("To Contoso's server")
    next_step(page)
    at_step(page, "Use of connector")
    page.get_by_label("Only when email messages are sent to these domains", exact=True).check()
    page.get_by_label("Domains", exact=True).fill("contoso.com")
    next_step(page)
    at_step(page, "Routing")
    page.get_by_label("Smart hosts", exact=True).fill("mail.contoso.com")
    page.get_by_role("button", name="Add smart host").click()
    next_step(page)
    at_step(page, "Security restrictions")
    expect(
        page.get_by_label("Issued by a trusted certificate authority (CA)", exact=True)
    ).to_be_checked()
    next_step(page)
    at_step(page, "Validation email")
    page.get_by_role("textbox", name="Email address").fill("john@contoso.com")
    page.get_by_role("button", name="Add email address").click()
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validation succeeded")).to_be_visible(timeout=45_000)
    next_step(page)
    at_step(page, "Review connector")
    page.get_by_role("button", name="Create connector").click()
    at_step(page, "Connector created")
    page.get_by_role("link", name="Done").click()


def add_connector_from_your_server(page: Page) -> None:
    page.get_by_role("button", name="Add a connector").click()
    at_step(page, "New connector")
    choose(page, "Connection from", "Your organization's email server")
    next_step(page)
    at_step(page, "Connector name")
    page.get_by_role("textbox", name="Name", exact=True).fill("From Contoso's server")
    next_step(page)
    at_step(page, "Authenticating sent email")
    page.get_by_label("Certificate domain", exact=True).fill("mail.contoso.com")
    next_step(page)
    at_step(page, "Review connector")
    page.get_by_role("button", name="Create connector").click()
    at_step(page, "Connector created")
    page.get_by_role("link", name="Done").click()


def nav(page: Page, name: str) -> None:
    leftnav = page.get_by_role("navigation", name="Exchange admin center")
    leftnav.get_by_role("link", name=name).click()


def explore(page: Page, sender: str, recipient: str) -> str:
    nav(page, "Mail flow explorer")
    page.get_by_label("From", exact=True).fill(sender)
    page.get_by_label("To", exact=True).fill(recipient)
    page.get_by_role("button", name="Show the path").click()
    summary = page.locator("#path-summary")
    expect(summary).to_be_visible()
    return summary.inner_text()


def trainer_row(page: Page, label: str) -> Any:
    return page.locator("#progress tr", has=page.get_by_role("rowheader", name=label))


def test_a_trainee_completes_eop_in_front_of_your_own_servers_and_the_trainer_sees_it(
    page: Page, live_server: Any, lab_app_worker: Any
) -> None:
    base = str(live_server)
    trainer = User.objects.create_user("trainer@lab.test", PASSWORD, is_trainer=True)
    scenario = get_scenario("eop-in-front")
    assert scenario is not None
    training_class, credentials = class_create(
        trainer=trainer, name="Tuesday", scenario=scenario, trainees=2
    )
    tasks = len(scenario.tasks)

    # The trainer watches the class from a browser session of their own.
    watching = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    sign_in(watching, base, trainer.email, PASSWORD)
    expect(watching.get_by_role("heading", name="Training classes")).to_be_visible()
    watching.get_by_role("link", name="Tuesday").click()
    expect(trainer_row(watching, "Trainee 1").locator(".done-count")).to_have_text(
        f"0 of {tasks}"
    )

    sign_in(page, base, credentials[0].email, credentials[0].password)
    panel = page.get_by_role("complementary", name="Training")
    expect(panel).to_contain_text("EOP in front of your own servers")
    expect(panel.locator("#training-count")).to_contain_text(f"0 of {tasks} tasks done")
    assert serious_accessibility_violations(page) == []

    add_connector_to_your_server(page)
    add_connector_from_your_server(page)
    assert explore(page, "sun@wingtiptoys.com", "john@contoso.com") == (
        "This message flows through To Contoso's server."
    )
    assert explore(page, "john@contoso.com", "sun@wingtiptoys.com") == (
        "This message flows through From Contoso's server."
    )

    # The validation's test message reached the lab, in this trainee's mailbox.
    nav(page, "Lab mailbox")
    expect(page.locator("main")).to_contain_text("O365ConnectorValidation@")
    assert LabMessage.objects.get().tenant == training_class.seats.get(number=1).tenant

    panel.get_by_label("Your answer").fill("contoso-com.mail.protection.outlook.com")
    panel.locator("#training-answer-form-mx").get_by_role("button", name="Answer").click()
    expect(panel.locator("#training-count")).to_contain_text(
        f"{tasks} of {tasks} tasks done", timeout=POLL_WAIT
    )
    for task in scenario.tasks:
        expect(panel.locator(f"#training-task-{task.id}-status")).to_contain_text("Done")
    assert serious_accessibility_violations(page) == []
    snapshot(page, "training-trainee-panel")

    # Without a reload, the trainer's table has caught up; the other trainee hasn't started.
    expect(trainer_row(watching, "Trainee 1").locator(".done-count")).to_have_text(
        f"{tasks} of {tasks}", timeout=POLL_WAIT
    )
    expect(trainer_row(watching, "Trainee 2").locator(".done-count")).to_have_text(
        f"0 of {tasks}"
    )
    assert serious_accessibility_violations(watching) == []
    snapshot(watching, "training-trainer-progress")
    watching.context.close()
