"""The checks behind a scenario's tasks, one function per `kind`. Each asks the engines the console
itself uses — the explorer for "mail flows", the selection engine for "which connector", the
validation runs for "it validates", the saved connectors and domains for the rest — so a task
is ticked exactly when the console would show the trainee the same thing. Nothing is stored:
the sandbox is read each time.

A check gets the task's parameters and a `CheckContext`, and returns an `Outcome`: whether the
task is done, and one line saying what it found (shown beside the task).

Two kinds read what really happened rather than what the engines predict: `mail_delivered` and
`mail_failed` read the message trace the lab's Office 365 front door writes (lab.office), so a
task can ask for a message that really went through a connector, not only one the explorer says
would (docs/training.md, "Tasks checked from real mail flow").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from connectors.interchange.powershell import mx_target
from connectors.mailflow import explorer
from connectors.mailflow.facts import TenantMailFlow
from connectors.mailflow.routing import AcceptedDomainFact, connector_carries
from connectors.models import InboundConnector, OutboundConnector
from eac.models import SelectionOrder, Tenant
from eac.values import InvalidValue, parse_domain_pattern, parse_validation_recipient
from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus
from validation.models import RunStatus, ValidationRun

NO_CONNECTOR = "(no connector)"  # the answer for "Office 365 uses no connector"


@dataclass(frozen=True)
class Task:
    """One task of a training scenario: what the trainee reads, and the check that ticks it."""

    id: str
    title: str
    hint: str
    kind: str  # a key of TASK_CHECKS
    params: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class GivenAnswer:
    value: str
    # Judged when given, against the sandbox as it was then: turning a connector off later
    # doesn't make "Connector 2 carries mail for contoso.com" a wrong answer to have given.
    correct: bool


@dataclass(frozen=True)
class CheckContext:
    """What the checks read of one sandbox, loaded before they run (training.selectors loads a
    whole class in a fixed number of queries): the checks themselves never query."""

    tenant: Tenant
    since: datetime  # when the sandbox was built or reset: the tasks were opened then
    answers: Mapping[str, GivenAnswer]  # task id → the trainee's latest answer
    flow: TenantMailFlow  # the sandbox's configuration
    runs: Sequence[ValidationRun]  # its finished runs since `since`, with their tasks
    # Its traced messages since `since` between the addresses the scenario's trace tasks name,
    # newest first, with their events (none loaded for a scenario without such tasks).
    traced: Sequence[TracedMessage] = ()


@dataclass(frozen=True)
class Outcome:
    done: bool
    detail: str


Check = Callable[[Task, CheckContext], Outcome]


# --- which saved connectors match a task's description ------------------------------------------

OUTBOUND_FILTERS = frozenset(
    {
        "name",
        "connector_type",
        "recipient_domain",
        "smart_host",
        "use_mx_record",
        "tls_settings",
        "tls_domain",
        "enabled",
    }
)
INBOUND_FILTERS = frozenset(
    {
        "name",
        "connector_type",
        "sender_domain",
        "require_tls",
        "certificate_name",
        "restrict_domains_to_certificate",
        "enabled",
    }
)


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().lower().rstrip(".") == (b or "").strip().lower().rstrip(".")


def _one_of(value: str | None, wanted: str | list[str]) -> bool:
    options = wanted if isinstance(wanted, list) else [wanted]
    return any(_same(value, option) for option in options)


def _outbound_matches(
    c: OutboundConnector, p: dict[str, Any], accepted: list[AcceptedDomainFact]
) -> bool:
    tests: dict[str, Callable[[Any], bool]] = {
        "name": lambda v: _same(c.name, v),
        "connector_type": lambda v: c.connector_type == v,
        "recipient_domain": lambda v: connector_carries(
            v,
            recipient_domains=c.recipient_domains,
            all_accepted_domains=c.all_accepted_domains,
            is_transport_rule_scoped=False,
            accepted=accepted,
            route_all_messages_via_on_premises=c.route_all_messages_via_on_premises,
        ),
        "smart_host": lambda v: any(_same(h, v) for h in c.smart_hosts),
        "use_mx_record": lambda v: c.use_mx_record is v,
        "tls_settings": lambda v: _one_of(c.tls_settings, v),
        "tls_domain": lambda v: _one_of(c.tls_domain, v),
        "enabled": lambda v: c.enabled is v,
    }
    return all(tests[key](p[key]) for key in tests if key in p) and ("enabled" in p or c.enabled)


def _inbound_matches(c: InboundConnector, p: dict[str, Any]) -> bool:
    tests: dict[str, Callable[[Any], bool]] = {
        "name": lambda v: _same(c.name, v),
        "connector_type": lambda v: c.connector_type == v,
        "sender_domain": lambda v: any(
            parse_domain_pattern(s).matches(v) for s in c.sender_domains
        ),
        "require_tls": lambda v: c.require_tls is v,
        "certificate_name": lambda v: _same(c.tls_sender_certificate_name, v),
        "restrict_domains_to_certificate": lambda v: c.restrict_domains_to_certificate is v,
        "enabled": lambda v: c.enabled is v,
    }
    return all(tests[key](p[key]) for key in tests if key in p) and ("enabled" in p or c.enabled)


def matching_outbound(flow: TenantMailFlow, params: dict[str, Any]) -> list[OutboundConnector]:
    accepted = flow.accepted_facts()
    return [c for c in flow.outbound if _outbound_matches(c, params, accepted)]


def _describe(params: dict[str, Any], filters: frozenset[str]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in params.items() if k in filters)


# --- the checks -------------------------------------------------------------------------------


def outbound_connector(task: Task, ctx: CheckContext) -> Outcome:
    """An enabled outbound connector with these settings exists."""
    p = task.params
    found = matching_outbound(ctx.flow, p)
    if found:
        return Outcome(True, f"{found[0].name} does this.")
    return Outcome(False, "No enabled outbound connector does this yet.")


def inbound_connector(task: Task, ctx: CheckContext) -> Outcome:
    """An enabled inbound connector with these settings exists."""
    p = task.params
    found = [c for c in ctx.flow.inbound if _inbound_matches(c, p)]
    if found:
        return Outcome(True, f"{found[0].name} does this.")
    return Outcome(False, "No enabled inbound connector does this yet.")


DELIVERY_FIELDS = ("smart_hosts", "use_mx_record", "tls_settings", "tls_domain")


def validated(task: Task, ctx: CheckContext) -> Outcome:
    """A connector with these settings passed a validation run started since the task was
    opened, and still has the delivery settings (smart hosts, TLS) that run tested."""
    p = task.params
    connectors = {c.pk: c for c in matching_outbound(ctx.flow, p)}
    if not connectors:
        return Outcome(False, "No enabled outbound connector does this yet.")
    for run in ctx.runs:
        connector = connectors.get(run.connector_id)  # type: ignore[arg-type]
        if connector is None or not run.succeeded:
            continue
        if all(run.target.get(f) == getattr(connector, f) for f in DELIVERY_FIELDS):
            return Outcome(True, f"{connector.name} validated successfully.")
    names = ", ".join(sorted(c.name for c in connectors.values()))
    return Outcome(False, f"{names}: no successful validation of its current settings yet.")


def validation_failed(task: Task, ctx: CheckContext) -> Outcome:
    """A validation run since the task was opened failed with the given error (e.g. 4.7.320)."""
    p = task.params
    failed = (run for run in ctx.runs if run.status == RunStatus.FAILED)
    if any(p["error"] in task.error for run in failed for task in run.tasks.all()):
        return Outcome(True, f"Validation failed with {p['error']}, as expected.")
    return Outcome(False, "Run a validation and read its result.")


@lru_cache(maxsize=256)
def _scenario_address(text: str) -> str:
    """A scenario's sender or recipient, parsed once per process rather than once per sandbox:
    the trainer's table asks the same question of every sandbox of a class, and parsing an
    address is most of what asking costs."""
    return parse_validation_recipient(text)


def mail_flows(task: Task, ctx: CheckContext) -> Outcome:
    """The mail flow explorer says a message from `sender` to `recipient` flows; with
    `through_connector`, only if some hop uses a connector. (What TenantMailFlow.explore does,
    with the addresses parsed once.)"""
    p = task.params
    flow = ctx.flow
    try:
        sender, recipient = _scenario_address(p["sender"]), _scenario_address(p["recipient"])
        path = explorer.explore(
            flow.locate(sender),
            flow.locate(recipient),
            router=flow.router(),
            inbound=flow.inbound_facts(),
        )
    except InvalidValue as exc:
        return Outcome(False, " ".join(exc.messages))
    done = path.flows and (not p.get("through_connector") or any(h.connector for h in path.hops))
    return Outcome(done, path.summary)


def _chosen(flow: TenantMailFlow, recipient: str, order: str | None) -> str:
    decision = flow.router(order).decide(recipient)
    return decision.connector.name if decision.connector else NO_CONNECTOR


def connector_chosen(task: Task, ctx: CheckContext) -> Outcome:
    """Office 365 picks the named connector for `recipient` (in the tenant's selection order)."""
    p = task.params
    chosen = _chosen(ctx.flow, p["recipient"], None)
    return Outcome(_same(chosen, p["connector"]), f"Mail to {p['recipient']} goes to {chosen}.")


def accepted_domain(task: Task, ctx: CheckContext) -> Outcome:
    """The tenant accepts `name`, with the given type and subdomain setting."""
    p = task.params
    domain = next((d for d in ctx.flow.accepted_domains if d.name == p["name"]), None)
    if domain is None:
        return Outcome(False, f"{p['name']} isn't an accepted domain.")
    done = domain.domain_type == p.get("type", domain.domain_type) and (
        domain.match_subdomains is p.get("subdomains", domain.match_subdomains)
    )
    subdomains = ", subdomains accepted" if domain.match_subdomains else ""
    return Outcome(done, f"{domain.name}: {domain.get_domain_type_display()}{subdomains}.")


def expected_answer(p: dict[str, Any], flow: TenantMailFlow) -> str:
    """The right answer, from the engine: the connector Office 365 would choose now (in the
    order the question names), or the MX record the domain should have."""
    if p["question"] == "connector_for":
        return _chosen(flow, p["recipient"], p.get("order"))
    return mx_target(p["domain"], flow.tenant)


def answer_is_right(p: dict[str, Any], tenant: Tenant, value: str) -> bool:
    return _same(value, expected_answer(p, TenantMailFlow(tenant)))


def answer(task: Task, ctx: CheckContext) -> Outcome:
    """The trainee's latest answer to the task's question, judged when it was given."""
    given = ctx.answers.get(task.id)
    if given is None:
        return Outcome(False, "Not answered yet.")
    if given.correct:
        return Outcome(True, f"Your answer: {given.value}. Right.")
    return Outcome(False, f"Your answer: {given.value}. Not quite; try again.")


# --- what really flowed: the message trace ------------------------------------------------------


def traced_between(ctx: CheckContext, sender: str, recipient: str) -> list[TracedMessage]:
    """The sandbox's traced messages from `sender` to `recipient` since the task was opened,
    newest first."""
    return [m for m in ctx.traced if _same(m.sender, sender) and _same(m.recipient, recipient)]


def _event(message: TracedMessage, kind: str) -> TraceEvent | None:
    # events.all() reads the prefetched events (ordered by seq); filtering would query again.
    return next((e for e in message.events.all() if e.kind == kind), None)


def _named_in(message: TracedMessage, kind: str) -> list[str]:
    """The connectors the message's events of `kind` name, in the order it met them."""
    names = (e.connector for e in message.events.all() if e.kind == kind and e.connector)
    return list(dict.fromkeys(names))


def _went_through(message: TracedMessage, p: dict[str, Any], ctx: CheckContext) -> tuple[bool, str]:
    """Whether the delivered `message` went through connectors the task describes, and if not,
    why. The outbound one is the connector its Send event names (the proof it was handed on
    through it); an inbound one is a connector named by a Connector event (Office 365 writes the
    inbound connector that took the message there). The connector must match the description
    now and not have changed since the message passed: a connector fixed after the message only
    counts once a message has gone through it as it is."""
    wanted: list[tuple[str, list[str], list[Any]]] = []
    if "outbound" in p:
        sent = _event(message, TraceEventKind.SEND)
        names = [sent.connector] if sent and sent.connector else []
        wanted.append(("outbound", names, matching_outbound(ctx.flow, p["outbound"])))
    if "inbound" in p:
        found = [c for c in ctx.flow.inbound if _inbound_matches(c, p["inbound"])]
        wanted.append(("inbound", _named_in(message, TraceEventKind.CONNECTOR), found))
    for direction, names, matching in wanted:
        used = [c for c in matching if any(_same(c.name, n) for n in names)]
        if not used:
            through = ", ".join(names) or f"no {direction} connector"
            return False, f"through {through}, not an {direction} connector that does this"
        if all(c.changed_at > message.received_at for c in used):
            return False, f"before {used[0].name} last changed: send another"
    return True, ""


def _when(message: TracedMessage) -> str:
    return f"{message.received_at:%H:%M:%S} UTC"


def mail_delivered(task: Task, ctx: CheckContext) -> Outcome:
    """The message trace holds a message from `sender` to `recipient`, received since the task was
    opened, that Office 365 delivered; with `outbound` or `inbound` (a connector described as
    outbound_connector and inbound_connector take it), one that went through such a connector."""
    p = task.params
    messages = traced_between(ctx, p["sender"], p["recipient"])
    if not messages:
        return Outcome(
            False,
            f"No message from {p['sender']} to {p['recipient']} in the message trace yet: "
            "send a test message.",
        )
    delivered = [m for m in messages if m.status == TraceStatus.DELIVERED]
    for message in delivered:
        through, _ = _went_through(message, p, ctx)
        if through:
            names = _named_in(message, TraceEventKind.CONNECTOR)
            via = f" through {', '.join(names)}" if names else ""
            return Outcome(True, f"Delivered{via} (message trace, {_when(message)}).")
    newest = messages[0]
    if newest.status == TraceStatus.FAILED:
        return Outcome(
            False,
            f"The last message ({_when(newest)}) failed with {newest.failure_code}: "
            "open it in Message trace to see why.",
        )
    if newest.status == TraceStatus.PENDING:
        return Outcome(False, f"The last message ({_when(newest)}) is still on its way.")
    _, why = _went_through(delivered[0], p, ctx)
    return Outcome(False, f"The last message ({_when(delivered[0])}) was delivered {why}.")


def mail_failed(task: Task, ctx: CheckContext) -> Outcome:
    """The message trace holds a message from `sender` to `recipient`, received since the task was
    opened, that failed with the given error (e.g. 4.4.317): its code or its Fail event's text."""
    p = task.params
    for message in traced_between(ctx, p["sender"], p["recipient"]):
        fail = _event(message, TraceEventKind.FAIL)
        said = f"{message.failure_code} {fail.detail if fail else ''}"
        if message.status == TraceStatus.FAILED and p["error"] in said:
            return Outcome(True, f"It failed with {message.failure_code} ({_when(message)}).")
    return Outcome(
        False,
        f"No message from {p['sender']} to {p['recipient']} has failed with {p['error']} yet: "
        "send a test message and read its trace.",
    )


@dataclass(frozen=True)
class TaskCheck:
    """A kind of check: the function, and the parameters a scenario file must and may give it."""

    check: Check
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    # Parameters that are tables themselves (a connector's description), with the keys each takes.
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)


