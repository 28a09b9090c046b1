"""A trainee works through a scenario in a real browser, with the training panel beside the
console: ticks appear without a reload while they work in another tab, and a poll never loses
the answer they are choosing or typing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from eac.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from training.scenarios import get_scenario
from training.services import Credential, class_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the panel's finished polls (htmx:afterRequest comes after the swap), so a test can wait
# for the next one instead of sleeping.
COUNT_POLLS = """() => {
  window.trainingPolls = 0;
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.pathInfo.requestPath.startsWith("/training/panel/")) window.trainingPolls++;
  });
}"""


def make_trainee(scenario_id: str) -> Credential:
    trainer = User.objects.create_user("trainer@lab.test", PASSWORD, is_trainer=True)
    scenario = get_scenario(scenario_id)
    assert scenario is not None
    _, credentials = class_create(trainer=trainer, name="Monday", scenario=scenario, trainees=1)
    return credentials[0]


def sign_in(page: Page, base_url: str, credential: Credential) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Email address").fill(credential.email)
    page.get_by_label("Password").fill(credential.password)
    page.get_by_role("button", name="Sign in").click()


def wait_for_next_poll(page: Page) -> None:
    seen = page.evaluate("window.trainingPolls")
    page.wait_for_function(
        f"() => window.trainingPolls > {seen}"
    )  # a function: no eval under the CSP


def task(panel: Locator, title: re.Pattern[str]) -> Locator:
    # `has` is matched inside each item, so it starts from the page, not from the panel.
    return panel.get_by_role("listitem").filter(has=panel.page.get_by_role("heading", name=title))


def test_a_trainee_answers_beside_the_console_and_sees_ticks_come_in(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    sign_in(page, base, make_trainee("which-connector-wins"))

    expect(page.get_by_role("heading", name="Connectors", exact=True)).to_be_visible()
    panel = page.get_by_role("complementary", name="Training")
    expect(panel.get_by_role("heading", name="Training: Several connectors")).to_be_visible()
    expect(panel.get_by_role("link", name="Read the briefing")).to_be_visible()
    expect(panel).to_contain_text("0 of 5 tasks done")
    main, aside = page.locator("main").bounding_box(), panel.bounding_box()
    assert main
    assert aside
    assert aside["x"] >= main["x"] + main["width"] - 1
    assert serious_accessibility_violations(page) == []
    page.evaluate(COUNT_POLLS)

    # The trainee picks an answer, doesn't send it yet, and turns Connector 2 off in another tab.
    fabrikam = task(panel, re.compile("john@fabrikam.com"))
    choice = fabrikam.get_by_label("Your answer")
    choice.select_option("Connector 1")
    choice.focus()
    console = page.context.new_page()
    console.goto(f"{base}/mail-flow/connectors/")
    console.get_by_role("link", name="Connector 2").click()
    console.get_by_role("button", name="Turn off").click()
    expect(console.get_by_text("Connector 2 was turned off.")).to_be_visible()
    console.close()

    # The panel ticks the task by itself; the chosen answer and the focus stay where they were.
    wait_for_next_poll(page)
    turn_off = task(panel, re.compile("Turn Connector 2 off"))
    expect(turn_off).to_contain_text("✓", timeout=12_000)
    expect(turn_off).to_contain_text("(Done)")
    expect(turn_off).to_contain_text("Mail to john@contoso.com goes to Connector 3.")
    expect(panel).to_contain_text("1 of 5 tasks done")
    wait_for_next_poll(page)
    expect(choice).to_have_value("Connector 1")
    expect(choice).to_be_focused()

    fabrikam.get_by_role("button", name="Answer").click()
    expect(fabrikam).to_contain_text("(Done)")
    expect(fabrikam).to_contain_text("Your answer: Connector 1. Right.")
    expect(panel).to_contain_text("2 of 5 tasks done")
    expect(fabrikam.get_by_label("Your answer")).to_have_value("Connector 1")
    expect(page.get_by_role("status").filter(has_text="Right.")).to_be_attached()
    snapshot(page, "training-panel-new")
    assert serious_accessibility_violations(page) == []

    # A wrong answer is kept, not ticked; an open hint stays open through the answer and a poll.
    contoso = task(panel, re.compile(r"^Which connector carries mail to john@contoso\.com"))
    contoso.get_by_text("Hint").click()
    contoso.get_by_label("Your answer").select_option("Connector 1")
    contoso.get_by_role("button", name="Answer").click()
    expect(contoso).to_contain_text("Your answer: Connector 1. Not quite; try again.")
    expect(contoso).to_contain_text("(Not done yet)")
    wait_for_next_poll(page)
    expect(contoso.get_by_text("An exact match on the recipient's domain")).to_be_visible()

    page.get_by_role("link", name="Classic Exchange admin center").click()
    expect(page).to_have_url(re.compile(r"/classic/mail-flow/connectors/$"))
    classic_panel = page.get_by_role("complementary", name="Training")
    expect(classic_panel).to_contain_text("2 of 5 tasks done")
    expect(task(classic_panel, re.compile("john@fabrikam.com"))).to_contain_text("✓")
    snapshot(page, "training-panel-classic")
    assert serious_accessibility_violations(page) == []


def test_a_typed_answer_survives_a_poll_and_is_sent_with_enter(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    sign_in(page, base, make_trainee("eop-in-front"))
    panel = page.get_by_role("complementary", name="Training")
    expect(panel).to_contain_text("0 of")
    page.evaluate(COUNT_POLLS)

    mx = task(panel, re.compile("MX record point to"))
    field = mx.get_by_label("Your answer")
    field.click()
    page.keyboard.type("contoso-com.mail.")
    wait_for_next_poll(page)
    wait_for_next_poll(page)
    expect(field).to_have_value("contoso-com.mail.")
    expect(field).to_be_focused()
    page.keyboard.type("protection.outlook.com")
    page.keyboard.press("Enter")

    expect(mx).to_contain_text("(Done)")
    expect(mx).to_contain_text("Right.")
    expect(mx.get_by_label("Your answer")).to_have_value("contoso-com.mail.protection.outlook.com")
    assert serious_accessibility_violations(page) == []

    # On a narrow window the panel goes below the page instead of squeezing it.
    page.set_viewport_size({"width": 800, "height": 900})
    main, aside = page.locator("main").bounding_box(), panel.bounding_box()
    assert main
    assert aside
    assert aside["y"] >= main["y"] + main["height"] - 1
    snapshot(page, "training-panel-narrow")


def test_the_briefing_page_tells_the_scenario_and_the_lab(page: Page, live_server: object) -> None:
    base = str(live_server)
    sign_in(page, base, make_trainee("which-connector-wins"))
    page.get_by_role("complementary", name="Training").get_by_role(
        "link", name="Read the briefing"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Several connectors: which one wins")
    expect(page.get_by_role("heading", name="Your lab")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("mail.contoso.com"))).to_be_visible()
    expect(page.get_by_text("0 of 5 tasks done")).to_be_visible()
    expect(page.get_by_role("complementary", name="Training")).to_have_count(0)
    snapshot(page, "training-briefing")
    assert serious_accessibility_violations(page) == []

    # Keyboard only: from the first answer field, Tab reaches its Answer button.
    page.get_by_label("Your answer").first.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Answer").first).to_be_focused()
