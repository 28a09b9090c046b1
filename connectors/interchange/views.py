"""The pages of this package: the details panel's cmdlet lines, Export as PowerShell, Export as
JSON, and the Import page (paste or upload, preview, then import)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from connectors.interchange.apply import import_configuration
from connectors.interchange.documents import DOCUMENT_LABELS, ImportSources, read_file
from connectors.interchange.errors import ImportRejected, ImportTooLarge
from connectors.interchange.export import tenant_export_text
from connectors.interchange.limits import MAX_ERRORS_SHOWN, MAX_ITEMS, MAX_JSON_BYTES, size_text
from connectors.interchange.plan import ImportPlan, plan_import
from connectors.interchange.powershell import (
    connector_lines,
    needs_send_connector,
    new_send_connector_line,
    tenant_script,
)
from connectors.models import InboundConnector, OutboundConnector
from eac.limits import answers_too_large
from eac.models import AcceptedDomain, Tenant
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, tenant_required


def powershell_context(connector: OutboundConnector | InboundConnector) -> dict[str, Any]:
    """The details panel's PowerShell section."""
    context: dict[str, Any] = {"powershell_lines": connector_lines(connector)}
    if isinstance(connector, OutboundConnector):
        tenant = connector.tenant
        domains = dict(
            AcceptedDomain.objects.filter(tenant=tenant).values_list("name", "is_default")
        )
        if needs_send_connector(connector, domains):
            default = next((name for name, is_default in domains.items() if is_default), None)
            context["send_connector_line"] = new_send_connector_line(
                tenant, default or tenant.initial_domain
            )
    return context


# --- Exports -------------------------------------------------------------------------------


def _tenant_objects(
    tenant: Tenant,
) -> tuple[list[AcceptedDomain], list[OutboundConnector], list[InboundConnector]]:
    return (
        list(AcceptedDomain.objects.filter(tenant=tenant).order_by("name")),
        list(OutboundConnector.objects.filter(tenant=tenant).order_by("name")),
        list(InboundConnector.objects.filter(tenant=tenant).order_by("name")),
    )


