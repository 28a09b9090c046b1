"""Turn on / Turn off: the New EAC details panel's buttons and the Classic details pane's links
post the same thing, and both answer with the same change and message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

from connectors import services
from connectors.services import AnyConnector
from eac.tenancy import TenantRequest

WANTED = {"on": True, "off": False}


def turning_on(request: TenantRequest) -> bool:
    return request.POST.get("status") == "on"


def set_connector_status(
    request: TenantRequest, connector: AnyConnector, *, then: str
) -> HttpResponse:
    """The connector turned on or off as posted (a repeated click changes nothing), then `then`.
    Anything but status=on or off is not something the pages post."""
    wanted = request.POST.get("status", "")
    if wanted not in WANTED:
        return HttpResponseBadRequest("Turn the connector on or off.")
    services.connector_set_enabled(connector=connector, actor=request.user, enabled=WANTED[wanted])
    messages.success(request, f"{connector.name} was turned {wanted}.")
    return redirect(then)
