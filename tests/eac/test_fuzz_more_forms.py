"""More of the console's forms under hostile and random values, by the rule of
tests/eac/test_fuzz_forms.py (no answer is a server error; whatever was saved passes full_clean):
the New wizard's inbound steps and its Validation email step, the details panel's edit pages
(with stale, junk and forged `opened` tokens: the version in it is the optimistic lock), Turn on /
Turn off and Delete, the Classic "New connector" window with its + / pencil / − lists, the
Classic pages, validation addresses, accepted domain edit and remove, organization switching, the
Lab mailbox, numbers in URLs, and the training forms.

Values are drawn from the hostile ones, hypothesis's text and a few plausible ones (real domains,
IP ranges, addresses), and radios and buttons mostly from their own values, so that answers get
past their forms. A step or page that accepts its answers is carried on to Create or Save at
once, so a value that passes a form but not its model is caught where it would be written.
Validate queues its run on kombu's in-memory broker: no connection leaves the process."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import given
from hypothesis import strategies as st

from connectors.classic import wizard as classic
from connectors.endpoints import ConnectorType
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.selectors import SORT_KEYS
from connectors.services import AnyConnector, connector_settings
from connectors.wizard import steps as wizard
from connectors.wizard.edit_views import OPENED_SALT
from eac import services as eac_services
from eac.formfields import LIST_ACTION
from eac.models import AcceptedDomain, Tenant, User
from tests.conftest import PASSWORD, client_for, make_inbound, make_outbound
from tests.eac.test_fuzz_forms import FUZZ, HOSTILE, VALUE, answered, everything_saved_is_valid
from training.models import Answer, Seat, TrainingClass
from training.scenarios import all_scenarios, get_scenario
from training.services import class_create

pytestmark = pytest.mark.django_db

PLAUSIBLE = [
    "contoso.com",
    "Contoso.COM.",
    "*.contoso.com",
    "sales.contoso.com",
    "mail.contoso.com",
    "contosobank.com",
    "bücher.example",
    "xn--bcher-kva.example",
    "203.0.113.10",
    "203.0.113.0/24",
    "203.0.113.10/32",
    "0.0.0.0/0",
    "10.0.0.0/8",
    "2001:db8::/32",
    "::1",
    "192.168.1.300",
    "john@contoso.com",
    "John@Contoso.com",
    "john@sales.contoso.com",
    "john@fabrikam.com",
    "Connector 1",
    "0",
    "1",
    "²",
]
FIELD = st.one_of(VALUE, st.sampled_from(PLAUSIBLE))
LIST = st.lists(FIELD, max_size=3)
Fields = dict[str, st.SearchStrategy[Any]]


def choice(*valid: str) -> st.SearchStrategy[str]:
    """A radio, a select or a button: mostly one of its own values, else anything."""
    return st.one_of(st.sampled_from(valid), VALUE)


BOX = choice("on", "")  # a checkbox


@pytest.fixture(autouse=True)
def _in_memory_broker(broker_at: Callable[[str], None]) -> None:
    """Validate with an address that routes queues a run: on kombu's in-process transport."""
    broker_at("memory://")


def all_saved_valid(checked: dict[int, uuid.UUID]) -> None:
    """everything_saved_is_valid in every tenant (training makes some) whose configuration
    changed since it was `checked` (its configuration_stamp is renewed by every write of its
    connectors and accepted domains, docs/architecture.md), and training's rows."""
    for tenant in Tenant.objects.all():
        if checked.get(tenant.pk) == tenant.configuration_stamp:
            continue
        tenant.full_clean(validate_unique=False, validate_constraints=False)
        everything_saved_is_valid(tenant)
        checked[tenant.pk] = tenant.configuration_stamp
    for model in (TrainingClass, Seat, Answer):
        for row in model.objects.all():
            row.full_clean(validate_unique=False, validate_constraints=False)


def fuzz(
    send: Callable[[dict[str, Any]], Any],
    fields: Fields,
    *,
    valid: dict[str, Any] | None = None,
    optional: Fields | None = None,
    steady: Sequence[str] = (),
) -> None:
    """Each hostile value in every field at once (but the `steady` ones, which `send` fills in
    as the page would) and, where the form has `valid` answers, in each box or list alone, the
    others valid; then hypothesis's mixes, valid answers among them. After each, no server
    error and nothing invalid saved."""

    checked: dict[int, uuid.UUID] = {}

    def check(data: dict[str, Any]) -> None:
        answered(send(data))
        all_saved_valid(checked)

    valid = valid or {}
    typed = [name for name in valid if fields.get(name) is FIELD or fields.get(name) is LIST]
    for hostile in HOSTILE:
        check({name: hostile for name in fields if name not in steady})
        for name in typed:
            check(valid | {name: hostile})
    mixed = {
        name: st.one_of(st.just(valid[name]), values) if name in valid else values
        for name, values in fields.items()
    }
    given(data=st.fixed_dictionaries(mixed, optional=optional or {}))(FUZZ(check))()


def value_list(name: str) -> Fields:
    """A New EAC + list: the rows added, and what is typed in its box."""
    return {name: LIST, f"{name}_new": FIELD}