def _attachment(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


@require_GET
@never_cache
@tenant_required
def export_script(request: TenantRequest) -> HttpResponse:
    """Any member may export: it shows only what the details panels already show."""
    tenant = request.tenant
    script = tenant_script(tenant, *_tenant_objects(tenant), generated_at=timezone.now())
    # The BOM makes Windows PowerShell 5.1 read the file as UTF-8, not the ANSI code page, so
    # names with accents survive.
    return _attachment(
        "\ufeff" + script, "text/plain; charset=utf-8", f"{tenant.initial_domain}-connectors.ps1"
    )


@require_GET
@never_cache
@tenant_required
def export_json(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    return _attachment(
        tenant_export_text(*_tenant_objects(tenant)),
        "application/json; charset=utf-8",
        f"{tenant.initial_domain}-connectors.json",
    )


# --- Import --------------------------------------------------------------------------------

SOURCE_KEYS = ("domains", "outbound", "inbound", "bundle")
SOURCE_HELP = {
    "domains": "Get-AcceptedDomain | ConvertTo-Json",
    "outbound": "Get-OutboundConnector | ConvertTo-Json",
    "inbound": "Get-InboundConnector | ConvertTo-Json",
    "bundle": "This console's Export as JSON (all three in one file)",
}


class ImportForm(forms.Form):
    """A box to paste into, or a file, for each cmdlet's output; all optional."""

    replace = forms.BooleanField(
        label="Replace connectors that have the same name",
        required=False,
        help_text="Without this, a name that already exists in this organization is an error.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in SOURCE_KEYS:
            label = DOCUMENT_LABELS[key]
            self.fields[f"{key}_json"] = forms.CharField(
                label=label,
                required=False,
                strip=False,
                help_text=SOURCE_HELP[key],
                widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
            )
            self.fields[f"{key}_file"] = forms.FileField(
                label=f"…or upload {label[0].lower()}{label[1:]} as a file", required=False
            )
        self.order_fields([*(f"{k}_{s}" for k in SOURCE_KEYS for s in ("json", "file")), "replace"])

    def sources(self) -> ImportSources:
        """The texts to import, with uploaded files read (and size-checked) in place of their box."""
        texts: dict[str, str] = {}
        for key in SOURCE_KEYS:
            upload: UploadedFile | None = self.cleaned_data.get(f"{key}_file")
            text: str = self.cleaned_data.get(f"{key}_json") or ""
            if upload is not None:
                label = DOCUMENT_LABELS[key]
                if text.strip():
                    raise ImportRejected([f"{label}: paste the JSON or upload a file, not both."])
                text = read_file(upload, upload.size or 0, label)
            texts[key] = text
        return ImportSources(**texts)


def preview_token(sources: ImportSources, replace: bool) -> str:
    """Ties Import to the preview the admin saw: other JSON needs a new preview."""
    return hashlib.sha256(json.dumps([sources.texts(), replace]).encode()).hexdigest()


def _form_with(sources: ImportSources, replace: bool) -> ImportForm:
    # Uploaded files move into their boxes, so Import posts exactly what was previewed.
    initial: dict[str, Any] = {f"{key}_json": text for key, text in sources.texts().items()}
    return ImportForm(initial=initial | {"replace": replace})


def _import_page(
    request: TenantRequest,
    form: ImportForm,
    *,
    plan: ImportPlan | None = None,
    errors: list[str] | None = None,
    token: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    errors = errors if errors is not None else (plan.errors if plan else [])
    context = {
        "form": form,
        "plan": plan,
        "errors": errors[:MAX_ERRORS_SHOWN],
        "more_errors": max(0, len(errors) - MAX_ERRORS_SHOWN),
        "token": token,
        "notice": notice,
        "max_items": f"{MAX_ITEMS:,}",
        "max_size": size_text(MAX_JSON_BYTES),
    }
    return render(request, "connectors/import.html", context, status=status)


def _role_limits(request: TenantRequest) -> dict[str, bool]:
    """Importing domains needs the roles that may add them or change their type."""
    return {
        "may_add_domains": request.membership.can(Capability.ADD_REMOVE_ACCEPTED_DOMAINS),
        "may_change_domains": request.membership.can(Capability.CHANGE_ACCEPTED_DOMAINS),
    }


def _pasted_too_much(request: HttpRequest) -> HttpResponse | None:
    """More pasted than Django accepts in a request: the import page, with the limit, for those
    who may import (eac.limits)."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can(Capability.MANAGE_CONNECTORS):
        return None
    sent = int(request.META.get("CONTENT_LENGTH") or 0)
    error = (
        f"The import sent {size_text(sent)}; at most {size_text(MAX_JSON_BYTES)} of JSON can be "
        "imported at once. Import the accepted domains and each kind of connector separately."
    )
    return _import_page(request, ImportForm(), errors=[error], status=413)  # type: ignore[arg-type]


@answers_too_large(_pasted_too_much)
@never_cache
@capability_required(Capability.MANAGE_CONNECTORS)
def connector_import(request: TenantRequest) -> HttpResponse:
    """Preview first (writes nothing), then Import: all of it in one transaction, or none."""
    if request.method != "POST":
        return _import_page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=422)
    replace = bool(form.cleaned_data["replace"])
    sources: ImportSources | None = None
    notice = ""
    try:
        sources = form.sources()
        token = preview_token(sources, replace)
        action = request.POST.get("action")
        if action in ("import", "import_valid"):
            if request.POST.get("previewed") == token:
                plan = import_configuration(
                    tenant=request.tenant,
                    sources=sources,
                    actor=request.user,
                    replace=replace,
                    skip_refused=action == "import_valid",
                    **_role_limits(request),
                )
                messages.success(request, f"Import complete: {plan.summary()}.")
                return redirect("connectors:list")
            notice = "The JSON changed since the preview. Check this preview, then import."
        plan = plan_import(
            tenant=request.tenant, sources=sources, replace=replace, **_role_limits(request)
        )
    except ImportTooLarge as exc:
        return _import_page(request, ImportForm(), errors=exc.errors, status=413)
    except ImportRejected as exc:
        shown = _form_with(sources, replace) if sources is not None else form
        return _import_page(request, shown, errors=exc.errors, status=422)
    status = 422 if plan.errors else 200
    return _import_page(
        request, _form_with(sources, replace), plan=plan, token=token, notice=notice, status=status
    )
