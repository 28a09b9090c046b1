"""The New EAC's Accepted domains pages: the list, a domain's details panel (where its type is
changed), Add and Remove
(https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/manage-accepted-domains/manage-accepted-domains).
Here, beside the connectors, because Remove names the connectors that use the domain."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from connectors.domains.edit import domain_type_edit
from connectors.domains.forms import DOMAIN_TYPE_HELP, AcceptedDomainAddForm, DomainTypeForm
from connectors.selectors import connectors_using_domain
from eac import services
from eac.formfields import add_service_errors
from eac.models import AcceptedDomain
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant, tenant_required


def _domain(request: TenantRequest, pk: int) -> AcceptedDomain:
    return get_for_tenant(AcceptedDomain.objects.select_related("tenant"), request.tenant, pk=pk)


def _domain_page(
    request: TenantRequest,
    *,
    selected: AcceptedDomain | None = None,
    form: DomainTypeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    domains = AcceptedDomain.objects.filter(tenant=request.tenant).select_related("tenant")
    context = {
        "domains": domains,
        "selected": selected,
        "form": form,
        "type_help": DOMAIN_TYPE_HELP,
    }
    template = "eac/accepted_domains.html"
    if request.htmx and not request.htmx.history_restore_request and selected is not None:
        template += "#panel"
    return render(request, template, context, status=status)


def _details_panel(
    request: TenantRequest, domain: AcceptedDomain, form: DomainTypeForm, status: int
) -> HttpResponse:
    return _domain_page(request, selected=domain, form=form, status=status)


@vary_on_headers("HX-Request")
@tenant_required
def accepted_domains(request: TenantRequest) -> HttpResponse:
    return _domain_page(request)


@vary_on_headers("HX-Request")
@tenant_required
def accepted_domain_details(request: TenantRequest, pk: int) -> HttpResponse:
    domain = _domain(request, pk)
    page = partial(_details_panel, request, domain)
    return domain_type_edit(request, domain, page=page, saved_url=reverse("accepted_domains"))


@capability_required(Capability.ADD_REMOVE_ACCEPTED_DOMAINS)
def accepted_domain_add(request: TenantRequest) -> HttpResponse:
    form = AcceptedDomainAddForm(request.POST or None, initial={"domain_type": "Authoritative"})
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.accepted_domain_add(
                tenant=request.tenant,
                actor=request.user,
                name=form.cleaned_data["name"],
                domain_type=form.cleaned_data["domain_type"],
                match_subdomains=form.cleaned_data["match_subdomains"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{domain.name} was added as an accepted domain.")
            return redirect("accepted_domains")
    status = 422 if form.is_bound else 200
    return render(request, "eac/accepted_domain_add.html", {"form": form}, status=status)


@capability_required(Capability.ADD_REMOVE_ACCEPTED_DOMAINS)
def accepted_domain_remove(request: TenantRequest, pk: int) -> HttpResponse:
    domain = _domain(request, pk)
    error = ""
    if request.method == "POST":
        try:
            services.accepted_domain_remove(domain=domain, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"{domain.name} was removed.")
            return redirect("accepted_domains")
    context = {
        "domain": domain,
        "used_by": connectors_using_domain(domain),
        "error": error,
        "cancel_url": reverse("accepted_domain", args=[domain.pk]),
    }
    return render(request, "eac/accepted_domain_remove.html", context, status=422 if error else 200)