def list_buttons(*names: str) -> Fields:
    """The New EAC lists' + and delete icons (present in a post only when one was clicked)."""
    verbs = [f"add:{n}" for n in names] + [f"remove:{n}:{i}" for n in names for i in ("0", "²")]
    return {LIST_ACTION: choice(*verbs)}


def classic_list(name: str) -> Fields:
    """A Classic list: its rows, the chosen row, and its dialog's box."""
    return {name: LIST, f"{name}_selected": choice("0", "1", "-1", "²"), f"{name}_new": FIELD}


def classic_buttons(*names: str) -> Fields:
    """The Classic lists' + / pencil / − and their dialogs' ok and cancel."""
    verbs = ["open-add", "open-edit", "remove-selected", "ok", "cancel"]
    actions = [f"{verb}:{n}" for verb in verbs for n in names]
    actions += [f"ok:{n}:{i}" for n in names for i in ("0", "1", "-1", "²")]
    return {LIST_ACTION: choice(*actions)}


STEP_FIELDS: dict[str, Fields] = {
    "scenario": {
        "source": choice("your_org", "partner", "office365"),
        "target": choice("office365", "your_org", "partner"),
    },
    "name": {"name": FIELD, "description": FIELD, "turn_on": BOX, "retain_headers": BOX},
    "use": {
        "use": choice("all_accepted_domains", "transport_rule", "domains"),
        **value_list("recipient_domains"),
    },
    "routing": {"route": choice("mx", "smart_hosts"), **value_list("smart_hosts")},
    "security": {
        "tls": BOX,
        "certificate": choice("any", "trusted_ca"),
        "match_domain": BOX,
        "tls_domain": FIELD,
    },
    "identity": {
        "identify": choice("certificate", "domains", "ip"),
        "certificate_domain": FIELD,
        **value_list("sender_domains"),
        **value_list("sender_ips"),
    },
    "inbound_security": {
        "require_tls": BOX,
        "restrict_to_certificate": BOX,
        "certificate_domain": FIELD,
        "restrict_to_ips": BOX,
        **value_list("restricted_ips"),
    },
    "validation": {"recipients": LIST, "new_recipient": FIELD},
}
STEP_LISTS = {
    "use": ["recipient_domains"],
    "routing": ["smart_hosts"],
    "identity": ["sender_domains", "sender_ips"],
    "inbound_security": ["restricted_ips"],
}

NAME = "<name>"  # in answers: a connector name nothing else uses


def named(data: dict[str, Any]) -> dict[str, Any]:
    return {k: f"Fuzz {uuid.uuid4().hex[:12]}" if v == NAME else v for k, v in data.items()}


# Answers each step takes, richer than a walk's: hostile values go into one field at a time of
# these, so that a value is looked at by its own rule, not refused because of its neighbours.
VALID: dict[str, dict[str, Any]] = {
    "name": {"name": NAME, "description": "Fuzzed", "turn_on": "on", "retain_headers": "on"},
    "use": {
        "use": "domains",
        "recipient_domains": ["contoso.com"],
        "recipient_domains_new": "*.contoso.com",
    },
    "routing": {
        "route": "smart_hosts",
        "smart_hosts": ["mail.contoso.com"],
        "smart_hosts_new": "203.0.113.25",
    },
    "security": {
        "tls": "on",
        "certificate": "trusted_ca",
        "match_domain": "on",
        "tls_domain": "mail.contoso.com",
    },
    "identity": {"identify": "ip", "sender_ips": ["203.0.113.0/24"], "sender_ips_new": "10.1.2.3"},
    "inbound_security": {
        "require_tls": "on",
        "restrict_to_certificate": "on",
        "certificate_domain": "contosobank.com",
        "restrict_to_ips": "on",
        "restricted_ips": ["203.0.113.0/24"],
        "restricted_ips_new": "198.51.100.7",
    },
    "validation": {"recipients": ["john@contoso.com"], "new_recipient": "jane@contoso.com"},
}


# --- Drafts: walked to the page fuzzed, with every answer before and after it ---------------------

Walk = list[tuple[str, dict[str, Any]]]


class Drafts:
    """A draft of one scenario with its pages answered; a new one once this one is spent (its
    connector saved) or no longer complete (the fuzz chose another scenario)."""

    def __init__(
        self,
        client: Client,
        start: str,
        page: str,
        walk: Walk,
        complete: Callable[[ConnectorDraft], bool],
    ) -> None:
        self.client, self.start, self.page, self.walk = client, start, page, walk
        self.complete = complete
        self.draft = self._walked()

    def url(self, key: str) -> str:
        return reverse(self.page, args=[self.draft.pk, key])

    def current(self) -> ConnectorDraft:
        self.draft.refresh_from_db()
        if self.draft.created_connector_id is not None or not self.complete(self.draft):
            self.draft = self._walked()
        return self.draft

    def _walked(self) -> ConnectorDraft:
        started = self.client.post(reverse(self.start))
        self.draft = ConnectorDraft.objects.get(pk=resolve(started["Location"]).kwargs["draft_id"])
        for key, data in self.walk:
            response = self.client.post(self.url(key), {"action": "next", **named(data)})
            assert response.status_code == 302, (key, response.content.decode()[:2000])
        self.draft.refresh_from_db()
        return self.draft


