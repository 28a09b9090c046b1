"""The Classic EAC "New connector" wizard as data: its pages in Classic order and wording
(https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/use-connectors-to-configure-mail-flow
describes the scenarios, and which of them need a connector). It stores its answers in the same
draft, under the same step keys, as the New EAC wizard (`connectors.wizard.steps`), so both
create a connector through the same code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors.endpoints import Endpoint
from connectors.models import ConnectorDraft
from connectors.wizard import steps as wizard
from connectors.wizard.answers import IdentityAnswers, answers_in

INTERNET = "internet"
FROM_CHOICES = [
    (Endpoint.OFFICE_365.value, "Office 365"),
    (Endpoint.YOUR_ORG.value, "Your organization's email server"),
    (Endpoint.PARTNER.value, "Partner organization"),
    (INTERNET, "Internet"),
]
TO_CHOICES = {  # "To" follows "From"
    Endpoint.OFFICE_365.value: [
        (Endpoint.YOUR_ORG.value, "Your organization's email server"),
        (Endpoint.PARTNER.value, "Partner organization"),
        (INTERNET, "Internet"),
    ],
    Endpoint.YOUR_ORG.value: [(Endpoint.OFFICE_365.value, "Office 365")],
    Endpoint.PARTNER.value: [(Endpoint.OFFICE_365.value, "Office 365")],
    INTERNET: [(Endpoint.OFFICE_365.value, "Office 365")],
}


@dataclass(frozen=True)
class Advice:
    """The paragraph under the dropdowns: whether this scenario needs a connector."""

    need: str  # "required", "optional" or "none"
    headline: str
    text: str


ADVICE: dict[tuple[str, str], Advice] = {
    ("office365", "your_org"): Advice(
        "required",
        "You need to create a connector for this mail flow scenario.",
        "Because your domain's MX record points to Office 365, mail for recipients whose mailboxes "
        "are on your own email server reaches them only through a connector that names that server "
        "as a smart host. Hybrid organizations and standalone EOP subscriptions need this one.",
    ),
    ("your_org", "office365"): Advice(
        "required",
        "You need to create a connector for this mail flow scenario.",
        "When this connector is set up, Office 365 accepts mail from your organization's email "
        "server and relays it to the internet for you. If all your mailboxes are in Office 365 and "
        "only devices or applications send from your network, this connector is optional.",
    ),
    ("office365", "partner"): Advice(
        "optional",
        "You can create a connector for this mail flow scenario, but you don't have to.",
        "Mail to a partner flows without one. Create it to require TLS, a trusted certificate or "
        "specific smart hosts for messages to that partner's domains.",
    ),
    ("partner", "office365"): Advice(
        "optional",
        "You can create a connector for this mail flow scenario, but you don't have to.",
        "Mail from a partner flows without one. Create it to reject that partner's messages unless "
        "they arrive over TLS, with a certificate for their domain, or from their IP addresses.",
    ),
    ("office365", "internet"): Advice(
        "none",
        "You don't need a connector for this mail flow scenario.",
        "Office 365 delivers mail to the internet on its own, by looking up each recipient domain's "
        "MX record.",
    ),
    ("internet", "office365"): Advice(
        "none",
        "You don't need a connector for this mail flow scenario.",
        "Mail from the internet reaches Office 365 through your domain's MX record, which points to "
        "Office 365.",
    ),
}


def advice_for(source: str, target: str) -> Advice | None:
    return ADVICE.get((source, target))


Scenario = wizard.Scenario


def outbound(s: Scenario) -> bool:
    return s[0] == Endpoint.OFFICE_365


def from_your_org(s: Scenario) -> bool:
    return s[0] == Endpoint.YOUR_ORG


def from_partner(s: Scenario) -> bool:
    return s[0] == Endpoint.PARTNER


@dataclass(frozen=True)
class Page:
    key: str
    question: str  # the page's heading, in Classic wording
    step: str  # the draft step it fills ("" for pages that only show or act)
    applies: Callable[[Scenario], bool]


PAGES: tuple[Page, ...] = (
    Page("select", "Select your mail flow scenario", "scenario", wizard.always),
    Page("name", "", "name", wizard.always),
    Page("use", "When do you want to use this connector?", "use", outbound),
    Page("routing", "How do you want to route email messages?", "routing", outbound),
    Page("security", "How should Office 365 connect to your email server?", "security", outbound),
    Page(
        "identity",
        "How should Office 365 identify email from your email server?",
        "identity",
        from_your_org,
    ),
    Page(
        "partner_by",
        "How do you want to identify the partner organization?",
        "identity",
        from_partner,
    ),
    Page("partner_list", "", "identity", from_partner),
    Page(
        "partner_security",
        "What security restrictions do you want to apply?",
        "inbound_security",
        from_partner,
    ),
    Page("confirm", "Confirm your settings", "", wizard.always),
    Page("validate", "Validate this connector", "validation", outbound),
)
PAGE_BY_KEY = {page.key: page for page in PAGES}


def pages_for(draft: ConnectorDraft) -> list[Page]:
    scenario = wizard.scenario_of(draft)
    if scenario is None:
        return [PAGES[0]]
    return [page for page in PAGES if page.applies(scenario)]


def page_done(draft: ConnectorDraft, page: Page) -> bool:
    if page.key == "partner_by":
        identity = answers_in(draft).get("identity")  # kept before its step is done
        return identity is not None and "identify" in identity
    if page.key == "confirm":
        return "confirm" in draft.completed
    return bool(page.step) and page.step in draft.completed


def first_open_page(draft: ConnectorDraft) -> Page:
    for page in pages_for(draft):
        if not page_done(draft, page):
            return page
    return pages_for(draft)[-1]


def reachable(draft: ConnectorDraft, page: Page) -> bool:
    pages = pages_for(draft)
    return page in pages and all(page_done(draft, p) for p in pages[: pages.index(page)])


def next_page(draft: ConnectorDraft, page: Page) -> Page | None:
    pages = pages_for(draft)
    index = pages.index(page)
    return pages[index + 1] if index + 1 < len(pages) else None


def previous_page(draft: ConnectorDraft, page: Page) -> Page | None:
    pages = pages_for(draft)
    index = pages.index(page)
    return pages[index - 1] if index else None


def keep_identify_choice(draft: ConnectorDraft, identify: str) -> None:
    """ "How do you want to identify the partner organization?": the choice kept on the draft,
    with any list the next page showed before; the step is done once that page is answered."""
    stored = answers_in(draft).get("identity")
    identity: IdentityAnswers = (
        {**stored, "identify": identify} if stored else {"identify": identify}
    )
    draft.data = draft.data | {"identity": identity}
    draft.completed = [key for key in draft.completed if key != "identity"]
    draft.save(update_fields=["data", "completed", "changed_at"])


def partner_list_question(draft: ConnectorDraft) -> str:
    identity = answers_in(draft).get("identity")
    if identity is not None and identity.get("identify") == "ip":
        return "What sender IP addresses do you want to use to identify your partner?"
    return "What sender domain do you want to use to identify your partner?"
