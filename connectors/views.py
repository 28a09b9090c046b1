"""The New EAC Connectors page: list, search, sort, and the details panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from connectors.effects import inert_settings, not_simulated
from connectors.interchange.export import json_value
from connectors.interchange.properties import (
    SETTINGS,
    AddressSpaces,
    Choice,
    Flag,
    Kind,
    Property,
)
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
from connectors.summaries import connector_sections, described_fields, validation_result
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


# --- The details panel's Advanced section ---------------------------------------------------
# Every property the connector keeps that the sections above don't put into words (the ones only
# PowerShell, the Hybrid Configuration Wizard or an import set, and any the wording leaves out
# for this connector), by the name Get-…Connector prints, with the value it would print.

# The Validation section shows these.
SHOWN_IN_VALIDATION = frozenset({"is_validated", "last_validation_timestamp"})
# Not settings, so never "not at the default": where the connector came from, and the addresses
# a validation used.
RECORDS = frozenset({"connector_source", "validation_recipients"})


@dataclass(frozen=True)
class Note:
    label: str  # "No effect" or "Not simulated"
    why: str


@dataclass(frozen=True)
class AdvancedSetting:
    name: str  # the cmdlets' property name
    lines: tuple[str, ...]  # the value as Get-…Connector prints it; a list one entry a line
    changed: bool  # a setting not at its default
    notes: tuple[Note, ...]


def _value_lines(prop: Property, value: Any) -> tuple[str, ...]:
    """A value as PowerShell prints the property: True/False, a list one entry a line, nothing
    for an empty one, zeros for no GUID (the JSON export's value, so both say the same)."""
    printed = json_value(prop, value)
    if isinstance(printed, bool):
        return (str(printed),)  # Python's True/False are PowerShell's
    if isinstance(printed, list):
        return tuple(str(entry) for entry in printed)
    return () if printed is None else (str(printed),)


def _notes(connector: OutboundConnector | InboundConnector) -> dict[str, list[Note]]:
    notes: dict[str, list[Note]] = {}
    for label, settings in (
        ("No effect", inert_settings(connector)),
        ("Not simulated", not_simulated(connector)),
    ):
        for setting in settings:
            notes.setdefault(setting.property, []).append(Note(label, setting.why))
    return notes


def _at_default(prop: Property, value: Any) -> bool:
    """Whether a value is what the cmdlets take when the parameter is left out."""
    match prop.value:
        case Flag(default=default) | Choice(default=default):
            return bool(value == default or (default is None and not value))
        case AddressSpaces():
            return True  # SenderDomains is required: there is no default to differ from
    return not value  # an empty text or list, no GUID, no time


def advanced_settings(connector: OutboundConnector | InboundConnector) -> list[AdvancedSetting]:
    """The Advanced section's rows, in the order of the property table. A setting with a note
    is listed even if a section describes it, so no note goes unseen."""
    shown = described_fields(connector) | (
        SHOWN_IN_VALIDATION if isinstance(connector, OutboundConnector) else frozenset()
    )
    notes = _notes(connector)
    kind: Kind = "outbound" if isinstance(connector, OutboundConnector) else "inbound"
    return [
        _advanced_setting(prop, getattr(connector, prop.field), notes.get(prop.name, []))
        for prop in SETTINGS[kind]
        if prop.field not in shown or prop.name in notes
    ]


def _advanced_setting(prop: Property, value: Any, notes: list[Note]) -> AdvancedSetting:
    return AdvancedSetting(
        name=prop.label,
        lines=_value_lines(prop, value),
        changed=prop.field not in RECORDS and not _at_default(prop, value),
        notes=tuple(notes),
    )


def advanced_context(connector: OutboundConnector | InboundConnector) -> dict[str, Any]:
    settings = advanced_settings(connector)
    return {
        "advanced": settings,
        "advanced_changed": sum(setting.changed for setting in settings),
        "get_cmdlet": f"Get-{connector.direction.capitalize()}Connector",
    }


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
    context |= powershell_context(connector) | advanced_context(connector)
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