def accepted(response: Any, data: dict[str, Any]) -> bool:
    """Whether a page took its answers and moved on (not Back, Cancel or a refusal)."""
    return response.status_code == 302 and data.get("action") not in ("back", "cancel")


# --- The New EAC wizard: the inbound steps, and Validation email ------------------------------------

NEW_WALKS: dict[str, Walk] = {
    "your_org": [
        ("scenario", {"source": "your_org"}),
        ("name", {"name": NAME, "turn_on": "on", "retain_headers": "on"}),
        ("identity", {"identify": "ip", "sender_ips": ["203.0.113.0/24"]}),
    ],
    "partner": [
        ("scenario", {"source": "partner"}),
        ("name", {"name": NAME, "turn_on": "on"}),
        ("identity", {"identify": "domains", "sender_domains": ["contosobank.com"]}),
        ("inbound_security", {"require_tls": "on"}),
    ],
    "office365": [
        ("scenario", {"source": "office365", "target": "your_org"}),
        ("name", {"name": NAME, "turn_on": "on", "retain_headers": "on"}),
        ("use", {"use": "domains", "recipient_domains": ["contoso.com"]}),
        ("routing", {"smart_hosts": ["mail.contoso.com"]}),
        ("security", {"tls": "on", "certificate": "trusted_ca"}),
        ("validation", {"action": "proceed"}),
    ],
}
NEW_CASES = [
    ("your_org", "scenario"),
    ("your_org", "name"),
    ("your_org", "identity"),
    ("partner", "scenario"),
    ("partner", "identity"),
    ("partner", "inbound_security"),
    ("office365", "validation"),
]


NEW_VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("your_org", "scenario"): {"source": "your_org", "target": "office365", "action": "next"},
    ("partner", "scenario"): {"source": "partner", "target": "office365", "action": "next"},
    ("partner", "identity"): {
        "identify": "domains",
        "sender_domains": ["contosobank.com"],
        "sender_domains_new": "*.contosobank.com",
        "action": "next",
    },
    ("office365", "validation"): VALID["validation"] | {"action": "proceed"},
}


def new_complete(draft: ConnectorDraft) -> bool:
    return wizard.first_incomplete(draft).key == "review"


@pytest.mark.parametrize(("scenario", "key"), NEW_CASES)
def test_new_wizard_inbound_and_validation_steps_answer_any_value(
    admin_client_: Client, contoso: Tenant, scenario: str, key: str
) -> None:
    drafts = Drafts(
        admin_client_,
        "connectors:wizard_start",
        "connectors:wizard_step",
        NEW_WALKS[scenario],
        new_complete,
    )

    def send(data: dict[str, Any]) -> Any:
        drafts.current()
        response = admin_client_.post(drafts.url(key), named(data))
        if accepted(response, data):  # on to Create, with the answers just taken
            answered(admin_client_.post(drafts.url("review"), {"action": "create"}))
        return response

    if key == "validation":
        actions = choice("add", "remove-0", "remove-²", "validate", "next", "proceed", "back")
    else:
        actions = choice("next", "back")
    valid = NEW_VALID.get((scenario, key)) or VALID[key] | {"action": "next"}
    lists = STEP_LISTS.get(key)
    fuzz(
        send,
        STEP_FIELDS[key] | {"action": actions},
        valid=valid,
        optional=list_buttons(*lists) if lists else None,
    )


# --- The details panel: Edit …, Turn on / Turn off, Delete --------------------------------------


def _partner_outbound(tenant: Tenant) -> AnyConnector:
    return make_outbound(
        tenant,
        "To Contosobank",
        connector_type=ConnectorType.PARTNER,
        use_mx_record=True,
        smart_hosts=[],
        recipient_domains=["contosobank.com"],
    )


def _on_premises_inbound(tenant: Tenant) -> AnyConnector:
    return make_inbound(
        tenant,
        "From Contoso servers",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.0/24"],
    )


EDITED: dict[str, Callable[[Tenant], AnyConnector]] = {
    "outbound, your server": lambda t: OutboundConnector.objects.get(
        tenant=t, name="To Contoso servers"
    ),
    "outbound, partner": _partner_outbound,
    "inbound, partner": lambda t: InboundConnector.objects.get(tenant=t, name="From Tailspin"),
    "inbound, your server": _on_premises_inbound,
}
EDIT_CASES = [  # every page once, and those whose options the scenario changes once more
    *[("outbound, your server", key) for key in ("name", "use", "routing", "security")],
    ("outbound, partner", "routing"),
    *[("inbound, partner", key) for key in ("name", "identity", "inbound_security")],
    ("inbound, your server", "identity"),
]


@dataclass(frozen=True)
class Opened:
    """An `opened` token as the edit page signs it, with this version in it (None: the
    connector's current one). Only the server can sign; a forged version is its own bug."""

    version: object = None


OPENED = st.one_of(
    st.just(Opened()),
    VALUE,
    st.builds(
        Opened,
        st.one_of(
            st.integers(),
            st.sampled_from([2**63, 2**70, -1, 0]),
            st.text(max_size=5),
            st.floats(),
            st.lists(st.integers(), max_size=2),
        ),
    ),
)


