"""Which tenant a request acts in, and the guards every tenant view goes through.

The current tenant is kept in the session and always re-checked against the user's memberships,
so a stale or forged session value can never reach another tenant's data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject
from django_htmx.middleware import HtmxDetails

from eac.models import Membership, Tenant, User
from eac.roles import Capability

SESSION_KEY = "eac_tenant_id"

M = TypeVar("M", bound=Model)


class TenantRequest(HttpRequest):
    """What the middleware adds; views that require a tenant can rely on both being set."""

    htmx: HtmxDetails
    user: User  # tenant_required has checked the visitor is signed in
    tenant: Tenant
    membership: Membership


def memberships_of(request: HttpRequest) -> list[Membership]:
    if not request.user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=request.user).select_related("tenant"))


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the organization chosen in the session, else the first by name. One
    query, whatever the number of memberships: a trainer holds one for every sandbox of every
    class they have run."""
    if not request.user.is_authenticated:
        return None
    mine = Membership.objects.filter(user=request.user).select_related("tenant")
    chosen = request.session.get(SESSION_KEY)
    found = mine.filter(tenant_id=chosen).first() if isinstance(chosen, int) else None
    return found or mine.first()


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = current_membership(request)
        # All of them only for what lists them (the organization switcher of a full page).
        request.memberships = SimpleLazyObject(lambda: memberships_of(request))  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        request.tenant = membership.tenant if membership else None  # type: ignore[attr-defined]
        return self.get_response(request)


TenantView = Callable[..., HttpResponse]


def tenant_required(view: TenantView) -> TenantView:
    """Signed in, and a member of some tenant; otherwise the sign-in page or a plain refusal."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "membership", None) is None:
            return render(request, "eac/no_access.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def capability_required(capability: Capability) -> Callable[[TenantView], TenantView]:
    """Refuses, server side, what the role may not do, whatever the page showed."""

    def decorate(view: TenantView) -> TenantView:
        @wraps(view)
        def guarded(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.membership.can(capability):
                return HttpResponseForbidden("Your role doesn't allow this change.")
            return view(request, *args, **kwargs)

        return tenant_required(guarded)

    return decorate


def get_for_tenant(queryset: QuerySet[M], tenant: Tenant, **lookup: Any) -> M:
    """One object of the current tenant, or 404 — never 403, which would confirm it exists."""
    return get_object_or_404(queryset.filter(tenant=tenant), **lookup)


def console_context(request: HttpRequest) -> dict[str, Any]:
    membership: Membership | None = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "can": {cap.value: bool(membership and membership.can(cap)) for cap in Capability},
    }
