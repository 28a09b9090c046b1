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
  `training.checks` and whose other keys are that check's parameters.

A file that doesn't follow this is refused with a message naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from eac.models import DomainType, MailboxLocation, SelectionOrder
from eac.values import parse_domain
from lab.behaviours import Behaviour, behaviour_for

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
class Task:
    id: str
    title: str
    hint: str
    kind: str  # a check of training.checks
    params: dict[str, Any] = field(hash=False)


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


class _Reader:
    """Reads one table of a file, remembering where it is for the error messages."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data = dict(data)
        self.where = where

    def _fail(self, message: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {message}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.pop(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self._fail(f"`{key}` must be a non-empty text")
        return value.strip()

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.pop(key, default)
        if not isinstance(value, bool):
            raise self._fail(f"`{key}` must be true or false")
        return value

    def number(self, key: str, default: int) -> int:
        value = self.data.pop(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(f"`{key}` must be a whole number")
        return value

    def choice(self, key: str, choices: list[str], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise self._fail(f"`{key}` must be one of {', '.join(choices)}, not {value!r}")
        return value

    def tables(self, key: str) -> list[_Reader]:
        value = self.data.pop(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._fail(f"`{key}` must be a list of tables ([[{key}]])")
        return [_Reader(v, f"{self.where} [[{key}]] #{i}") for i, v in enumerate(value, 1)]

    def table(self, key: str) -> _Reader:
        value = self.data.pop(key, None)
        if not isinstance(value, dict):
            raise self._fail(f"`{key}` must be a table")
        return _Reader(value, f"{self.where} {key}")

    def rest(self) -> dict[str, Any]:
        """What's left, as it stands (connector fields; a check's parameters)."""
        rest, self.data = self.data, {}
        return rest

    def done(self) -> None:
        if self.data:
            raise self._fail(f"unknown key(s): {', '.join(sorted(self.data))}")


def _domain(reader: _Reader) -> DomainSpec:
    spec = DomainSpec(
        name=reader.text("name"),
        domain_type=reader.choice("type", list(DomainType.values), DomainType.AUTHORITATIVE),
        match_subdomains=reader.flag("subdomains"),
        is_default=reader.flag("default"),
    )
    reader.done()
    return spec


def _mailbox(reader: _Reader) -> MailboxSpec:
    spec = MailboxSpec(
        display_name=reader.text("name"),
        address=reader.text("address").lower(),
        location=reader.choice("location", list(MailboxLocation.values)),
    )
    reader.done()
    return spec


def _lab_host(reader: _Reader) -> LabHost:
    host = reader.text("host").lower()
    try:
        parse_domain(host)
    except Exception:  # noqa: BLE001 - any reason the name can't be a host name
        raise reader._fail(f"`host` {host!r} isn't a host name") from None
    if "." not in host:
        raise reader._fail(f"`host` {host!r} needs a domain after its first label")
    spec = LabHost(host=host, note=reader.text("note"))
    reader.done()
    return spec


def _task(reader: _Reader) -> Task:
    from training.checks import check_parameter_problem  # the checks import this module

    task_id = reader.text("id")
    title = reader.text("title")
    hint = reader.text("hint")
    check = reader.table("check")
    kind = check.text("kind")
    params = check.rest()
    reader.done()
    if problem := check_parameter_problem(kind, params):
        raise reader._fail(f"task {task_id!r}: {problem}")
    return Task(id=task_id, title=title, hint=hint, kind=kind, params=params)


def load_scenario(path: Path) -> Scenario:
    """One scenario file, read and checked; ScenarioError says what's wrong with it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path.name}: {exc}") from None
    reader = _Reader(data, path.name)
    scenario = Scenario(
        id=path.stem,
        order=reader.number("order", 100),
        title=reader.text("title"),
        summary=reader.text("summary"),
        briefing=reader.text("briefing"),
        selection_order=reader.choice(
            "selection_order", list(SelectionOrder.values), SelectionOrder.MOST_SPECIFIC
        ),
        domains=tuple(_domain(r) for r in reader.tables("domains")),
        mailboxes=tuple(_mailbox(r) for r in reader.tables("mailboxes")),
        outbound=tuple(r.rest() for r in reader.tables("outbound")),
        inbound=tuple(r.rest() for r in reader.tables("inbound")),
        lab=tuple(_lab_host(r) for r in reader.tables("lab")),
        tasks=tuple(_task(r) for r in reader.tables("tasks")),
    )
    reader.done()
    _check_consistency(scenario)
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