def opened_token(connector: AnyConnector, opened: object) -> object:
    if not isinstance(opened, Opened):
        return opened
    connector.refresh_from_db()
    version = connector.version if opened.version is None else opened.version
    signed = {
        "id": str(connector.pk),
        "version": version,
        "settings": connector_settings(connector),
    }
    return signing.dumps(signed, salt=OPENED_SALT)


@pytest.mark.parametrize(("kind", "key"), EDIT_CASES)
def test_edit_panels_answer_any_value(
    admin_client_: Client, contoso: Tenant, kind: str, key: str
) -> None:
    connector = EDITED[kind](contoso)
    url = reverse("connectors:edit", args=[connector.direction, connector.pk, key])

    def send(data: dict[str, Any]) -> Any:
        token = opened_token(connector, data.get("opened", Opened()))
        response = admin_client_.post(url, named(data) | {"opened": token})
        if accepted(response, data) and "/validation/" in response["Location"]:
            # The edit validates first: "Yes, proceed" without a run saves it.
            answered(admin_client_.post(response["Location"], {"action": "proceed"}))
        return response

    lists = STEP_LISTS.get(key)
    fields = STEP_FIELDS[key] | {
        "opened": OPENED,
        "version": FIELD,
        "draft": st.one_of(VALUE, st.uuids().map(str)),
        "action": choice("save"),
    }
    fuzz(
        send,
        fields,
        valid=VALID[key] | {"action": "save"},
        optional=list_buttons(*lists) if lists else None,
        steady=["opened"],
    )


def test_an_edits_validation_email_answers_any_value(
    admin_client_: Client, contoso: Tenant
) -> None:
    connector = EDITED["outbound, your server"](contoso)
    edit_url = reverse("connectors:edit", args=["outbound", connector.pk, "routing"])
    pending: dict[str, str] = {}

    def validation_url() -> str:
        """The edit's "Validation email" page, opened again once a Save has used it."""
        draft_id = pending.get("draft")
        if draft_id is None or ConnectorDraft.objects.get(pk=draft_id).created_connector_id:
            routing = {"smart_hosts": ["mail.contoso.com", "mail2.contoso.com"], "action": "save"}
            opened = admin_client_.post(
                edit_url, routing | {"opened": opened_token(connector, Opened())}
            )
            assert opened.status_code == 302, opened.content.decode()[:2000]
            pending["url"] = opened["Location"]
            pending["draft"] = str(resolve(opened["Location"]).kwargs["draft_id"])
        return pending["url"]

    fields = STEP_FIELDS["validation"] | {
        "action": choice("add", "remove-0", "remove-²", "validate", "save", "proceed", "back")
    }
    valid = VALID["validation"] | {"action": "validate"}
    fuzz(lambda data: admin_client_.post(validation_url(), data), fields, valid=valid)


@pytest.mark.parametrize("page", ["connectors:set_status", "classic:connector_status"])
@pytest.mark.parametrize("direction", ["outbound", "inbound"])
def test_turn_on_and_off_answer_any_value(
    admin_client_: Client, contoso: Tenant, page: str, direction: str
) -> None:
    model = OutboundConnector if direction == "outbound" else InboundConnector
    connector = model.objects.filter(tenant=contoso).first()
    assert connector is not None
    url = reverse(page, args=[direction, connector.pk])
    fuzz(lambda data: admin_client_.post(url, data), {"status": choice("on", "off")})


def test_delete_answers_any_value(admin_client_: Client, contoso: Tenant) -> None:
    """The panel's Delete and the list's Delete of the ticked rows, each of new connectors."""
    chosen = st.one_of(
        st.sampled_from(["<outbound>", "<inbound>"]),
        VALUE,
        st.builds(
            "{}:{}".format,
            choice("outbound", "inbound"),
            st.one_of(VALUE, st.uuids().map(str)),
        ),
    )

    def send(data: dict[str, Any]) -> Any:
        doomed: dict[str, AnyConnector] = {
            "<outbound>": make_outbound(contoso, f"Doomed {uuid.uuid4()}"),
            "<inbound>": make_inbound(contoso, f"Doomed {uuid.uuid4()}"),
        }
        one = make_outbound(contoso, f"Doomed {uuid.uuid4()}")
        answered(admin_client_.post(reverse("connectors:delete", args=["outbound", one.pk]), data))
        rows = data.get("connector", [])
        rows = [rows] if isinstance(rows, str) else rows
        picked = [f"{doomed[r].direction}:{doomed[r].pk}" if r in doomed else r for r in rows]
        return admin_client_.post(
            reverse("connectors:delete_selected"), data | {"connector": picked}
        )

    fuzz(send, {"connector": st.lists(chosen, max_size=3), "action": VALUE})


# --- The Classic "New connector" window -----------------------------------------------------------

