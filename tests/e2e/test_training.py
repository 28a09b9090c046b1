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
from tests.e2e.test_classic_wizard import add_with_dialog
from tests.e2e.test_classic_wizard import scenario as classic_scenario
from tests.e2e.test_wizard import choose, next_step
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


def at_step(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


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
    expect(trainer_row(watching, "Trainee 1").locator(".done-count")).to_have_text(f"0 of {tasks}")

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
    expect(trainer_row(watching, "Trainee 2").locator(".done-count")).to_have_text(f"0 of {tasks}")
    assert serious_accessibility_violations(watching) == []
    snapshot(watching, "training-trainer-progress")
    watching.context.close()


def test_a_trainer_runs_a_hybrid_class_of_three_a_trainee_completes_it_in_classic_and_reset_restores_it(
    page: Page, live_server: Any, lab_app_worker: Any
) -> None:
    import csv
    import io

    from connectors.models import InboundConnector, OutboundConnector

    base = str(live_server)
    trainer = User.objects.create_user("trainer@lab.test", PASSWORD, is_trainer=True)
    scenario = get_scenario("hybrid")
    assert scenario is not None
    tasks = len(scenario.tasks)

    watching = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    sign_in(watching, base, trainer.email, PASSWORD)
    watching.get_by_role("main").get_by_role("link", name="New class").click()
    watching.get_by_label("Class name").fill("Hybrid Wednesday")
    watching.get_by_label(scenario.title, exact=False).check()
    watching.get_by_label("Number of trainees").fill("3")
    watching.get_by_role("button", name="Create class").click()
    expect(watching.get_by_role("heading", name="Hybrid Wednesday is ready")).to_be_visible()
    assert serious_accessibility_violations(watching) == []
    snapshot(watching, "training-credentials")
    rows = watching.locator("table.credentials tbody tr")
    expect(rows).to_have_count(3)
    shown = [[cell.strip() for cell in row.split("\t")] for row in rows.all_inner_texts()]
    with watching.expect_download() as download:
        watching.get_by_role("button", name="Download as CSV").click()
    sheet = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert sheet[0] == ["Trainee", "Sign-in email", "Password", "Organization"]
    assert [row[1:3] for row in sheet[1:]] == [row[1:3] for row in shown]
    email, password = shown[1][1], shown[1][2]  # Trainee 2
    watching.get_by_role("link", name="Go to the class's progress").click()
    expect(trainer_row(watching, "Trainee 2").locator(".done-count")).to_have_text(f"0 of {tasks}")

    sign_in(page, base, email, password)
    page.get_by_role("link", name="Classic Exchange admin center").click()
    panel = page.get_by_role("complementary", name="Training")
    expect(panel).to_contain_text("Hybrid: mailboxes in both places")
    expect(panel.locator("#training-count")).to_contain_text(f"0 of {tasks} tasks done")

    page.get_by_role("button", name="New").click()
    classic_scenario(page, "Office 365", "Your organization's email server")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("textbox", name="Name:").fill("To John's server")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Only when email messages are sent to these domains").check()
    add_with_dialog(page, "domain", "contoso.com")
    page.get_by_role("button", name="Next").click()
    add_with_dialog(page, "smart host", "mail.contoso.com")
    page.get_by_role("button", name="Next").click()
    expect(
        page.get_by_role("heading", name="How should Office 365 connect to your email server?")
    ).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Confirm your settings")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    add_with_dialog(page, "email address", "john@contoso.com", title="add email")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validation successful")).to_be_visible(timeout=45_000)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="To John's server")).to_be_visible()

    page.get_by_role("button", name="New").click()
    classic_scenario(page, "Your organization's email server", "Office 365")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("textbox", name="Name:").fill("From John's server")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Certificate domain").fill("mail.contoso.com")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Confirm your settings")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="From John's server")).to_be_visible()

    expect(panel.locator("#training-count")).to_contain_text(
        f"{tasks} of {tasks} tasks done", timeout=POLL_WAIT
    )
    assert serious_accessibility_violations(page) == []
    snapshot(page, "training-classic-panel")
    expect(trainer_row(watching, "Trainee 2").locator(".done-count")).to_have_text(
        f"{tasks} of {tasks}", timeout=POLL_WAIT
    )
    for other in ("Trainee 1", "Trainee 3"):
        expect(trainer_row(watching, other).locator(".done-count")).to_have_text(f"0 of {tasks}")

    # Reset puts Trainee 2's sandbox back: the connectors are gone, the tasks unchecked.
    trainer_row(watching, "Trainee 2").get_by_role("link", name="Reset").click()
    expect(watching.get_by_role("heading")).to_contain_text(["Reset"])
    watching.get_by_role("button", name="Reset", exact=True).click()
    expect(trainer_row(watching, "Trainee 2").locator(".done-count")).to_have_text(f"0 of {tasks}")
    seat = User.objects.get(email=email).seat
    assert not OutboundConnector.objects.filter(tenant=seat.tenant).exists()
    assert not InboundConnector.objects.filter(tenant=seat.tenant).exists()
    expect(panel.locator("#training-count")).to_contain_text(
        f"0 of {tasks} tasks done", timeout=POLL_WAIT
    )
    watching.context.close()
