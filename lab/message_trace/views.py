"""The Message trace page: the search, its results newest first with "Show more", and one
message's details beside them (a flyout with htmx, the same page with the flyout without)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from eac.tenancy import TenantRequest, get_for_tenant, tenant_required
from eac.values import parse_count
from lab.message_trace.search import DEFAULT_TIME_RANGE, TraceSearchForm, traced_messages
from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus

PAGE = 50  # rows shown at first; "Show more" adds as many again
TEMPLATE = "lab/trace.html"


def _search_form(request: TenantRequest) -> TraceSearchForm:
    data = request.GET.copy()
    if not data.get("time_range"):  # the first visit, or a link that named no range
        data["time_range"] = DEFAULT_TIME_RANGE
    return TraceSearchForm(data)


def _search_state(form: TraceSearchForm) -> dict[str, str]:
    """The search as typed, to carry in the page's links (Show more, a row, Close, polling);
    a refused search carries nothing."""
    if not form.is_valid():
        return {}
    return {name: str(form.data[name]) for name in form.fields if form.data.get(name)}


def _limit(request: TenantRequest) -> int:
    return max(PAGE, parse_count(request.GET.get("limit", ""), below=10**9) or PAGE)


def _results_context(request: TenantRequest, form: TraceSearchForm) -> dict[str, Any]:
    state = _search_state(form)
    context: dict[str, Any] = {"form": form, "search_query": urlencode(state)}
    if not form.is_valid():
        return context
    found = traced_messages(request.tenant, form.search(timezone.now()))
    limit = _limit(request)
    total = found.count()
    rows = list(found[:limit])
    state |= {"limit": str(limit)}
    return context | {
        "rows": rows,
        "total": total,
        "more_query": urlencode(state | {"limit": str(limit + PAGE)}) if total > limit else "",
        "poll_query": urlencode(state),
        # The results ask again every few seconds while one of them is still on its way.
        "polling": any(row.status == TraceStatus.PENDING for row in rows),
    }


def _details_context(message: TracedMessage) -> dict[str, Any]:
    events = list(message.events.order_by("seq"))
    return {
        "message": message,
        "events": events,
        "failure": _failure(message, events),
        "pending": message.status == TraceStatus.PENDING,
    }


def _failure(message: TracedMessage, events: list[TraceEvent]) -> TraceEvent | None:
    """The event that explains a failed message: its last Fail, shown above everything else."""
    if message.status != TraceStatus.FAILED:
        return None
    return next((e for e in reversed(events) if e.kind == TraceEventKind.FAIL), None)


@vary_on_headers("HX-Request")
@tenant_required
def message_trace(request: TenantRequest) -> HttpResponse:
    form = _search_form(request)
    context = _results_context(request, form)
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == "trace-results":
        return render(request, f"{TEMPLATE}#results", context)
    # A refused search is answered with the same page and 422 (docs/forms.md).
    status = 422 if form.errors else 200
    return render(request, TEMPLATE, context, status=status)


@vary_on_headers("HX-Request")
@tenant_required
def traced_message(request: TenantRequest, pk: Any) -> HttpResponse:
    message = get_for_tenant(TracedMessage.objects.all(), request.tenant, pk=pk)
    form = _search_form(request)
    details = _details_context(message) | {"search_query": urlencode(_search_state(form))}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{TEMPLATE}#flyout", details)
    context = _results_context(request, form) | details | {"selected_id": message.pk}
    return render(request, TEMPLATE, context)