CLASSIC_WALKS: dict[str, Walk] = {
    "office365:your_org": [
        ("select", {"source": "office365", "target": "your_org"}),
        ("name", {"name": NAME, "turn_on": "on", "retain_headers": "on"}),
        ("use", {"use": "domains", "recipient_domains": ["contoso.com"]}),
        ("routing", {"smart_hosts": ["mail.contoso.com"]}),
        ("security", {"tls": "on", "certificate": "trusted_ca"}),
        ("confirm", {}),
    ],
    "office365:partner": [
        ("select", {"source": "office365", "target": "partner"}),
        ("name", {"name": NAME, "turn_on": "on"}),
        ("use", {"use": "transport_rule"}),
        ("routing", {"route": "mx"}),
        ("security", {"tls": "on", "certificate": "any"}),
        ("confirm", {}),
    ],
    "your_org:office365": [
        ("select", {"source": "your_org", "target": "office365"}),
        ("name", {"name": NAME, "turn_on": "on", "retain_headers": "on"}),
        ("identity", {"identify": "ip", "sender_ips": ["203.0.113.0/24"]}),
    ],
    "partner:office365": [
        ("select", {"source": "partner", "target": "office365"}),
        ("name", {"name": NAME, "turn_on": "on"}),
        ("partner_by", {"identify": "domains"}),
        ("partner_list", {"sender_domains": ["contosobank.com"]}),
        ("partner_security", {"require_tls": "on"}),
    ],
}
CLASSIC_ACTIONS = choice("next", "back", "cancel")
CLASSIC_PAGES: dict[str, tuple[Fields, Fields | None]] = {  # a page's fields, its list buttons
    "select": (
        {
            "source": choice("office365", "your_org", "partner", "internet"),
            "target": choice("your_org", "partner", "office365", "internet"),
            "action": choice("next", "refresh", "back", "cancel"),
        },
        None,
    ),
    "name": (STEP_FIELDS["name"] | {"action": CLASSIC_ACTIONS}, None),
    "use": (
        {
            "use": choice("transport_rule", "all_accepted_domains", "domains"),
            **classic_list("recipient_domains"),
            "action": CLASSIC_ACTIONS,
        },
        classic_buttons("recipient_domains"),
    ),
    "routing": (
        {
            "route": choice("mx", "smart_hosts"),
            **classic_list("smart_hosts"),
            "action": CLASSIC_ACTIONS,
        },
        classic_buttons("smart_hosts"),
    ),
    "security": (STEP_FIELDS["security"] | {"action": CLASSIC_ACTIONS}, None),
    "identity": (
        {
            "identify": choice("certificate", "ip"),
            "certificate_domain": FIELD,
            **classic_list("sender_ips"),
            "action": CLASSIC_ACTIONS,
        },
        classic_buttons("sender_ips"),
    ),
    "partner_by": ({"identify": choice("domains", "ip"), "action": CLASSIC_ACTIONS}, None),
    "partner_list": (
        {**classic_list("sender_domains"), **classic_list("sender_ips"), "action": CLASSIC_ACTIONS},
        classic_buttons("sender_domains", "sender_ips"),
    ),
    "partner_security": (
        {
            "require_tls": BOX,
            "restrict_to_certificate": BOX,
            "certificate_domain": FIELD,
            "restrict_to_ips": BOX,
            **classic_list("restricted_ips"),
            "action": CLASSIC_ACTIONS,
        },
        classic_buttons("restricted_ips"),
    ),
    "confirm": ({"action": choice("save", "next", "back", "cancel")}, None),
    "validate": (
        {
            **classic_list("recipients"),
            "action": choice("validate", "save", "stop", "revise", "back", "cancel"),
        },
        classic_buttons("recipients"),
    ),
}
CLASSIC_VALID: dict[str, dict[str, Any]] = {
    "name": VALID["name"],
    "use": {
        "use": "domains",
        "recipient_domains": ["contoso.com"],
        "recipient_domains_selected": "0",
    },
    "routing": {"route": "smart_hosts", "smart_hosts": ["mail.contoso.com"]},
    "security": VALID["security"],
    "identity": {"identify": "ip", "sender_ips": ["203.0.113.0/24"], "certificate_domain": ""},
    "partner_by": {"identify": "domains"},
    "partner_list": {"sender_domains": ["contosobank.com"], "sender_ips": ["203.0.113.0/24"]},
    "partner_security": {
        k: v for k, v in VALID["inbound_security"].items() if not k.endswith("_new")
    },
    "validate": {"recipients": ["john@contoso.com"], "action": "save"},
}
CLASSIC_VALID_IN: dict[tuple[str, str], dict[str, Any]] = {
    ("office365:your_org", "select"): {"source": "office365", "target": "your_org"},
    ("office365:your_org", "confirm"): {"action": "next"},
    ("your_org:office365", "confirm"): {"action": "save"},
    ("partner:office365", "confirm"): {"action": "save"},
}


def classic_valid(scenario: str, key: str) -> dict[str, Any]:
    return {"action": "next"} | (CLASSIC_VALID_IN.get((scenario, key)) or CLASSIC_VALID[key])


CLASSIC_CASES = [
    *[
        ("office365:your_org", page)
        for page in ("select", "name", "use", "routing", "security", "confirm", "validate")
    ],
    *[("office365:partner", page) for page in ("routing", "security")],
    *[("your_org:office365", page) for page in ("identity", "confirm")],
    *[
        ("partner:office365", page)
        for page in ("partner_by", "partner_list", "partner_security", "confirm")
    ],
]


