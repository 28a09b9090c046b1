"""Sign-in, sign-out, the home page and tenant switching. The Accepted domains pages are beside
the connectors (`connectors.domains.views`): their Remove names the connectors using a domain."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from eac.forms import SignInForm
from eac.tenancy import SESSION_KEY, TenantRequest, tenant_required

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
