"""Reads for the connectors pages: the list rows, which connectors depend on a domain, and the
draft or connector a URL names (another tenant's answers 404, never 403, which would confirm it
exists)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Lower

from connectors.endpoints import SHORT_NAMES, ConnectorType, Endpoint
from connectors.mailflow.facts import TenantMailFlow
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import AnyConnector
from eac.models import AcceptedDomain, Tenant
from eac.tenancy import TenantRequest, get_for_tenant
from eac.values import DomainPattern, parse_domain_pattern

SortKey = Literal["status", "name", "from", "to"]
SORT_KEYS: tuple[SortKey, ...] = ("status", "name", "from", "to")
COLUMN_LABELS: dict[SortKey, str] = {"status": "Status", "name": "Name", "from": "From", "to": "To"}


def column_headers(
    sort: SortKey,
    descending: bool,
    *,
    arrows: tuple[str, str],
    keep: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """The list's header links, New and Classic: a click on the sorted column flips its direction,
    any other sorts ascending. `arrows` are (ascending, descending) as each EAC draws them; `keep`
    is what the links carry along (the New list's search)."""
    columns = []
    for key, label in COLUMN_LABELS.items():
        active = key == sort
        query = (
            dict(keep or {}) | {"sort": key} | ({"desc": "1"} if active and not descending else {})
        )
        columns.append(
            {
                "label": label,
                "query": urlencode(query),
                "aria_sort": ("descending" if descending else "ascending") if active else "",
                "arrow": arrows[descending] if active else "",
            }
        )
    return columns


@dataclass(frozen=True)
class ConnectorRow:
    id: str
    direction: Literal["outbound", "inbound"]
    name: str
    enabled: bool
    source: Endpoint
    target: Endpoint

    @property
    def detail_path(self) -> str:
        """Relative to the list's URL (reversing a URL per row is what made long lists slow)."""
        return f"{self.direction}/{self.id}/"

    @property
    def status(self) -> str:
        return "On" if self.enabled else "Off"

    @property
    def source_short(self) -> str:
        return SHORT_NAMES[self.source]

    @property
    def target_short(self) -> str:
        return SHORT_NAMES[self.target]


def connector_rows(
    *,
    tenant: Tenant,
    search: str = "",
    sort: SortKey = "status",
    descending: bool = False,
    limit: int | None = None,
) -> list[ConnectorRow]:
    """Both directions in one list, as the New EAC shows them, filtered by name, sorted (ties in
    name order) and cut to `limit` rows. Each direction's first `limit` rows come sorted from
    the database, where an index serves the usual orders, and the two short lists are merged
    here: a page of rows costs the same in a tenant of ten connectors or ten thousand
    (docs/architecture.md, "Pages and tenant size")."""
    column = {"status": "enabled", "name": "folded_name", "from": "source", "to": "target"}[sort]
    order = (f"-{column}" if descending else column, "folded_name")
    rows = [
        row
        for model in (OutboundConnector, InboundConnector)
        for row in _row_values(model, tenant, search).order_by(*order)[:limit]
    ]
    position = _ROW_COLUMNS.index(column)
    # As the database ordered each direction: by its folded name, then (stable) by the column.
    rows.sort(key=lambda row: row[-1])
    rows.sort(key=lambda row: row[position], reverse=descending)
    return [
        ConnectorRow(str(pk), direction, name, enabled, Endpoint(source), Endpoint(target))
        for pk, direction, name, enabled, source, target, _ in rows[:limit]
    ]


def connector_count(*, tenant: Tenant, search: str = "") -> int:
    """How many connectors `connector_rows` would list without a limit: without a search, what
    the tenant's kept mail-flow configuration holds (no query while it is unchanged)."""
    if not search.strip():
        flow = TenantMailFlow.current(tenant)
        return len(flow.outbound) + len(flow.inbound)
    return sum(
        _named(model.objects.filter(tenant=tenant), search).count()
        for model in (OutboundConnector, InboundConnector)
    )


def _named(connectors: QuerySet[Any], search: str) -> QuerySet[Any]:
    """Connectors whose name contains `search`; all of them without a LIKE when it's empty."""
    search = search.strip()
    return connectors.filter(name__icontains=search) if search else connectors


def _row_values(
    model: type[OutboundConnector] | type[InboundConnector], tenant: Tenant, search: str
) -> QuerySet[Any, tuple[Any, ...]]:
    """One direction's rows as the columns the list sorts on. The ends are the endpoints' values,
    which sort as their short names do (O365, Partner org, Your org)."""
    far = Case(
        When(connector_type=ConnectorType.ON_PREMISES, then=Value(Endpoint.YOUR_ORG.value)),
        default=Value(Endpoint.PARTNER.value),
    )
    office_365 = Value(Endpoint.OFFICE_365.value)
    outbound = model is OutboundConnector
    rows: QuerySet[Any, tuple[Any, ...]] = (
        _named(model.objects.filter(tenant=tenant), search)
        .annotate(
            listed_as=Value("outbound" if outbound else "inbound"),
            source=office_365 if outbound else far,
            target=far if outbound else office_365,
            folded_name=Lower("name"),
        )
        .values_list(*_ROW_COLUMNS)
    )
    return rows


_ROW_COLUMNS = ("id", "listed_as", "name", "enabled", "source", "target", "folded_name")


def _covers(patterns: list[str], domain: str) -> bool:
    parsed: list[DomainPattern] = [parse_domain_pattern(p) for p in patterns]
    return any(p.kind != "any" and p.matches(domain) for p in parsed)


def connectors_using_domain(domain: AcceptedDomain) -> list[str]:
    """Names of connectors whose scope names this domain (a bare `*` names no domain in particular)."""
    names = [
        c.name
        for c in OutboundConnector.objects.filter(tenant=domain.tenant)
        if c.all_accepted_domains or _covers(c.recipient_domains, domain.name)
    ]
    names += [
        c.name
        for c in InboundConnector.objects.filter(tenant=domain.tenant)
        if _covers(c.sender_domains, domain.name)
    ]
    return sorted(names, key=str.casefold)


def tenant_draft(request: TenantRequest, draft_id: str | uuid.UUID) -> ConnectorDraft:
    """The draft, with its validation run (every step shows or checks it) and its tenant, the
    one the request already holds."""
    draft = get_for_tenant(
        ConnectorDraft.objects.select_related("validation_run"), request.tenant, pk=draft_id
    )
    draft.tenant = request.tenant  # the same row: get_for_tenant matched on it
    return draft


def tenant_connector(request: TenantRequest, direction: str, pk: str | uuid.UUID) -> AnyConnector:
    """The connector, with its tenant (its forms check names among the tenant's connectors)."""
    if direction == "outbound":
        return get_for_tenant(
            OutboundConnector.objects.select_related("tenant"), request.tenant, pk=pk
        )
    return get_for_tenant(InboundConnector.objects.select_related("tenant"), request.tenant, pk=pk)