def classic_complete(draft: ConnectorDraft) -> bool:
    return classic.reachable(draft, classic.PAGE_BY_KEY["confirm"])


def classic_save(client: Client, drafts: Drafts) -> Any:
    """Save, from the page the scenario saves on (outbound ones go through Confirm first)."""
    if classic.outbound(wizard.scenario_of(drafts.draft) or ("", "")):
        answered(client.post(drafts.url("confirm"), {"action": "next"}))
        return client.post(drafts.url("validate"), {"action": "save"})
    return client.post(drafts.url("confirm"), {"action": "save"})


@pytest.mark.parametrize(("scenario", "key"), CLASSIC_CASES)
def test_classic_new_connector_pages_answer_any_value(
    admin_client_: Client, contoso: Tenant, scenario: str, key: str
) -> None:
    drafts = Drafts(
        admin_client_,
        "classic_wizard:start",
        "classic_wizard:page",
        CLASSIC_WALKS[scenario],
        classic_complete,
    )

    def send(data: dict[str, Any]) -> Any:
        drafts.current()
        response = admin_client_.post(drafts.url(key), named(data))
        if accepted(response, data):
            answered(classic_save(admin_client_, drafts))
        return response

    fields, buttons = CLASSIC_PAGES[key]
    fuzz(send, fields, valid=classic_valid(scenario, key), optional=buttons)


@pytest.mark.parametrize(("direction", "key"), [("outbound", "use"), ("inbound", "partner_list")])
def test_the_classic_pencils_pages_answer_any_value(
    admin_client_: Client, contoso: Tenant, direction: str, key: str
) -> None:
    """The pencil: the same pages over a draft of a saved connector, saved by an update."""
    model = OutboundConnector if direction == "outbound" else InboundConnector
    connector = model.objects.filter(tenant=contoso).first()
    assert connector is not None
    pencil = reverse("classic_wizard:edit", args=[direction, connector.pk])
    opened: dict[str, str] = {}

    def url() -> str:
        draft = ConnectorDraft.objects.filter(pk=opened.get("draft", uuid.UUID(int=0))).first()
        if draft is None or draft.created_connector_id is not None:
            page = resolve(admin_client_.post(pencil)["Location"])
            opened["draft"] = str(page.kwargs["draft_id"])
        return reverse("classic_wizard:page", args=[opened["draft"], key])

    def send(data: dict[str, Any]) -> Any:
        response = admin_client_.post(url(), data)
        if accepted(response, data):
            save = "validate" if direction == "outbound" else "confirm"
            page = reverse("classic_wizard:page", args=[opened["draft"], save])
            answered(admin_client_.post(page, {"action": "save"}))
        return response

    fields, buttons = CLASSIC_PAGES[key]
    valid = {"action": "next"} | CLASSIC_VALID[key]
    fuzz(send, fields, valid=valid, optional=buttons)


# --- Pages of one form each -----------------------------------------------------------------------


def _sales(tenant: Tenant) -> AcceptedDomain:
    return AcceptedDomain.objects.get(tenant=tenant, name="sales.contoso.com")


def _outbound(tenant: Tenant) -> OutboundConnector:
    return OutboundConnector.objects.get(tenant=tenant, name="To Contoso servers")


HTMX = {"HX-Request": "true"}
DOMAIN_TYPE: Fields = {
    "domain_type": choice("Authoritative", "InternalRelay"),
    "match_subdomains": BOX,
}
RECIPIENTS: Fields = {
    "recipients": LIST,
    "new_recipient": FIELD,
    "action": choice("add", "remove-0", "remove-²", "validate"),
}
Send = Callable[[Client, Tenant, dict[str, Any]], Any]
FORMS: dict[str, tuple[Send, Fields]] = {  # with VALID_IN_FORMS, the answers each takes
    "accepted domain edit": (
        lambda c, t, d: c.post(reverse("accepted_domain", args=[_sales(t).pk]), d),
        DOMAIN_TYPE,
    ),
    "accepted domain edit (htmx)": (
        lambda c, t, d: c.post(reverse("accepted_domain", args=[_sales(t).pk]), d, headers=HTMX),
        DOMAIN_TYPE,
    ),
    "Classic accepted domain edit": (
        lambda c, t, d: c.post(reverse("classic:accepted_domain_edit", args=[_sales(t).pk]), d),
        DOMAIN_TYPE,
    ),
    "validate this connector": (
        lambda c, t, d: c.post(reverse("validation:validate", args=[_outbound(t).pk]), d),
        RECIPIENTS,
    ),
    "validate this connector (htmx)": (
        lambda c, t, d: c.post(
            reverse("validation:validate", args=[_outbound(t).pk]), d, headers=HTMX
        ),
        RECIPIENTS,
    ),
    "Classic connectors list": (
        lambda c, t, d: c.get(reverse("classic:connectors"), d),
        {
            "selected": st.one_of(
                VALUE,
                st.builds("{}:{}".format, choice("outbound", "inbound"), st.uuids().map(str)),
            ),
            "sort": choice(*SORT_KEYS),
            "desc": choice("1"),
        },
    ),
    "Classic connector selected": (
        lambda c, t, d: c.get(reverse("classic:connector", args=["outbound", _outbound(t).pk]), d),
        {"sort": choice(*SORT_KEYS), "desc": choice("1")},
    ),
    "organization switch": (
        lambda c, t, d: c.post(reverse("switch_tenant"), d),
        {"tenant": st.one_of(FIELD, st.integers().map(str))},
    ),
    "Classic organization switch": (
        lambda c, t, d: c.post(reverse("classic:switch_tenant"), d),
        {"tenant": st.one_of(FIELD, st.integers().map(str))},
    ),
    "Lab mailbox": (
        lambda c, t, d: c.get(reverse("lab:mailbox"), d),
        {"limit": FIELD, "selected": FIELD},
    ),
    "Lab mailbox (htmx table)": (
        lambda c, t, d: c.get(
            reverse("lab:mailbox"), d, headers=HTMX | {"HX-Target": "lab-messages"}
        ),
        {"limit": FIELD, "selected": FIELD},
    ),
}


