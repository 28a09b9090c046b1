"""Training scenarios, kept as TOML files in `training/scenarios/` (one per scenario; the file's
name without `.toml` is its id). A file holds:

- `title`, `summary` (one line for the trainer's list), `briefing` (paragraphs for the trainee),
  `order` (its place in lists) and optionally `selection_order` (the tenant's connector selection
  order: `most_specific` or `documented`);
- the starting state: `[[domains]]` (name, type `Authoritative` | `InternalRelay`, `subdomains`,
  `default`), `[[mailboxes]]` (name, address, location `your_org` | `office365` | `internet`),
  `[[outbound]]` and `[[inbound]]` connectors (their model fields, as the import file uses them),
  and `[[lab]]`: the hosts the lab mail server plays (`host`, `note`; the first label of the host
  chooses how it behaves, see `lab.behaviours`), whose domains the lab answers for this sandbox;
- `[[tasks]]`: `id`, `title`, `hint` and `check`, a table whose `kind` names a check of
  `training.task_checks` and whose other keys are that check's parameters.

A file that doesn't follow this is refused with a message naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from eac.models import DomainType, MailboxLocation, SelectionOrder
from eac.reader import Reader, ReadError
from eac.values import InvalidValue, parse_domain
from lab.behaviours import Behaviour, behaviour_for
from training.task_checks import Task, check_parameter_problem

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


class ScenarioError(Exception):
    """A scenario file that can't be used, and why."""


@dataclass(frozen=True)
class DomainSpec:
    name: str
    domain_type: str
    match_subdomains: bool
    is_default: bool


@dataclass(frozen=True)
class MailboxSpec:
    display_name: str
    address: str
    location: str


@dataclass(frozen=True)
class LabHost:
    host: str
    note: str

    @property
    def behaviour(self) -> Behaviour:
        return behaviour_for(self.host)

    @property
    def domain(self) -> str:
        return self.host.split(".", 1)[1]


@dataclass(frozen=True)
class Scenario:
    id: str
    order: int
    title: str
    summary: str
    briefing: str
    selection_order: str
    domains: tuple[DomainSpec, ...]
    mailboxes: tuple[MailboxSpec, ...]
    outbound: tuple[dict[str, Any], ...] = field(hash=False)
    inbound: tuple[dict[str, Any], ...] = field(hash=False)
    lab: tuple[LabHost, ...]
    tasks: tuple[Task, ...]

    @property
    def briefing_paragraphs(self) -> list[str]:
        return [" ".join(p.split()) for p in self.briefing.split("\n\n") if p.strip()]

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


def _text(reader: Reader, key: str, default: str | None = None) -> str:
    """A non-blank string, stripped: a scenario's texts are shown to trainees."""
    if default is None and not reader.has(key):
        raise reader.error(key, "missing; expected a non-empty string.")
    value = reader.text(key, default)
    if not value.strip():
        raise reader.error(key, "expected a non-empty string.")
    return value.strip()


def _choice(reader: Reader, key: str, choices: list[str], default: str | None = None) -> str:
    if default is None and not reader.has(key):
        raise reader.error(key, f"missing; expected one of {', '.join(choices)}.")
    chosen = reader.choice(key, {c: c for c in choices}, default or "")
    assert chosen is not None  # not nullable
    return chosen


def _domain(reader: Reader) -> DomainSpec:
    spec = DomainSpec(
        name=_text(reader, "name"),
        domain_type=_choice(reader, "type", list(DomainType.values), DomainType.AUTHORITATIVE),
        match_subdomains=reader.flag("subdomains", False),
        is_default=reader.flag("default", False),
    )
    reader.done()
    return spec


def _mailbox(reader: Reader) -> MailboxSpec:
    spec = MailboxSpec(
        display_name=_text(reader, "name"),
        address=_text(reader, "address").lower(),
        location=_choice(reader, "location", list(MailboxLocation.values)),
    )
    reader.done()
    return spec


def _lab_host(reader: Reader) -> LabHost:
    host = _text(reader, "host").lower()
    try:
        parse_domain(host)
    except InvalidValue:
        raise reader.error("host", f"{host!r} isn't a host name.") from None
    if "." not in host:
        raise reader.error("host", f"{host!r} needs a domain after its first label.")
    spec = LabHost(host=host, note=_text(reader, "note"))
    reader.done()
    return spec


def _task(reader: Reader) -> Task:
    task_id = _text(reader, "id")
    title = _text(reader, "title")
    hint = _text(reader, "hint")
    check = reader.table("check")
    kind = _text(check, "kind")
    params = check.unread()
    reader.done()
    if problem := check_parameter_problem(kind, params):
        raise ReadError(reader.path, f"task {task_id!r}: {problem}")
    return Task(id=task_id, title=title, hint=hint, kind=kind, params=params)


def load_scenario(path: Path) -> Scenario:
    """One scenario file, read and checked; ScenarioError says what's wrong with it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path.name}: {exc}") from None
    try:
        scenario = _scenario(Reader(data, (path.name,)), path.stem)
    except ReadError as exc:
        raise ScenarioError(str(exc)) from None
    _check_consistency(scenario)
    return scenario


def _scenario(reader: Reader, scenario_id: str) -> Scenario:
    scenario = Scenario(
        id=scenario_id,
        order=reader.number("order", 100),
        title=_text(reader, "title"),
        summary=_text(reader, "summary"),
        briefing=_text(reader, "briefing"),
        selection_order=_choice(
            reader, "selection_order", list(SelectionOrder.values), SelectionOrder.MOST_SPECIFIC
        ),
        domains=tuple(_domain(r) for r in reader.tables("domains")),
        mailboxes=tuple(_mailbox(r) for r in reader.tables("mailboxes")),
        outbound=tuple(r.unread() for r in reader.tables("outbound")),
        inbound=tuple(r.unread() for r in reader.tables("inbound")),
        lab=tuple(_lab_host(r) for r in reader.tables("lab")),
        tasks=tuple(_task(r) for r in reader.tables("tasks")),
    )
    reader.done()
    return scenario


def _check_consistency(scenario: Scenario) -> None:
    ids = [t.id for t in scenario.tasks]
    if not ids:
        raise ScenarioError(f"{scenario.id}.toml: a scenario needs at least one task")
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"{scenario.id}.toml: task ids must be unique")
    defaults = [d.name for d in scenario.domains if d.is_default]
    if len(defaults) > 1:
        raise ScenarioError(f"{scenario.id}.toml: only one domain can be the default")


@cache
def all_scenarios() -> tuple[Scenario, ...]:
    """Every scenario in SCENARIO_DIR, in their `order`. Read once per process."""
    found = [load_scenario(p) for p in sorted(SCENARIO_DIR.glob("*.toml"))]
    return tuple(sorted(found, key=lambda s: (s.order, s.title)))


def get_scenario(scenario_id: str) -> Scenario | None:
    return next((s for s in all_scenarios() if s.id == scenario_id), None)
