"""The import's preview: what each item would change in the organization, and every problem,
worked out without writing anything. `apply.py` carries out a plan with no problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.endpoints import ConnectorType
from connectors.interchange.documents import ImportSources, read_documents
from connectors.interchange.items import Item, read_item
from connectors.interchange.properties import INITIAL_DOMAIN_SUFFIX, KIND_LABELS, KINDS, LABELS
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import AnyConnector
from eac.models import AcceptedDomain, DomainType, Tenant


@dataclass(frozen=True)
class Change:
    """A row of the preview."""

    kind: str
    name: str
    action: str  # Add, Change type, Create, Replace, No change, Skip
    detail: str


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    domain_adds: list[Item] = field(default_factory=list)
    domain_updates: list[tuple[AcceptedDomain, Item]] = field(default_factory=list)
    creates: list[Item] = field(default_factory=list)
    replaces: list[tuple[AnyConnector, Item, dict[str, Any]]] = field(default_factory=list)

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
        return ", ".join(said) if said else "nothing to change"


def plan_import(
    *,
    tenant: Tenant,
    sources: ImportSources,
    replace: bool = False,
    may_add_domains: bool = True,
    may_change_domains: bool = True,
) -> ImportPlan:
    """What the import would do to the tenant, and every item's problems. Writes nothing.

    With `replace`, a connector whose name is taken by one of the same direction has its
    settings replaced (same object, audited as an update); without it the name is an error."""
    documents = read_documents(sources)
    plan = ImportPlan()
    items = [
        read_item(kind, raw, position)
        for kind in KINDS
        for position, raw in enumerate(documents[kind], 1)
    ]
    for item in items:
        plan.errors += [f"{item.label}: {error}" for error in item.errors]
    valid = [item for item in items if not item.errors]
    _plan_domains(
        plan, tenant, [i for i in valid if i.kind == "domains"], may_add_domains, may_change_domains
    )
    _plan_connectors(plan, tenant, [i for i in valid if i.kind != "domains"], replace)
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
    if item.kind == "outbound":
        return f"Office 365 → {other}"
    return f"{other} → Office 365"


def _plan_domains(
    plan: ImportPlan, tenant: Tenant, items: list[Item], may_add: bool, may_change: bool
) -> None:
    existing = {d.name: d for d in AcceptedDomain.objects.filter(tenant=tenant)}
    seen: set[str] = set()
    for item in items:
        domain_type, match = item.fields["domain_type"], item.fields["match_subdomains"]
        wanted = _type_text(domain_type, match)
        if item.name in seen:
            plan.errors.append(f"{item.label}: the import lists this domain twice.")
            continue
        seen.add(item.name)
        current = existing.get(item.name)
        if current is None and item.name.endswith(INITIAL_DOMAIN_SUFFIX):
            # Microsoft gives every organization its own; another's can't be added to this one.
            plan.changes.append(
                Change(
                    KIND_LABELS["domains"],
                    item.name,
                    "Skip",
                    "Another organization's onmicrosoft.com domain",
                )
            )
        elif current is None:
            if not may_add:
                plan.errors.append(
                    f"{item.label}: your role can't add accepted domains (Organization Management can). "
                    "Remove it from the import, or ask an Organization Management admin."
                )
                continue
            plan.domain_adds.append(item)
            plan.changes.append(Change(KIND_LABELS["domains"], item.name, "Add", wanted))
        elif (current.domain_type, current.match_subdomains) == (domain_type, match):
            plan.changes.append(Change(KIND_LABELS["domains"], item.name, "No change", wanted))
        elif current.name == tenant.initial_domain and domain_type != DomainType.AUTHORITATIVE:
            plan.errors.append(f"{item.label}: the initial domain is always Authoritative.")
        elif not may_change:
            plan.errors.append(f"{item.label}: your role can't change accepted domain types.")
        else:
            before = _type_text(current.domain_type, current.match_subdomains)
            plan.domain_updates.append((current, item))
            plan.changes.append(
                Change(KIND_LABELS["domains"], item.name, "Change type", f"{before} → {wanted}")
            )


def _plan_connectors(plan: ImportPlan, tenant: Tenant, items: list[Item], replace: bool) -> None:
    existing: dict[str, AnyConnector] = {}
    for model in (OutboundConnector, InboundConnector):
        for connector in model.objects.filter(tenant=tenant):
            existing[connector.name.lower()] = connector
    seen: set[str] = set()
    for item in items:
        key = item.name.lower()
        if key in seen:
            plan.errors.append(
                f"{item.label}: the import has another connector with this name "
                "(inbound and outbound connectors share one set of names)."
            )
            continue
        seen.add(key)
        current = existing.get(key)
        if current is None:
            plan.creates.append(item)
            plan.changes.append(
                Change(KIND_LABELS[item.kind], item.name, "Create", _scenario_text(item))
            )
        elif not replace:
            plan.errors.append(
                f"{item.label}: a connector with this name already exists. Rename it in the JSON, "
                "or tick “Replace connectors that have the same name”."
            )
        elif current.direction != item.kind:
            plan.errors.append(
                f"{item.label}: an {current.direction} connector has this name, and only a "
                "connector of the same direction can be replaced. Rename or delete it first."
            )
        else:
            changed = {k: v for k, v in item.fields.items() if getattr(current, k) != v}
            if not changed:
                plan.changes.append(
                    Change(KIND_LABELS[item.kind], item.name, "No change", _scenario_text(item))
                )
                continue
            plan.replaces.append((current, item, changed))
            names = ", ".join(LABELS.get(k, k) for k in changed)
            plan.changes.append(
                Change(KIND_LABELS[item.kind], item.name, "Replace", f"Changes {names}")
            )
