"""An accepted domain's type and subdomains, changed from the New EAC's details panel or the
Classic pencil's window: the same form, rules and message; only the page around them differs."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect

from connectors.domains.forms import DomainTypeForm
from eac import services
from eac.formfields import add_service_errors
from eac.models import AcceptedDomain
from eac.roles import Capability
from eac.tenancy import TenantRequest

DomainPage = Callable[[DomainTypeForm, int], HttpResponse]  # the page with the form, its status


def domain_type_edit(
    request: TenantRequest, domain: AcceptedDomain, *, page: DomainPage, saved_url: str
) -> HttpResponse:
    """The form filled with the domain's settings; posted, the change saved (then `saved_url`),
    or the page again with why not (422). Everyone may look; changing takes the role for it."""
    if request.method != "POST":
        initial = {"domain_type": domain.domain_type, "match_subdomains": domain.match_subdomains}
        return page(DomainTypeForm(initial=initial), 200)
    if not request.membership.can(Capability.CHANGE_ACCEPTED_DOMAINS):
        return HttpResponseForbidden("Your role doesn't allow this change.")
    form = DomainTypeForm(request.POST)
    if form.is_valid() and _updated(request, domain, form):
        messages.success(request, "The accepted domain is updated successfully")
        return redirect(saved_url)
    return page(form, 422)


def _updated(request: TenantRequest, domain: AcceptedDomain, form: DomainTypeForm) -> bool:
    try:
        services.accepted_domain_update(
            domain=domain,
            actor=request.user,
            domain_type=form.cleaned_data["domain_type"],
            match_subdomains=form.cleaned_data["match_subdomains"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True
