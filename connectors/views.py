"""The New EAC Connectors page: list, search, sort, and the details panel."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from connectors.interchange.views import powershell_context
from connectors.mailflow.findings import configuration_findings
from connectors.models import InboundConnector, OutboundConnector
from connectors.selectors import (
    SORT_KEYS,
    SortKey,
    column_headers,
    connector_count,
    connector_rows,
)
from connectors.summaries import connector_sections, validation_result
from eac.tenancy import TenantRequest, get_for_tenant, tenant_required
from eac.values import parse_count
from validation.selectors import latest_run

PAGE = 100  # rows shown at first; "Show more" adds as many again
# Configuration check findings shown at first (errors come first); a large tenant can have
# thousands, and the page would cost as many.
FINDINGS_SHOWN = 10


MOST_ROWS = 100_000  # what "Show more" can reach; a larger ?limit= would overflow the query


def _limit(text: str) -> int:
    """The rows to show: ?limit= from "Show more", within PAGE..MOST_ROWS."""
    return min(max(PAGE, parse_count(text, below=10**12) or PAGE), MOST_ROWS)


def _search_text(typed: str) -> str:
    """What the search box matches names with: its printable characters (a connector name has no
    others, and PostgreSQL refuses a NUL in a query), at most 128 of them."""
    return "".join(ch for ch in typed if ch.isprintable())[:128]


def list_context(request: TenantRequest) -> dict[str, Any]:
    search = _search_text(request.GET.get("q", ""))
    sort_param = request.GET.get("sort", "status")
    sort: SortKey = sort_param if sort_param in SORT_KEYS else "status"  # type: ignore[assignment]
    descending = request.GET.get("desc") == "1"
    limit = _limit(request.GET.get("limit", ""))
    rows = connector_rows(
        tenant=request.tenant, search=search, sort=sort, descending=descending, limit=limit
    )
    total = connector_count(tenant=request.tenant, search=search)
    more = {"q": search, "sort": sort, "limit": limit + PAGE} | (
        {"desc": "1"} if descending else {}
    )
    return {
        "rows": rows,
        "total": total,
        "more_query": urlencode(more) if total > limit else "",
        "list_url": reverse("connectors:list"),
        "search": search,
        "sort": sort,
        "descending": descending,
        "columns": column_headers(
            sort, descending, arrows=("↑", "↓"), keep={"q": search} if search else None
        ),
    }


@vary_on_headers("HX-Request")
@tenant_required
def connector_list(request: TenantRequest) -> HttpResponse:
    context = list_context(request)
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == "connector-table":
        # The table, plus the item count and sort state swapped in out of band.
        return render(request, "connectors/list.html#table", context | {"oob": True})
    findings = configuration_findings(request.tenant)  # full page only, not on every search
    shown = findings if request.GET.get("checks") == "all" else findings[:FINDINGS_SHOWN]
    return render(
        request,
        "connectors/list.html",
        context | {"findings": shown, "findings_total": len(findings)},
    )


@vary_on_headers("HX-Request")
@tenant_required
def connector_details(request: TenantRequest, direction: str, pk: str) -> HttpResponse:
    connector: OutboundConnector | InboundConnector
    if direction == "outbound":
        connector = get_for_tenant(OutboundConnector.objects.all(), request.tenant, pk=pk)
    else:
        connector = get_for_tenant(InboundConnector.objects.all(), request.tenant, pk=pk)
    context: dict[str, Any] = {
        "connector": connector,
        "sections": connector_sections(connector),
    }
    context |= powershell_context(connector)
    if isinstance(connector, OutboundConnector):
        context |= {
            "validation_result": validation_result(connector),
            "last_run": latest_run(connector),
        }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "connectors/list.html#flyout", context)
    return render(
        request,
        "connectors/list.html",
        list_context(request) | context | {"selected_id": str(connector.pk)},
    )
