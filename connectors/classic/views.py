"""The Classic EAC view of the tenant: mail flow > connectors, the list with its details pane on
the right, and mail flow > accepted domains
(https://learn.microsoft.com/en-us/exchange/exchange-admin-center). The same selectors, services
and helpers as the New EAC; only the look and the words differ."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connectors.domains.edit import domain_type_edit
from connectors.domains.forms import DOMAIN_TYPE_HELP, DomainTypeForm
from connectors.models import OutboundConnector
from connectors.selectors import (
    SORT_KEYS,
    SortKey,
    column_headers,
    connector_rows,
    tenant_connector,
)
from connectors.status import set_connector_status
from eac import views as eac_views
from eac.models import AcceptedDomain, DomainType
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant, tenant_required

DOMAIN_TYPE_LABELS = {
    DomainType.AUTHORITATIVE: "Authoritative",
    DomainType.INTERNAL_RELAY: "Internal Relay",
}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def validation_result(connector: OutboundConnector) -> str:
    if connector.last_validation_timestamp is None:
        return "None"
    return "Successful" if connector.is_validated else "Failed"


@tenant_required
def connector_list(
    request: TenantRequest, direction: str = "", pk: uuid.UUID | None = None
) -> HttpResponse:
    """The list; with a connector in the URL, that row is selected and its details shown."""
    selected = request.GET.get("selected", "")  # "<direction>:<id>", as the Classic wizard links
    chosen_direction, _, chosen_pk = selected.partition(":")
    if pk is None and chosen_direction in ("outbound", "inbound") and _is_uuid(chosen_pk):
        return redirect("classic:connector", chosen_direction, chosen_pk)
    sort_param = request.GET.get("sort", "status")
    sort: SortKey = sort_param if sort_param in SORT_KEYS else "status"  # type: ignore[assignment]
    descending = request.GET.get("desc") == "1"
    # Selecting a row keeps the order the list was shown in.
    query = ({"sort": sort} if request.GET.get("sort") == sort else {}) | (
        {"desc": "1"} if descending else {}
    )
    context: dict[str, Any] = {
        "rows": connector_rows(tenant=request.tenant, sort=sort, descending=descending),
        "columns": column_headers(sort, descending, arrows=("▲", "▼")),
        "list_url": reverse("classic:connectors"),
        "query": urlencode(query),
    }
    if pk is not None:
        connector = tenant_connector(request, direction, pk)
        context |= {"connector": connector, "selected_id": str(connector.pk)}
        if isinstance(connector, OutboundConnector):
            context["validation_result"] = validation_result(connector)
    return render(request, "classic/connectors.html", context)


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def connector_set_status(request: TenantRequest, direction: str, pk: uuid.UUID) -> HttpResponse:
    """The pane's Turn it on / Turn it off; back to the same connector in the Classic list. The
    Classic EAC turns an outbound connector on without validating it again."""
    connector = tenant_connector(request, direction, pk)
    then = reverse("classic:connector", args=[connector.direction, connector.pk])
    return set_connector_status(request, connector, then=then)


@require_POST
@tenant_required
def switch_tenant(request: TenantRequest) -> HttpResponse:
    """The header's organization picker, landing on the Classic connectors list."""
    eac_views.switch_tenant(request)
    return redirect("classic:connectors")


# --- mail flow > accepted domains ----------------------------------------------------------


def _domain(request: TenantRequest, pk: int) -> AcceptedDomain:
    return get_for_tenant(AcceptedDomain.objects.select_related("tenant"), request.tenant, pk=pk)


@tenant_required
def accepted_domains(request: TenantRequest, pk: int | None = None) -> HttpResponse:
    domains = AcceptedDomain.objects.filter(tenant=request.tenant).select_related("tenant")
    context = {
        "rows": [(d, DOMAIN_TYPE_LABELS[DomainType(d.domain_type)]) for d in domains],
        "selected": _domain(request, pk) if pk is not None else None,
    }
    return render(request, "classic/accepted_domains.html", context)


@tenant_required
def accepted_domain_edit(request: TenantRequest, pk: int) -> HttpResponse:
    """The pencil's window: domain type and subdomains, read-only for roles that can't change them."""
    domain = _domain(request, pk)
    page = partial(_domain_edit_page, request, domain)
    saved_url = reverse("classic:accepted_domain", args=[domain.pk])
    return domain_type_edit(request, domain, page=page, saved_url=saved_url)


def _domain_edit_page(
    request: TenantRequest, domain: AcceptedDomain, form: DomainTypeForm, status: int
) -> HttpResponse:
    chosen = form["domain_type"].value()
    types = [
        {
            "value": value,
            "label": label,
            "help": DOMAIN_TYPE_HELP[value],
            "checked": value == chosen,
        }
        for value, label in DOMAIN_TYPE_LABELS.items()
    ]
    context = {"domain": domain, "form": form, "types": types}
    return render(request, "classic/accepted_domain_edit.html", context, status=status)
