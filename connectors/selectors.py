"""Reads for the connectors pages: the list rows, which connectors depend on a domain, and the
draft or connector a URL names (another tenant's answers 404, never 403, which would confirm it
exists)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from connectors.endpoints import SHORT_NAMES, Endpoint, far_end
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import AnyConnector
from eac.models import AcceptedDomain, Tenant
from eac.tenancy import TenantRequest, get_for_tenant
from eac.values import DomainPattern, parse_domain_pattern

SortKey = Literal["status", "name", "from", "to"]
SORT_KEYS: tuple[SortKey, ...] = ("status", "name", "from", "to")
COLUMN_LABELS: dict[SortKey, str] = {"status": "Status", "name": "Name", "from": "From", "to": "To"}
ROW_FIELDS = ("id", "name", "enabled", "connector_type")  # the list never needs the JSON lists


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
    *, tenant: Tenant, search: str = "", sort: SortKey = "status", descending: bool = False
) -> list[ConnectorRow]:
    """Both directions in one list, as the New EAC shows them, filtered by name and sorted."""
    search = search.strip()
    rows = [
        ConnectorRow(str(pk), "outbound", name, enabled, Endpoint.OFFICE_365, far_end(kind))
        for pk, name, enabled, kind in OutboundConnector.objects.filter(
            tenant=tenant, name__icontains=search
        ).values_list(*ROW_FIELDS)
    ] + [
        ConnectorRow(str(pk), "inbound", name, enabled, far_end(kind), Endpoint.OFFICE_365)
        for pk, name, enabled, kind in InboundConnector.objects.filter(
            tenant=tenant, name__icontains=search
        ).values_list(*ROW_FIELDS)
    ]
    keys = {
        "status": lambda r: r.status,
        "name": lambda r: r.name.casefold(),
        "from": lambda r: r.source_short,
        "to": lambda r: r.target_short,
    }
    rows.sort(key=lambda r: r.name.casefold())  # ties keep name order, whichever column sorts
    rows.sort(key=keys[sort], reverse=descending)
    return rows


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
    """The draft, with its validation run (every step shows or checks it)."""
    return get_for_tenant(
        ConnectorDraft.objects.select_related("validation_run"), request.tenant, pk=draft_id
    )


def tenant_connector(request: TenantRequest, direction: str, pk: str | uuid.UUID) -> AnyConnector:
    """The connector, with its tenant (its forms check names among the tenant's connectors)."""
    if direction == "outbound":
        return get_for_tenant(
            OutboundConnector.objects.select_related("tenant"), request.tenant, pk=pk
        )
    return get_for_tenant(InboundConnector.objects.select_related("tenant"), request.tenant, pk=pk)
