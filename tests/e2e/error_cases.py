"""The cases of the browser error matrix (test_error_matrix.py): for each form of the console, a
mistake a person makes, the message they must see, and how they correct it.

A case starts on its form (a wizard draft made ready up to the step, rather than clicked through),
makes the mistake the way a person does (typing, Enter, a button), and corrects it. The Classic
EAC's cases are in error_cases_classic.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse
from playwright.sync_api import Page, expect

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.wizard import steps as wizard
from eac.audit import snapshot
from eac.models import AcceptedDomain, Tenant, User
from lab.models import TracedMessage, TraceStatus
from tests.conftest import make_inbound
from training.models import Answer, Seat, TrainingClass


@dataclass
class World:
    base: str
    tenant: Tenant
    admin: User
    notes: dict[str, Any] = field(default_factory=dict)  # what a case's start made, for its fix


Step = Callable[[Page, World], None]


@dataclass(frozen=True)
class Case:
    form: str  # the URL name of the form endpoint this case covers
    mistake_name: str  # what the person does wrong, as the test id says it
    start: Step  # open the form, ready for the mistake
    mistake: Step  # make it, and send the form the way a person would
    message: str  # (part of) the message that must be visible and focused
    fix: Step  # correct it and send again
    done: Step  # what the person sees once it worked (and the database agrees)
    js: bool | None = None  # None: with htmx and without JavaScript; else only that one
    why_one_mode: str = ""
    user: Callable[[World], User | None] | None = None  # who makes it; the admin by default
    meanwhile: Step | None = None  # what someone else does, in another tab, before the mistake
    shot: str = ""  # a name for a picture of the error state (EAC_SCREENSHOT_DIR, the README)

    @property
    def id(self) -> str:
        return f"{self.form}:{self.mistake_name}"


def state_of(tenant: Tenant) -> dict[str, Any]:
    """What a refused form must not have changed: the tenant's connectors (every property),
    accepted domains, drafts' progress, and the training records."""
    return {
        "outbound": sorted(
            (sorted(snapshot(c).items()) for c in OutboundConnector.objects.filter(tenant=tenant)),
            key=str,
        ),
        "inbound": sorted(
            (sorted(snapshot(c).items()) for c in InboundConnector.objects.filter(tenant=tenant)),
            key=str,
        ),
        "domains": sorted(
            AcceptedDomain.objects.filter(tenant=tenant).values_list(
                "name", "domain_type", "match_subdomains", "is_default"
            )
        ),
        "drafts": sorted(
            (str(d.pk), list(d.completed), str(d.created_connector_id))
            for d in ConnectorDraft.objects.filter(tenant=tenant)
        ),
        "classes": TrainingClass.objects.count(),
        "answers": sorted(Answer.objects.values_list("task", "value")),
        "users": User.objects.count(),
    }


# --- What a person does ----------------------------------------------------------------------


