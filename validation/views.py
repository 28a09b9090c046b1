"""Validate this connector: the recipients list, the run's progress (polled by htmx), Stop, and
the run's details page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HTMX_STOP_POLLING

from connectors.models import OutboundConnector
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant, tenant_required
from validation import recording, services
from validation.forms import apply_recipient_buttons
from validation.models import ValidationRun
from validation.services import ValidationUnavailable, run_progress


def _runs(request: TenantRequest) -> Any:
    return ValidationRun.objects.filter(tenant=request.tenant).select_related("connector")


def _page(request: TenantRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    template = "validation/validate.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#panel"
    return render(request, template, context, status=status)


@vary_on_headers("HX-Request")
@capability_required(Capability.MANAGE_CONNECTORS)
def validate_connector(request: TenantRequest, pk: str) -> HttpResponse:
    connector = get_for_tenant(OutboundConnector.objects.all(), request.tenant, pk=pk)
    context: dict[str, Any] = {
        "connector": connector,
        "recipients": connector.validation_recipients,
    }
    if request.method != "POST":
        return _page(request, context)
    recipients, typed, error = apply_recipient_buttons(
        request.POST, tenant=request.tenant, target=services.target_of(connector)
    )
    context |= {"recipients": recipients, "typed": typed, "error": error}
    if request.POST.get("action") != "validate" or error:
        return _page(request, context, status=422 if error else 200)
    if not recipients:
        return _page(request, context | {"error": "Add at least one email address."}, status=422)
    try:
        run = services.validation_start(
            tenant=request.tenant,
            actor=request.user,
            connector=connector,
            recipients=recipients,
        )
    except ValidationUnavailable as exc:
        return _page(request, context | {"unavailable": str(exc)}, status=503)
    except ValidationError as exc:
        return _page(request, context | {"error": " ".join(exc.messages)}, status=422)
    url = reverse("validation:connector_run", args=[connector.pk, run.pk])
    if request.htmx:
        response = _page(
            request, context | {"run": run, "progress": run_progress(run), "typed": ""}
        )
        response["HX-Push-Url"] = url
        return response
    return redirect(url)


@vary_on_headers("HX-Request")
@tenant_required
def connector_run(request: TenantRequest, pk: str, run_id: str) -> HttpResponse:
    connector = get_for_tenant(OutboundConnector.objects.all(), request.tenant, pk=pk)
    recording.sweep_interrupted(run_id=run_id)
    run = get_for_tenant(_runs(request), request.tenant, pk=run_id, connector=connector)
    context = {
        "connector": connector,
        "recipients": run.recipients,
        "run": run,
        "progress": run_progress(run),
    }
    return _page(request, context)


@tenant_required
def run_progress_partial(request: TenantRequest, run_id: str) -> HttpResponse:
    recording.sweep_interrupted(run_id=run_id)
    run = get_for_tenant(_runs(request), request.tenant, pk=run_id)
    # `oob`: once the run ends, the Validate button comes back enabled beside the results.
    context = {"run": run, "progress": run_progress(run), "oob": True}
    # 286 tells htmx to stop polling once the run has ended.
    status = HTMX_STOP_POLLING if run.is_finished and request.htmx else 200
    return render(request, "validation/validate.html#progress", context, status=status)


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def stop_run(request: TenantRequest, run_id: str) -> HttpResponse:
    run = services.validation_stop(get_for_tenant(_runs(request), request.tenant, pk=run_id))
    if request.htmx:
        return run_progress_partial(request, run_id)
    if run.connector_id:
        return redirect("validation:connector_run", run.connector_id, run.pk)
    return redirect("validation:run", run.pk)


@tenant_required
def run_details(request: TenantRequest, run_id: str) -> HttpResponse:
    recording.sweep_interrupted(run_id=run_id)
    run = get_for_tenant(_runs(request), request.tenant, pk=run_id)
    return render(request, "validation/run.html", {"run": run, "tasks": run.tasks.all()})