VALID_IN_FORMS: dict[str, dict[str, Any]] = {
    "accepted domain edit": {"domain_type": "InternalRelay", "match_subdomains": "on"},
    "accepted domain edit (htmx)": {"domain_type": "InternalRelay", "match_subdomains": "on"},
    "Classic accepted domain edit": {"domain_type": "InternalRelay", "match_subdomains": "on"},
    "validate this connector": {
        "recipients": ["jane@contoso.com"],
        "new_recipient": "john@contoso.com",
        "action": "validate",
    },
    "validate this connector (htmx)": {
        "recipients": ["jane@contoso.com"],
        "new_recipient": "john@contoso.com",
        "action": "validate",
    },
}


@pytest.mark.parametrize("form", list(FORMS))
def test_forms_answer_any_value(admin_client_: Client, contoso: Tenant, form: str) -> None:
    send, fields = FORMS[form]
    fuzz(lambda data: send(admin_client_, contoso, data), fields, valid=VALID_IN_FORMS.get(form))


def test_accepted_domain_remove_answers_any_value(admin_client_: Client, contoso: Tenant) -> None:
    """Remove of a domain nothing uses, of one a connector uses, and of the default domain."""
    default = AcceptedDomain.objects.get(tenant=contoso, is_default=True)

    def spare() -> AcceptedDomain:
        name = f"d{uuid.uuid4().hex[:12]}.contoso.com"
        return eac_services.accepted_domain_add(tenant=contoso, actor=None, name=name)

    def send(data: dict[str, Any]) -> Any:
        unused, used = spare(), spare()
        make_outbound(contoso, f"To {used.name}", recipient_domains=[used.name])
        for domain in (unused, used):
            answered(admin_client_.post(reverse("accepted_domain_remove", args=[domain.pk]), data))
        return admin_client_.post(reverse("accepted_domain_remove", args=[default.pk]), data)

    fuzz(send, {"name": FIELD, "action": VALUE})


BIG_NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**30),
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**20]),
)


def test_numbers_in_urls_answer_any_value(admin_client_: Client, contoso: Tenant) -> None:
    names = [
        "accepted_domain",
        "accepted_domain_remove",
        "classic:accepted_domain",
        "classic:accepted_domain_edit",
        "lab:message",
    ]

    @FUZZ
    @given(number=BIG_NUMBERS)
    def check(number: int) -> None:
        for name in names:
            answered(admin_client_.get(reverse(name, args=[number])))
            answered(
                admin_client_.post(reverse(name, args=[number]), {"domain_type": "Authoritative"})
            )

    check()


# --- Training -----------------------------------------------------------------------------------


@pytest.fixture
def trainer(db: None) -> User:
    return User.objects.create_user("trainer@lab.test", PASSWORD, is_trainer=True)


@pytest.fixture
def training_class(trainer: User) -> TrainingClass:
    scenario = get_scenario("which-connector-wins")
    assert scenario is not None
    made, _ = class_create(trainer=trainer, name="Monday", scenario=scenario, trainees=2)
    return made


def test_a_new_class_answers_any_value(trainer: User) -> None:
    client = client_for(trainer)
    fields = {
        "token": VALUE,  # hidden: not typed
        "name": FIELD,
        "scenario": choice(*(s.id for s in all_scenarios())),
        "trainees": choice("1", "2", " 2 ", "0", "51", "-1", "1.5", "1e1", "²"),
    }
    valid = {"token": "", "name": "Monday", "scenario": "which-connector-wins", "trainees": "1"}
    fuzz(lambda data: client.post(reverse("training:class_new"), data), fields, valid=valid)


