"""The import's preview: what each item would change in the organization, what it keeps that has
no effect or can't keep, and every problem, worked out without writing anything. `apply.py`
carries out a plan with no problems, or, when the admin chooses, only its items that have none.

A refused item refuses the import as a whole by default (`errors`); with `skip_refused` its row
says why and the rest is imported without it. A connector that names an accepted domain the
organization doesn't have is refused, so skipping a domain never leaves one pointing nowhere."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from connectors.endpoints import MADE_BY, ConnectorSource, ConnectorType
from connectors.interchange.documents import ImportSources, read_documents
from connectors.interchange.items import Item, read_item
from connectors.interchange.properties import INITIAL_DOMAIN_SUFFIX, KIND_LABELS, KINDS, LABELS
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import AnyConnector
from eac.models import AcceptedDomain, DomainType, Tenant

REFUSED = "Refused"


@dataclass(frozen=True)
class Change:
    """A row of the preview; a refused item's row gives its problems."""

    kind: str
    name: str
    action: str  # Add, Change type, Create, Replace, No change, Skip, Refused
    detail: str
    notes: tuple[str, ...] = ()  # settings kept without effect, or not kept, and why
    problems: tuple[str, ...] = ()
    order: int = field(default=0, compare=False)  # the item's place in the import


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    skip_refused: bool = False
    # Every refused item's problems, each "<item label>: <problem>".
    problems: list[str] = field(default_factory=list)
    domain_adds: list[Item] = field(default_factory=list)
    domain_updates: list[tuple[AcceptedDomain, Item]] = field(default_factory=list)
    creates: list[Item] = field(default_factory=list)
    replaces: list[tuple[AnyConnector, Item, dict[str, Any]]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """What stops the import: every problem, unless refused items are to be skipped."""
        return [] if self.skip_refused else self.problems

    @property
    def refused(self) -> int:
        return sum(1 for change in self.changes if change.action == REFUSED)

    def refuse(self, item: Item, problems: list[str] | tuple[str, ...]) -> None:
        self.problems += [f"{item.label}: {problem}" for problem in problems]
        self.add(item, REFUSED, "", problems=tuple(problems))

    def add(
        self,
        item: Item,
        action: str,
        detail: str,
        notes: tuple[str, ...] = (),
        problems: tuple[str, ...] = (),
    ) -> None:
        name = item.name or item.label
        kind = KIND_LABELS[item.kind]
        self.changes.append(Change(kind, name, action, detail, notes, problems, item.order))

    @property
    def writes(self) -> int:
        return (
            len(self.domain_adds)
            + len(self.domain_updates)
            + len(self.creates)
            + len(self.replaces)
        )

    def summary(self) -> str:
        parts = [
            (len(self.domain_adds), "accepted domain added", "accepted domains added"),
            (len(self.domain_updates), "domain type changed", "domain types changed"),
            (len(self.creates), "connector created", "connectors created"),
            (len(self.replaces), "connector replaced", "connectors replaced"),
        ]
        said = [f"{n} {one if n == 1 else many}" for n, one, many in parts if n]
        if self.skip_refused and self.refused:
            said.append(
                f"{self.refused} refused {'item' if self.refused == 1 else 'items'} skipped"
            )
        return ", ".join(said) if said else "nothing to change"


def plan_import(
    *,
    tenant: Tenant,
    sources: ImportSources,
    replace: bool = False,
    may_add_domains: bool = True,
    may_change_domains: bool = True,
    skip_refused: bool = False,
) -> ImportPlan:
    """What the import would do to the tenant, and every item's problems. Writes nothing.

    With `replace`, a connector whose name is taken by one of the same direction has its
    settings replaced (same object, audited as an update); without it the name is an error."""
    documents = read_documents(sources)
    plan = ImportPlan(skip_refused=skip_refused)
    raws = [
        (kind, position, raw) for kind in KINDS for position, raw in enumerate(documents[kind], 1)
    ]
    items = [
        dataclasses.replace(read_item(kind, raw, position), order=order)
        for order, (kind, position, raw) in enumerate(raws)
    ]
    for item in items:
        if item.errors:
            plan.refuse(item, item.errors)
    valid = [item for item in items if not item.errors]
    _plan_domains(
        plan, tenant, [i for i in valid if i.kind == "domains"], may_add_domains, may_change_domains
    )
    _plan_connectors(plan, tenant, [i for i in valid if i.kind != "domains"], replace)
    plan.changes.sort(key=lambda change: change.order)  # as the JSON lists them
    return plan


def _type_text(domain_type: str, match_subdomains: bool) -> str:
    text = DomainType(domain_type).label
    return f"{text}, accepts mail for all subdomains" if match_subdomains else text


def _scenario_text(item: Item) -> str:
    other = (
        "Your organization's email server"
        if item.fields["connector_type"] == ConnectorType.ON_PREMISES
        else "Partner organization"
    )
    scenario = f"Office 365 → {other}" if item.kind == "outbound" else f"{other} → Office 365"
    made_by = MADE_BY.get(ConnectorSource(item.fields["connector_source"]))
    return f"{scenario}. {made_by}" if made_by else scenario


def _plan_domains(
    plan: ImportPlan, tenant: Tenant, items: list[Item], may_add: bool, may_change: bool
) -> None:
    existing = {d.name: d for d in AcceptedDomain.objects.filter(tenant=tenant)}
    seen: set[str] = set()
    for item in items:
        domain_type, match = item.fields["domain_type"], item.fields["match_subdomains"]
        wanted = _type_text(domain_type, match)
        if item.name in seen:
            plan.refuse(item, ["the import lists this domain twice."])
            continue
        seen.add(item.name)
        current = existing.get(item.name)
        if current is None and item.name.endswith(INITIAL_DOMAIN_SUFFIX):
            # Microsoft gives every organization its own; another's can't be added to this one.
            plan.add(item, "Skip", "Another organization's onmicrosoft.com domain")
        elif current is None:
            if not may_add:
                plan.refuse(
                    item,
                    [
                        "your role can't add accepted domains (Organization Management can). "
                        "Remove it from the import, or ask an Organization Management admin."
                    ],
                )
                continue
            plan.domain_adds.append(item)
            plan.add(item, "Add", wanted)
        elif (current.domain_type, current.match_subdomains) == (domain_type, match):
            plan.add(item, "No change", wanted)
        elif current.name == tenant.initial_domain and domain_type != DomainType.AUTHORITATIVE:
            plan.refuse(item, ["the initial domain is always Authoritative."])
        elif not may_change:
            plan.refuse(item, ["your role can't change accepted domain types."])
        else:
            before = _type_text(current.domain_type, current.match_subdomains)
            plan.domain_updates.append((current, item))
            plan.add(item, "Change type", f"{before} → {wanted}")


def _plan_connectors(plan: ImportPlan, tenant: Tenant, items: list[Item], replace: bool) -> None:
    existing: dict[str, AnyConnector] = {}
    for model in (OutboundConnector, InboundConnector):
        for connector in model.objects.filter(tenant=tenant):
            existing[connector.name.lower()] = connector
    accepted = _accepted_after(plan, tenant)
    seen: set[str] = set()
    for item in items:
        key = item.name.lower()
        if key in seen:
            plan.refuse(
                item,
                [
                    "the import has another connector with this name "
                    "(inbound and outbound connectors share one set of names)."
                ],
            )
            continue
        seen.add(key)
        unknown = _unaccepted_domains(item, accepted)
        if unknown:
            plan.refuse(item, [unknown])
            continue
        _plan_connector(plan, item, existing.get(key), replace)


def _plan_connector(
    plan: ImportPlan, item: Item, current: AnyConnector | None, replace: bool
) -> None:
    if current is None:
        plan.creates.append(item)
        plan.add(item, "Create", _scenario_text(item), item.notes)
    elif not replace:
        plan.refuse(
            item,
            [
                "a connector with this name already exists. Rename it in the JSON, "
                "or tick “Replace connectors that have the same name”."
            ],
        )
    elif current.direction != item.kind:
        plan.refuse(
            item,
            [
                f"an {current.direction} connector has this name, and only a "
                "connector of the same direction can be replaced. Rename or delete it first."
            ],
        )
    else:
        changed = {k: v for k, v in item.fields.items() if getattr(current, k) != v}
        if not changed:
            plan.add(item, "No change", _scenario_text(item), item.notes)
            return
        plan.replaces.append((current, item, changed))
        names = ", ".join(LABELS.get(k, k) for k in changed)
        plan.add(item, "Replace", f"Changes {names}", item.notes)


def _accepted_after(plan: ImportPlan, tenant: Tenant) -> set[str]:
    """The organization's accepted domains once the import's own are added."""
    names = set(AcceptedDomain.objects.filter(tenant=tenant).values_list("name", flat=True))
    return names | {item.name for item in plan.domain_adds}


def _unaccepted_domains(item: Item, accepted: set[str]) -> str:
    """AssociatedAcceptedDomains must name accepted domains (New-InboundConnector), so a
    connector can't be kept pointing at a domain this organization doesn't have."""
    missing = [d for d in item.fields.get("associated_accepted_domains", []) if d not in accepted]
    if not missing:
        return ""
    listed = ", ".join(missing)
    return (
        f"AssociatedAcceptedDomains: {listed} {'isn' if len(missing) == 1 else 'aren'}'t an "
        "accepted domain of this organization. Add it to the import's accepted domains, or "
        "remove it from the connector."
    )
