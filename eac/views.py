"""Sign-in, tenant switching and the Accepted domains page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connectors.selectors import connectors_using_domain
from eac import services
from eac.forms import DOMAIN_TYPE_HELP, AcceptedDomainAddForm, DomainTypeForm, SignInForm
from eac.models import AcceptedDomain
from eac.roles import Capability
from eac.tenancy import (
    SESSION_KEY,
    TenantRequest,
    capability_required,
    get_for_tenant,
    tenant_required,
)

signin = auth_views.LoginView.as_view(
    template_name="eac/signin.html",
    authentication_form=SignInForm,
    redirect_authenticated_user=True,
)
signout = auth_views.LogoutView.as_view()


def home(request: HttpRequest) -> HttpResponse:
    # A trainer's work starts from their classes; the sandboxes they may look into are reached
    # from there, not from whichever tenant happens to come first.
    if getattr(request.user, "is_trainer", False):
        return redirect("training:classes")
    return _console_home(request)


@tenant_required
def _console_home(request: TenantRequest) -> HttpResponse:
    return redirect("connectors:list")


@require_POST
@tenant_required
def switch_tenant(request: TenantRequest) -> HttpResponse:
    wanted = request.POST.get("tenant", "")
    membership = next((m for m in request.memberships if str(m.tenant_id) == wanted), None)  # type: ignore[attr-defined]
    if membership is None:
        messages.error(request, "You aren't a member of that organization.")
    else:
        request.session[SESSION_KEY] = membership.tenant_id
    return redirect("connectors:list")


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


@vary_on_headers("HX-Request")
@tenant_required
def accepted_domains(request: TenantRequest) -> HttpResponse:
    return _domain_page(request)


@vary_on_headers("HX-Request")
@tenant_required
def accepted_domain_details(request: TenantRequest, pk: int) -> HttpResponse:
    domain = get_for_tenant(AcceptedDomain.objects.select_related("tenant"), request.tenant, pk=pk)
    if request.method != "POST":
        initial = {"domain_type": domain.domain_type, "match_subdomains": domain.match_subdomains}
        return _domain_page(request, selected=domain, form=DomainTypeForm(initial=initial))
    if not request.membership.can(Capability.CHANGE_ACCEPTED_DOMAINS):
        return HttpResponse("Your role doesn't allow this change.", status=403)
    form = DomainTypeForm(request.POST)
    if form.is_valid():
        try:
            services.accepted_domain_update(
                domain=domain,
                actor=request.user,
                domain_type=form.cleaned_data["domain_type"],
                match_subdomains=form.cleaned_data["match_subdomains"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "The accepted domain is updated successfully")
            return redirect("accepted_domains")
    return _domain_page(request, selected=domain, form=form, status=422)


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
            _add_errors(form, exc)
        else:
            messages.success(request, f"{domain.name} was added as an accepted domain.")
            return redirect("accepted_domains")
    status = 422 if form.is_bound else 200
    return render(request, "eac/accepted_domain_add.html", {"form": form}, status=status)


@capability_required(Capability.ADD_REMOVE_ACCEPTED_DOMAINS)
def accepted_domain_remove(request: TenantRequest, pk: int) -> HttpResponse:
    domain = get_for_tenant(AcceptedDomain.objects.select_related("tenant"), request.tenant, pk=pk)
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


def _add_errors(form: DomainTypeForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