def press(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def box(page: Page, label: str) -> Any:
    # A required field's label ends with an aria-hidden "*": its role name is the label alone.
    return (
        page.get_by_role("textbox", name=label, exact=True)
        .or_(page.get_by_role("spinbutton", name=label, exact=True))
        .or_(page.get_by_label(label, exact=True))
        .first
    )


def type_in(page: Page, label: str, text: str) -> None:
    box(page, label).fill(text)


def type_and_enter(page: Page, label: str, text: str) -> None:
    box(page, label).fill(text)
    box(page, label).press("Enter")


def add_row(page: Page, label: str, text: str, plus: str) -> None:
    """Types a value beside a + and presses the + (Enter there is Next without JavaScript)."""
    box(page, label).fill(text)
    press(page, plus)
    see_row_added(page, text)


def choose(page: Page, label: str) -> None:
    page.get_by_label(label, exact=True).check()


def choose_in(page: Page, group: str, label: str) -> None:
    page.get_by_role("group", name=group).get_by_label(label, exact=True).check()


def see_heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", name=text, exact=True)).to_be_visible()


def see_text(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible()


def see_row_added(page: Page, value: str) -> None:
    expect(page.get_by_role("button", name=f"Remove {value}", exact=True)).to_be_visible()


def goto(path: str) -> Step:
    def start(page: Page, world: World) -> None:
        page.goto(world.base + path)

    return start


# --- The New EAC wizard: a draft ready up to a step ------------------------------------------

OUT_TO_OUR_SERVER = ("office365", "your_org")
OUT_TO_PARTNER = ("office365", "partner")
IN_FROM_OUR_SERVER = ("your_org", "office365")
IN_FROM_PARTNER = ("partner", "office365")

ANSWERS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    OUT_TO_OUR_SERVER: {
        "name": {"name": "Matrix", "description": "", "turn_on": True, "retain_headers": True},
        "use": {"use": "all_accepted_domains", "recipient_domains": []},
        "routing": {"route": "smart_hosts", "smart_hosts": ["mail.contoso.com"]},
        "security": {
            "tls": True,
            "certificate": "trusted_ca",
            "match_domain": False,
            "tls_domain": "",
        },
        "validation": {"recipients": []},
    },
    OUT_TO_PARTNER: {
        "name": {"name": "Matrix", "description": "", "turn_on": True, "retain_headers": False},
        "use": {"use": "domains", "recipient_domains": ["fourthcoffee.com"]},
        "routing": {"route": "mx", "smart_hosts": []},
        "security": {
            "tls": True,
            "certificate": "trusted_ca",
            "match_domain": False,
            "tls_domain": "",
        },
        "validation": {"recipients": []},
    },
    IN_FROM_OUR_SERVER: {
        "name": {"name": "Matrix", "description": "", "turn_on": True, "retain_headers": True},
        "identity": {
            "identify": "certificate",
            "certificate_domain": "mail.contoso.com",
            "sender_ips": [],
        },
    },
    IN_FROM_PARTNER: {
        "name": {"name": "Matrix", "description": "", "turn_on": True, "retain_headers": False},
        "identity": {
            "identify": "domains",
            "sender_domains": ["contosobank.com"],
            "sender_ips": [],
        },
        "inbound_security": {
            "require_tls": True,
            "restrict_to_certificate": False,
            "certificate_domain": "",
            "restrict_to_ips": False,
            "restricted_ips": [],
        },
    },
}


def ready_draft(
    tenant: Tenant,
    admin: User,
    scenario: tuple[str, str],
    completed: list[str],
    **changes: dict[str, Any],
) -> ConnectorDraft:
    """A draft whose `completed` steps (New or Classic: "confirm" too) hold good answers."""
    answers = {"scenario": {"source": scenario[0], "target": scenario[1]}}
    answers |= ANSWERS[scenario] | changes
    return ConnectorDraft.objects.create(
        tenant=tenant,
        created_by=admin,
        data={key: answers[key] for key in completed if key in answers},
        completed=completed,
        proceed_without_validation="validation" in completed,
    )


def scenario_steps(scenario: tuple[str, str]) -> list[str]:
    chosen = ConnectorDraft(data={"scenario": {"source": scenario[0], "target": scenario[1]}})
    chosen.completed = ["scenario"]
    return [step.key for step in wizard.steps_for(chosen)]


def wizard_at(scenario: tuple[str, str], key: str, **changes: dict[str, Any]) -> Step:
    """Opens the wizard at step `key` of `scenario`, every step before it answered."""

    def start(page: Page, world: World) -> None:
        steps = scenario_steps(scenario)
        before = steps[: steps.index(key)]
        draft = ready_draft(world.tenant, world.admin, scenario, before, **changes)
        world.notes["draft"] = draft
        page.goto(world.base + reverse("connectors:wizard_step", args=[draft.pk, key]))
        see_heading(page, wizard.STEP_BY_KEY[key].heading)

    return start


def at_step(heading: str) -> Step:
    def done(page: Page, world: World) -> None:
        see_heading(page, heading)

    return done


def wizard_case(
    scenario: tuple[str, str],
    key: str,
    mistake_name: str,
    mistake: Step,
    message: str,
    fix: Step,
    then: str,
    shot: str = "",
    **changes: dict[str, Any],
) -> Case:
    return Case(
        shot=shot,
        form="connectors:wizard_step",
        mistake_name=f"{'-'.join(scenario)}:{key}:{mistake_name}",
        start=wizard_at(scenario, key, **changes),
        mistake=mistake,
        message=message,
        fix=fix,
        done=at_step(then),
    )


def steps(*actions: Step) -> Step:
    def run(page: Page, world: World) -> None:
        for action in actions:
            action(page, world)

    return run


def do(function: Callable[..., None], *args: Any) -> Step:
    return lambda page, world: function(page, *args)


NEXT = do(press, "Next")
CREATED = "Connector created"

WIZARD_CASES = [
    Case(
        form="connectors:wizard_step",
        mistake_name="scenario:nothing-chosen",
        start=wizard_at(OUT_TO_OUR_SERVER, "scenario"),
        mistake=NEXT,
        message="Choose where the mail comes from.",
        fix=steps(do(choose_in, "Connection from", "Office 365"), NEXT),
        done=at_step("Connector name"),
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "name",
        "empty-then-enter",
        do(type_and_enter, "Name", ""),
        "Enter a name.",
        do(type_and_enter, "Name", "To our server"),
        "Use of connector",
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "name",
        "65-characters",
        steps(do(type_in, "Name", "A" * 65), NEXT),
        "Names can be at most 64 characters; this one has 65.",
        steps(do(type_in, "Name", "A" * 64), NEXT),
        "Use of connector",
    ),
    wizard_case(
        IN_FROM_PARTNER,
        "name",
        "taken-by-an-outbound-connector",
        do(type_and_enter, "Name", "to contoso servers"),
        "A connector named to contoso servers already exists.",
        do(type_and_enter, "Name", "From ContosoBank"),
        "Authenticating sent email",
        shot="wizard-error-name-taken",
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "use",
        "these-domains-none-added",
        steps(do(choose, "Only when email messages are sent to these domains"), NEXT),
        "Add at least one domain with the + button.",
        steps(do(add_row, "Domains", "contoso.com", "Add domain"), NEXT),
        "Routing",
    ),
    wizard_case(
        OUT_TO_PARTNER,
        "use",
        "embedded-wildcard-entered",
        steps(
            do(choose, "Only when email messages are sent to these domains"),
            do(type_and_enter, "Domains", "a.*.com"),
        ),
        "a.*.com: A wildcard can only be the first label",
        steps(do(add_row, "Domains", "*.fabrikam.com", "Add domain"), NEXT),
        "Routing",
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "routing",
        "no-smart-host",
        NEXT,
        "Add at least one smart host with the + button.",
        steps(do(type_in, "Smart hosts", "mail.contoso.com"), NEXT),  # Next adds what is typed
        "Security restrictions",
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "routing",
        "smart-host-with-a-port",
        steps(do(type_in, "Smart hosts", "mail.contoso.com:25"), do(press, "Add smart host")),
        "Don't include a port",
        steps(do(add_row, "Smart hosts", "mail.contoso.com", "Add smart host"), NEXT),
        "Security restrictions",
    ),
    wizard_case(
        OUT_TO_PARTNER,
        "routing",
        "smart-hosts-chosen-none-added",
        steps(do(choose, "Route email through these smart hosts"), NEXT),
        "Add at least one smart host with the + button.",
        steps(do(add_row, "Smart hosts", "smtp.fourthcoffee.com", "Add smart host"), NEXT),
        "Security restrictions",
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "security",
        "san-ticked-but-empty",
        steps(
            do(
                choose,
                "And the subject name or subject alternative name (SAN) matches this domain name:",
            ),
            NEXT,
        ),
        "Enter the domain name the certificate must match.",
        steps(do(type_and_enter, "Certificate domain", "mail.contoso.com")),
        "Validation email",
    ),
    wizard_case(
        OUT_TO_OUR_SERVER,
        "validation",
        "address-outside-the-connectors-domains",
        do(type_and_enter, "Email address", "someone@fabrikam.example"),
        "This connector doesn't route mail to fabrikam.example",
        steps(do(add_row, "Email address", "john@contoso.com", "Add email address")),
        "Validation email",
    ),
    wizard_case(
        OUT_TO_PARTNER,
        "validation",
        "validate-with-no-address",
        do(press, "Validate"),
        "Add at least one email address.",
        steps(do(add_row, "Email address", "someone@fourthcoffee.com", "Add email address")),
        "Validation email",
    ),
    wizard_case(
        IN_FROM_OUR_SERVER,
        "identity",
        "certificate-domain-empty",
        steps(do(type_in, "Certificate domain", ""), NEXT),
        "Enter the certificate's domain name.",
        do(type_and_enter, "Certificate domain", "mail.contoso.com"),
        "Review connector",
        identity={"identify": "certificate", "certificate_domain": "", "sender_ips": []},
    ),
    wizard_case(
        IN_FROM_OUR_SERVER,
        "identity",
        "ip-mask-too-wide",
        steps(
            do(
                choose,
                "By verifying that the IP address of the sending server matches one of the following IP addresses, which belong exclusively to your organization",
            ),
            do(type_and_enter, "IP addresses", "10.0.0.0/16"),
        ),
        "Masks from /24 to /32 are supported; /16 is too wide.",
        steps(do(add_row, "IP addresses", "10.0.0.0/24", "Add IP address"), NEXT),
        "Review connector",
    ),
    wizard_case(
        IN_FROM_PARTNER,
        "identity",
        "no-sender-domain",
        NEXT,
        "Add at least one value with the + button.",
        steps(do(add_row, "Sender domains", "contosobank.com", "Add domain"), NEXT),
        "Security restrictions",
        identity={"identify": "domains", "sender_domains": [], "sender_ips": []},
    ),
    wizard_case(
        IN_FROM_PARTNER,
        "inbound_security",
        "certificate-ticked-but-empty",
        steps(
            do(
                choose,
                "And require that the subject name on the certificate that the partner uses to authenticate with Office 365 matches this domain name",
            ),
            NEXT,
        ),
        "Enter the domain name the partner's certificate must match.",
        do(type_and_enter, "Certificate domain", "mail.contosobank.com"),
        "Review connector",
    ),
    wizard_case(
        IN_FROM_PARTNER,
        "inbound_security",
        "ip-range-ticked-none-added",
        steps(
            do(
                choose,
                "Reject email messages if they aren't sent from within this IP address range",
            ),
            NEXT,
        ),
        "Add at least one IP address with the + button.",
        steps(do(add_row, "IP address range", "10.5.3.0/24", "Add IP address"), NEXT),
        "Review connector",
    ),
]


def name_taken_meanwhile(page: Page, world: World) -> None:
    """Another tab creates a connector with this draft's name before Create is pressed."""
    make_inbound(world.tenant, "Matrix", sender_domains=["other.example"])


def rename_then_create(page: Page, world: World) -> None:
    page.locator("[data-error-summary]").get_by_role("link").first.click()
    see_heading(page, "Connector name")
    type_and_enter(page, "Name", "Matrix 2")
    see_heading(page, "Authenticating sent email")
    press(page, "Next")
    see_heading(page, "Review connector")
    press(page, "Create connector")


def created(name: str) -> Step:
    def done(page: Page, world: World) -> None:
        see_heading(page, CREATED)
        expect(page).to_have_url(
            world.base + reverse("connectors:wizard_created", args=[world.notes["draft"].pk])
        )
        assert page.locator(".topbar").count() == 1  # one console, not one inside another
        assert InboundConnector.objects.filter(tenant=world.tenant, name=name).count() == 1

    return done


REVIEW_CASES = [
    Case(
        form="connectors:wizard_step",
        mistake_name="review:name-taken-in-another-tab",
        start=wizard_at(IN_FROM_OUR_SERVER, "review"),
        meanwhile=name_taken_meanwhile,
        mistake=do(press, "Create connector"),
        message="A connector named Matrix already exists.",
        fix=rename_then_create,
        done=created("Matrix 2"),
    ),
]

# --- Edit pages of the details flyout ---------------------------------------------------------


def edit_of(name: str, key: str) -> Step:
    def start(page: Page, world: World) -> None:
        connector: Any = OutboundConnector.objects.filter(
            tenant=world.tenant, name=name
        ).first() or InboundConnector.objects.get(tenant=world.tenant, name=name)
        world.notes["connector"] = connector
        page.goto(
            world.base + reverse("connectors:details", args=[connector.direction, connector.pk])
        )
        link = {
            "name": "Edit name or status",
            "use": "Edit use",
            "routing": "Edit routing",
            "security": "Edit restrictions",
            "inbound_security": "Edit restrictions",
            "identity": "Edit sent email identity",
        }[key]
        page.locator("#flyout").get_by_role("link", name=link).click()
        see_heading(page, wizard.STEP_BY_KEY[key].heading)

    return start


def our_server_inbound(world: World) -> None:
    make_inbound(
        world.tenant,
        "From our servers",
        connector_type="OnPremises",
        sender_domains=["*"],
        require_tls=True,
        tls_sender_certificate_name="mail.contoso.com",
    )


def updated(page: Page, world: World) -> None:
    see_text(page, "Connector updated successfully")


def saved_after_validation_email(page: Page, world: World) -> None:
    """An outbound edit goes on to "Validation email"; Save there, and Yes, proceed."""
    see_heading(page, "Validation email")
    press(page, "Save")
    press(page, "Yes, proceed")
    updated(page, world)


def with_setup(setup: Callable[[World], None], start: Step) -> Step:
    def run(page: Page, world: World) -> None:
        setup(world)
        start(page, world)

    return run


def saved_meanwhile(page: Page, world: World) -> None:
    """Someone else saves this connector while my edit page is open."""
    from connectors.services import connector_update

    connector = world.notes["connector"]
    connector_update(
        connector=connector,
        actor=None,
        fields={"comment": "Theirs"},
        expected_version=connector.version,
    )


EDIT_CASES = [
    Case(
        form="connectors:edit",
        mistake_name="name:empty",
        start=edit_of("To Contoso servers", "name"),
        mistake=do(type_and_enter, "Name", ""),
        message="Enter a name.",
        fix=do(type_and_enter, "Name", "To our servers"),
        done=updated,
    ),
    Case(
        form="connectors:edit",
        mistake_name="name:taken-by-an-inbound-connector",
        start=edit_of("To Contoso servers", "name"),
        mistake=steps(do(type_in, "Name", "From Tailspin"), do(press, "Save")),
        message="A connector named From Tailspin already exists.",
        fix=steps(do(type_in, "Name", "To Tailspin's neighbours"), do(press, "Save")),
        done=updated,
    ),
    Case(
        form="connectors:edit",
        mistake_name="name:someone-else-saved-meanwhile",
        start=edit_of("From Tailspin", "name"),
        meanwhile=saved_meanwhile,
        mistake=steps(do(type_in, "Description", "Mine"), do(press, "Save")),
        message="Someone else saved changes to this connector while you were editing it.",
        fix=do(press, "Save"),  # knowingly replaces theirs: the page now holds their version
        done=updated,
    ),
    Case(
        form="connectors:edit",
        mistake_name="use:these-domains-none-added",
        start=edit_of("To Contoso servers", "use"),
        mistake=steps(
            do(choose, "Only when email messages are sent to these domains"), do(press, "Next")
        ),
        message="Add at least one domain with the + button.",
        fix=steps(do(add_row, "Domains", "contoso.com", "Add domain"), do(press, "Next")),
        done=saved_after_validation_email,
    ),
    Case(
        form="connectors:edit",
        mistake_name="routing:smart-host-with-a-port",
        start=edit_of("To Contoso servers", "routing"),
        mistake=do(type_and_enter, "Smart hosts", "mail.contoso.com:2525"),
        message="Don't include a port",
        fix=steps(
            do(add_row, "Smart hosts", "mail2.contoso.com", "Add smart host"), do(press, "Next")
        ),
        done=saved_after_validation_email,
    ),
    Case(
        form="connectors:edit",
        mistake_name="security:san-ticked-but-empty",
        start=edit_of("To Contoso servers", "security"),
        mistake=steps(
            do(
                choose,
                "And the subject name or subject alternative name (SAN) matches this domain name:",
            ),
            do(press, "Next"),
        ),
        message="Enter the domain name the certificate must match.",
        fix=do(type_and_enter, "Certificate domain", "mail.contoso.com"),
        done=saved_after_validation_email,
    ),
    Case(
        form="connectors:edit",
        mistake_name="identity:certificate-domain-with-a-space",
        start=with_setup(our_server_inbound, edit_of("From our servers", "identity")),
        mistake=do(type_and_enter, "Certificate domain", "mail contoso.com"),
        message="Domain names can't contain spaces.",
        fix=do(type_and_enter, "Certificate domain", "smtp.contoso.com"),
        done=updated,
    ),
    Case(
        form="connectors:edit",
        mistake_name="inbound_security:ip-range-ticked-none-added",
        start=edit_of("From Tailspin", "inbound_security"),
        mistake=steps(
            do(
                choose,
                "Reject email messages if they aren't sent from within this IP address range",
            ),
            do(press, "Save"),
        ),
        message="Add at least one IP address with the + button.",
        fix=steps(
            do(add_row, "IP address range", "10.5.3.0/24", "Add IP address"), do(press, "Save")
        ),
        done=updated,
    ),
    Case(
        form="connectors:edit_validation",
        mistake_name="address-outside-the-connectors-domains",
        start=steps(
            edit_of("To Contoso servers", "routing"),
            do(press, "Next"),
            do(see_heading, "Validation email"),
        ),
        mistake=do(type_and_enter, "Email address", "someone@fabrikam.example"),
        message="This connector doesn't route mail to fabrikam.example",
        fix=steps(
            do(add_row, "Email address", "john@contoso.com", "Add email address"),
            do(press, "Save"),
            do(press, "Yes, proceed"),
        ),
        done=updated,
    ),
]

# --- Validate this connector, accepted domains, import, sign-in, explorer, training ------------


def validate_page(page: Page, world: World) -> None:
    connector = OutboundConnector.objects.get(tenant=world.tenant, name="To Contoso servers")
    page.goto(world.base + reverse("validation:validate", args=[connector.pk]))
    see_heading(page, "Validate this connector")


def remove_default_domain(page: Page, world: World) -> None:
    AcceptedDomain.objects.filter(tenant=world.tenant).update(is_default=False)
    AcceptedDomain.objects.filter(tenant=world.tenant, name="contoso.com").update(is_default=True)
    domain = AcceptedDomain.objects.get(tenant=world.tenant, name="contoso.com")
    page.goto(world.base + reverse("accepted_domain_remove", args=[domain.pk]))


def remove_another(page: Page, world: World) -> None:
    domain = AcceptedDomain.objects.get(tenant=world.tenant, name="sales.contoso.com")
    page.goto(world.base + reverse("accepted_domain_remove", args=[domain.pk]))
    press(page, "Remove")


def domain_details(name: str) -> Step:
    def start(page: Page, world: World) -> None:
        domain = AcceptedDomain.objects.get(tenant=world.tenant, name=name)
        page.goto(world.base + reverse("accepted_domain", args=[domain.pk]))
        see_heading(page, name)

    return start


def tick_subdomains_while_authoritative(page: Page, world: World) -> None:
    # Without JavaScript nothing greys the box, so a person can tick it.
    choose(page, "Authoritative")
    page.get_by_label("Accept mail for all subdomains").check()
    press(page, "Save")


def trainee(world: World) -> User:
    from training.scenarios import get_scenario
    from training.services import class_create

    trainer = User.objects.create_user("trainer@matrix.test", is_trainer=True)
    scenario = get_scenario("eop-in-front")
    assert scenario is not None
    training_class, _credentials = class_create(
        trainer=trainer, name="Matrix class", scenario=scenario, trainees=1
    )
    seat = Seat.objects.get(training_class=training_class, number=1)
    world.tenant = seat.tenant
    return seat.trainee


def trainer(world: World) -> User:
    return User.objects.create_user("trainer@matrix.test", is_trainer=True)


def answer_box(page: Page) -> Any:
    return page.locator(".training-answer input[type=text]").first


def answer_with(text: str) -> Step:
    def run(page: Page, world: World) -> None:
        answer_box(page).fill(text)
        answer_box(page).press("Enter")

    return run


def answered(page: Page, world: World) -> None:
    see_text(page, "contoso-com.mail.protection.outlook.com")
    assert Answer.objects.filter(value="contoso-com.mail.protection.outlook.com").exists()


def traced_on_march_10(world: World) -> None:
    """A message the lab's Office 365 traced on a day a custom time range can find."""
    TracedMessage.objects.create(
        tenant=world.tenant,
        sender="sun@gmail.com",
        recipient="john@contoso.com",
        received_at=datetime(2025, 3, 10, 12, tzinfo=UTC),
        status=TraceStatus.DELIVERED,
    )


OTHER_CASES = [
    Case(
        form="validation:validate",
        mistake_name="address-outside-the-connectors-domains",
        start=validate_page,
        mistake=do(type_and_enter, "Email address", "someone@fabrikam.example"),
        message="This connector doesn't route mail to fabrikam.example",
        fix=steps(do(type_and_enter, "Email address", "john@contoso.com")),
        done=lambda page, world: see_row_added(page, "john@contoso.com"),
    ),
    Case(
        form="validation:validate",
        mistake_name="validate-with-no-address",
        start=validate_page,
        mistake=do(press, "Validate"),
        message="Add at least one email address.",
        fix=do(type_and_enter, "Email address", "john@contoso.com"),
        done=lambda page, world: see_row_added(page, "john@contoso.com"),
    ),
    Case(
        form="accepted_domain_add",
        mistake_name="two-dots-together",
        start=goto("/mail-flow/accepted-domains/add/"),
        mistake=do(type_and_enter, "Domain name", "contoso..net"),
        message="Domain names can't contain empty labels",
        fix=do(type_and_enter, "Domain name", "contoso.net"),
        done=lambda page, world: see_text(page, "contoso.net was added as an accepted domain."),
    ),
    Case(
        form="accepted_domain_add",
        mistake_name="already-accepted",
        start=goto("/mail-flow/accepted-domains/add/"),
        mistake=do(type_and_enter, "Domain name", "Contoso.com"),
        message="already",
        fix=do(type_and_enter, "Domain name", "contoso.org"),
        done=lambda page, world: see_text(page, "contoso.org was added as an accepted domain."),
    ),
    Case(
        form="accepted_domain",
        mistake_name="subdomains-for-an-authoritative-domain",
        start=domain_details("sales.contoso.com"),
        mistake=tick_subdomains_while_authoritative,
        message="Subdomains can only be accepted for an Internal relay domain.",
        fix=steps(do(choose, "Internal relay"), do(press, "Save")),
        done=lambda page, world: see_text(page, "The accepted domain is updated successfully"),
        js=False,
        why_one_mode="with JavaScript the box is greyed until Internal relay is chosen",
    ),
    Case(
        form="accepted_domain_remove",
        mistake_name="the-default-domain",
        start=remove_default_domain,
        mistake=do(press, "Remove"),
        message="Make another domain the default before removing this one.",
        fix=remove_another,
        done=lambda page, world: see_text(page, "sales.contoso.com was removed."),
    ),
    Case(
        form="connectors:import",
        mistake_name="not-json",
        start=goto("/mail-flow/connectors/import/"),
        mistake=steps(
            do(type_in, "Outbound connectors (Get-OutboundConnector)", "{not json"),
            do(press, "Preview"),
        ),
        message="Nothing was imported.",
        fix=steps(
            do(
                type_in,
                "Outbound connectors (Get-OutboundConnector)",
                '{"Name": "Imported", "ConnectorType": "Partner", "RecipientDomains": ["fourthcoffee.com"], "UseMXRecord": true}',
            ),
            do(press, "Preview"),
        ),
        done=lambda page, world: see_text(page, "Importing will make these changes"),
    ),
    Case(
        form="connectors:import",
        mistake_name="one-connector-refused-among-valid-ones",
        start=goto("/mail-flow/connectors/import/"),
        mistake=steps(
            do(
                type_in,
                "Outbound connectors (Get-OutboundConnector)",
                '[{"Name": "With a port", "ConnectorType": "Partner", "RecipientDomains": '
                '["fourthcoffee.com"], "UseMXRecord": false, "SmartHosts": ["mail.fourthcoffee.com:25"]}, '
                '{"Name": "Imported", "ConnectorType": "Partner", "RecipientDomains": '
                '["fourthcoffee.com"], "UseMXRecord": true}]',
            ),
            do(press, "Preview"),
        ),
        message="These items are refused",
        fix=do(press, "Import the rest, without the 1 refused"),
        done=lambda page, world: see_text(
            page, "Import complete: 1 connector created, 1 refused item skipped."
        ),
    ),
    Case(
        form="signin",
        mistake_name="wrong-password",
        start=goto("/signin/"),
        mistake=steps(
            do(type_in, "Email address", "admin@contoso.com"),
            do(type_and_enter, "Password", "not the password"),
        ),
        message="Please enter a correct email and password.",
        fix=do(type_and_enter, "Password", "correct horse battery staple"),
        done=lambda page, world: see_heading(page, "Connectors"),
        user=lambda world: None,  # nobody is signed in yet
    ),
    Case(
        form="explorer",
        mistake_name="not-an-address",
        start=goto("/mail-flow/explorer/"),
        mistake=steps(do(type_in, "From", "bob"), do(type_and_enter, "To", "john@contoso.com")),
        message="An email address needs an @, as in admin@contoso.com.",
        fix=do(type_and_enter, "From", "bob@contoso.com"),
        done=lambda page, world: expect(page.locator("#path-summary")).to_be_visible(),
    ),
    Case(
        form="lab:trace",
        mistake_name="end-date-before-start-date",
        start=with_setup(traced_on_march_10, goto("/lab/trace/")),
        mistake=steps(
            do(choose, "Custom time range"),
            do(type_in, "Start date (UTC)", "2025-03-10"),
            do(type_in, "End date (UTC)", "2025-03-01"),
            do(press, "Search"),
        ),
        message="The end date can't be before the start date.",
        fix=steps(do(type_in, "End date (UTC)", "2025-03-11"), do(press, "Search")),
        done=lambda page, world: see_text(page, "john@contoso.com"),
    ),
    Case(
        form="training:class_new",
        mistake_name="no-trainees",
        start=goto("/training/new/"),
        mistake=steps(
            do(type_in, "Class name", "Tuesday"),
            lambda page, world: page.get_by_label("EOP in front of your own servers").check(),
            do(type_and_enter, "Number of trainees", "0"),
        ),
        message="Ensure this value is greater than or equal to 1.",
        fix=do(type_and_enter, "Number of trainees", "2"),
        done=lambda page, world: see_heading(page, "Tuesday is ready"),
        user=trainer,
    ),
    Case(
        form="training:answer",
        mistake_name="empty-answer",
        start=goto("/mail-flow/connectors/"),
        mistake=answer_with(""),
        message="Enter an answer.",
        fix=answer_with("contoso-com.mail.protection.outlook.com"),
        done=answered,
        user=trainee,
    ),
]

CASES: list[Case] = [*WIZARD_CASES, *REVIEW_CASES, *EDIT_CASES, *OTHER_CASES]