TASK_CHECKS: dict[str, TaskCheck] = {
    "outbound_connector": TaskCheck(outbound_connector, optional=OUTBOUND_FILTERS),
    "inbound_connector": TaskCheck(inbound_connector, optional=INBOUND_FILTERS),
    "validated": TaskCheck(validated, optional=OUTBOUND_FILTERS),
    "validation_failed": TaskCheck(validation_failed, required=frozenset({"error"})),
    "mail_flows": TaskCheck(
        mail_flows,
        required=frozenset({"sender", "recipient"}),
        optional=frozenset({"through_connector"}),
    ),
    "connector_chosen": TaskCheck(connector_chosen, required=frozenset({"recipient", "connector"})),
    "accepted_domain": TaskCheck(
        accepted_domain, required=frozenset({"name"}), optional=frozenset({"type", "subdomains"})
    ),
    "answer": TaskCheck(
        answer,
        required=frozenset({"question"}),
        optional=frozenset({"recipient", "order", "domain"}),
    ),
    "mail_delivered": TaskCheck(
        mail_delivered,
        required=frozenset({"sender", "recipient"}),
        optional=frozenset({"outbound", "inbound"}),
        tables={"outbound": OUTBOUND_FILTERS, "inbound": INBOUND_FILTERS},
    ),
    "mail_failed": TaskCheck(mail_failed, required=frozenset({"sender", "recipient", "error"})),
}
# The kinds that read the message trace: training.selectors loads it only for their scenarios.
TRACE_CHECKS = frozenset({"mail_delivered", "mail_failed"})
QUESTIONS = {"connector_for": {"recipient"}, "mx_for": {"domain"}}


