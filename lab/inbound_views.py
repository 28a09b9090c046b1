"""Validate this connector, for an inbound connector (the EAC validates outbound ones only): the
page says what the lab will send and as which server; Validate sends it through the front door;
the result says whether Office 365 accepted it and attributed it to this connector, with the
trace's events (lab/inbound_check.py)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connectors.models import InboundConnector
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant, tenant_required
from lab.inbound_check import plan_for, validate_inbound, verdict
from lab.models import TracedMessage, TraceStatus
from lab.test_message import FrontDoorUnavailable
from lab.trace_reading import observe

TEMPLATE = "lab/validate_inbound.html"


def _connector(request: TenantRequest, pk: uuid.UUID) -> InboundConnector:
    return get_for_tenant(InboundConnector.objects.select_related("tenant"), request.tenant, pk=pk)


def _result_context(connector: InboundConnector, message: TracedMessage) -> dict[str, Any]:
    events = list(message.events.order_by("seq"))
    return {
        "message": message,
        "events": events,
        "pending": message.status == TraceStatus.PENDING,
        "verdict": verdict(connector, observe(message, events)),
    }


def _named_message(request: TenantRequest) -> TracedMessage | None:
    """The test message named by ?message=, if it is this organization's; else None (a stale or
    foreign id shows the page without a result rather than saying whether it exists)."""
    try:
        pk = uuid.UUID(request.GET.get("message", ""))
    except ValueError:
        return None
    return TracedMessage.objects.filter(tenant=request.tenant, pk=pk).first()


@vary_on_headers("HX-Request")
@tenant_required
def inbound_validation(request: TenantRequest, pk: uuid.UUID) -> HttpResponse:
    connector = _connector(request, pk)
    context: dict[str, Any] = {"connector": connector, "plan": plan_for(connector)}
    message = _named_message(request)
    if message is not None:
        context |= _result_context(connector, message)
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == "inbound-result":
        return render(request, f"{TEMPLATE}#result", context)
    return render(request, TEMPLATE, context)


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def inbound_validation_send(request: TenantRequest, pk: uuid.UUID) -> HttpResponse:
    """Sends the test message, then shows its result (Post/Redirect/Get)."""
    connector = _connector(request, pk)
    context: dict[str, Any] = {"connector": connector, "plan": plan_for(connector)}
    if not connector.enabled:  # the page offers no button then; a stale page still gets words
        return render(request, TEMPLATE, context)
    try:
        sent = validate_inbound(connector)
    except FrontDoorUnavailable as exc:
        return render(request, TEMPLATE, context | {"send_error": str(exc)}, status=503)
    if not sent.ids:  # refused before Office 365 chose an organization: nothing was traced
        replies = "; ".join(sent.refused.values())
        error = f"The front door refused the message without tracing it: {replies}"
        return render(request, TEMPLATE, context | {"send_error": error}, status=502)
    url = reverse("lab:validate_inbound", args=[connector.pk])
    return redirect(f"{url}?{urlencode({'message': str(sent.ids[0])})}")