def test_the_trainers_class_forms_answer_any_value(
    trainer: User, training_class: TrainingClass
) -> None:
    client = client_for(trainer)
    emails = [seat.trainee.email for seat in training_class.seats.select_related("trainee")]
    pk = training_class.pk

    def send(data: dict[str, Any]) -> Any:
        answered(client.post(reverse("training:seat_review", args=[pk, 1]), data))
        answered(client.get(reverse("training:panel"), data, headers=HTMX))
        return client.post(reverse("training:credentials_csv", args=[pk]), data)

    fields = {
        "email": st.lists(st.one_of(FIELD, st.sampled_from(emails)), max_size=3),
        "password": LIST,
        "seat": FIELD,
        "done": FIELD,
    }
    fuzz(send, fields)

    @FUZZ
    @given(number=BIG_NUMBERS)
    def numbers(number: int) -> None:
        answered(client.get(reverse("training:class", args=[number])))
        for name in ("seat_reset", "seat_review", "seat_password"):
            answered(client.post(reverse(f"training:{name}", args=[pk, number])))

    numbers()


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_trainees_answers_answer_any_value(training_class: TrainingClass, htmx: bool) -> None:
    seat = training_class.seats.select_related("trainee").get(number=1)
    client = client_for(seat.trainee)
    scenario = get_scenario(training_class.scenario)
    assert scenario is not None
    task = st.one_of(
        st.sampled_from([t.id for t in scenario.tasks]),
        st.from_regex(r"[-a-zA-Z0-9_]{1,70}", fullmatch=True),
    )

    def send(data: dict[str, Any]) -> Any:
        url = reverse("training:answer", args=[data.get("task") or "fabrikam"])
        answered(client.get(reverse("training:panel"), data, headers=HTMX if htmx else {}))
        return client.post(url, data, headers=HTMX if htmx else {})

    fields = {
        "task": task,
        "value": FIELD,
        "next": st.one_of(FIELD, st.sampled_from(["/lab/mailbox/", "//evil.example/"])),
        "seat": FIELD,
        "done": FIELD,
    }
    valid = {"value": "Connector 1", "next": "/lab/mailbox/"}
    fuzz(send, fields, valid=valid, steady=["task"])


# --- What the fuzz found --------------------------------------------------------------------------


def test_validate_refuses_a_listed_address_that_never_came_through_the_box(
    admin_client_: Client, contoso: Tenant
) -> None:
    """The listed addresses are posted back as hidden inputs; one that isn't an address (a page
    tampered with, or kept from before the connector's domains changed) made Validate a 500 in
    the wizard's Validation email step and in an edit's. It is refused beside the list."""
    walk = NEW_WALKS["office365"][:-1]  # up to Validation email
    drafts = Drafts(
        admin_client_, "connectors:wizard_start", "connectors:wizard_step", walk, new_complete
    )
    connector = EDITED["outbound, your server"](contoso)
    edit = admin_client_.post(
        reverse("connectors:edit", args=["outbound", connector.pk, "routing"]),
        VALID["routing"] | {"action": "save", "opened": opened_token(connector, Opened())},
    )
    for url in (drafts.url("validation"), edit["Location"]):
        for listed in ("a\x00b", "john@fabrikam.com"):
            refused = admin_client_.post(url, {"action": "validate", "recipients": [listed]})
            assert refused.status_code == 422
            assert 'id="id_new_recipient_error"' in refused.content.decode()


def test_only_addresses_are_kept_from_the_validation_list(
    admin_client_: Client, contoso: Tenant
) -> None:
    """What the list's hidden inputs post back was kept on the draft as it came: a NUL in it made
    every later save of the draft a 500 on PostgreSQL. Only addresses are kept now."""
    new = Drafts(
        admin_client_,
        "connectors:wizard_start",
        "connectors:wizard_step",
        NEW_WALKS["office365"][:-1],
        new_complete,
    )
    old = Drafts(
        admin_client_,
        "classic_wizard:start",
        "classic_wizard:page",
        CLASSIC_WALKS["office365:your_org"],
        classic_complete,
    )
    listed = {"recipients": ["john@contoso.com", "a\x00b", "<script>"]}
    admin_client_.post(new.url("validation"), listed | {"action": "add"})
    admin_client_.post(old.url("validate"), listed | {LIST_ACTION: "cancel:recipients"})
    for drafts in (new, old):
        drafts.draft.refresh_from_db()
        assert drafts.draft.data["validation"] == {"recipients": ["john@contoso.com"]}


def test_an_answer_with_a_control_character_is_refused(training_class: TrainingClass) -> None:
    """Saved as it came before, which PostgreSQL refuses for a NUL (a 500)."""
    seat = training_class.seats.select_related("trainee").get(number=1)
    client = client_for(seat.trainee)
    url = reverse("training:answer", args=["fabrikam"])
    refused = client.post(url, {"value": "Connector\x001"}, headers=HTMX)
    assert "An answer can&#x27;t contain control characters." in refused.content.decode()
    assert not Answer.objects.exists()


def test_the_credentials_file_ignores_text_that_isnt_a_trainees_email(
    trainer: User, training_class: TrainingClass
) -> None:
    """The posted emails went into the query, which PostgreSQL refuses for a NUL (a 500 there)."""
    seat = training_class.seats.select_related("trainee").get(number=1)
    posted = {"email": ["a\x00b", seat.trainee.email], "password": ["x", "pw1"]}
    response = client_for(trainer).post(
        reverse("training:credentials_csv", args=[training_class.pk]), posted
    )
    assert response.status_code == 200
    rows = response.content.decode().splitlines()
    assert len(rows) == 2
    assert rows[1].startswith(f"Trainee 1,{seat.trainee.email},pw1,")