def check_parameter_problem(kind: str, params: dict[str, Any]) -> str:
    """What's wrong with a task's check in a scenario file ("" when nothing is)."""
    if kind not in TASK_CHECKS:
        return f"unknown check kind {kind!r} (known: {', '.join(sorted(TASK_CHECKS))})"
    required, optional = TASK_CHECKS[kind].required, TASK_CHECKS[kind].optional
    if missing := required - params.keys():
        return f"check {kind!r} needs {', '.join(sorted(missing))}"
    if unknown := params.keys() - required - optional:
        return f"check {kind!r} doesn't take {', '.join(sorted(unknown))}"
    for name, keys in TASK_CHECKS[kind].tables.items():
        if problem := _table_problem(name, params.get(name, {}), keys):
            return f"check {kind!r}: {problem}"
    if kind == "answer":
        question = params["question"]
        if question not in QUESTIONS:
            return f"unknown question {question!r} (known: {', '.join(sorted(QUESTIONS))})"
        if missing_for_question := QUESTIONS[question] - params.keys():
            return f"question {question!r} needs {', '.join(sorted(missing_for_question))}"
        if params.get("order", SelectionOrder.MOST_SPECIFIC) not in SelectionOrder.values:
            return f"order must be one of {', '.join(SelectionOrder.values)}"
    return ""


def _table_problem(name: str, value: object, keys: frozenset[str]) -> str:
    if not isinstance(value, dict):
        return f"{name} must be a table of {', '.join(sorted(keys))}"
    if unknown := value.keys() - keys:
        return f"{name} doesn't take {', '.join(sorted(unknown))}"
    return ""


def trace_addresses(tasks: Iterable[Task]) -> set[tuple[str, str]]:
    """The (sender, recipient) pairs whose trace the tasks read, lower-cased."""
    return {
        (t.params["sender"].lower(), t.params["recipient"].lower())
        for t in tasks
        if t.kind in TRACE_CHECKS
    }


def evaluate(task: Task, ctx: CheckContext) -> Outcome:
    """Whether `task` is done in the sandbox now, and what the check found."""
    return TASK_CHECKS[task.kind].check(task, ctx)


def evaluate_all(tasks: Iterable[Task], ctx: CheckContext) -> list[tuple[Task, Outcome]]:
    return [(task, evaluate(task, ctx)) for task in tasks]
