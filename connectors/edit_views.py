"""Changes from the details panel (eac-facts §1.8): each "Edit …" link opens one wizard step as a
page with Save / Cancel, Turn on / Turn off, and Delete (from the panel, or rows chosen in the
list). The steps' forms and templates are the wizard's own."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import BadRequest, ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connectors import services, wizard
from connectors.formfields import LIST_ACTION, apply_list_action
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import AnyConnector, ConnectorConflict
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant

OPENED_SALT = "connectors.edit.opened"

# How a conflict names another save's changes: the labels of the pages the properties are on.
FIELD_LABELS = {
    "name": "Name",
    "comment": "Description",
    "enabled": "Status",
    "cloud_services_mail_enabled": "Retain internal Exchange email headers",
    "connector_type": "Mail flow scenario",
    "connector_source": "Connector source",
    "all_accepted_domains": "Use of connector",
    "is_transport_rule_scoped": "Use of connector",
    "recipient_domains": "Domains",
    "use_mx_record": "Routing",
    "smart_hosts": "Smart hosts",
    "tls_settings": "Security restrictions",
    "tls_domain": "Certificate domain",
    "sender_domains": "Sender domains",
    "sender_ip_addresses": "IP addresses",
    "require_tls": "Reject email messages if they aren't sent over TLS",
    "restrict_domains_to_certificate": "Certificate name restriction",
    "tls_sender_certificate_name": "Certificate domain",
    "restrict_domains_to_ip_addresses": "IP address restriction",
}

# A model error about a property shows next to the form field that sets it.
FORM_FIELDS_FOR = {
    "comment": ("description",),
    "enabled": ("turn_on",),
    "cloud_services_mail_enabled": ("retain_headers",),
    "all_accepted_domains": ("use",),
    "tls_sender_certificate_name": ("certificate_domain",),
    "sender_ip_addresses": ("sender_ips", "restricted_ips"),
}


def _connector(request: TenantRequest, direction: str, pk: Any) -> AnyConnector:
    if direction == "outbound":
        return get_for_tenant(
            OutboundConnector.objects.select_related("tenant"), request.tenant, pk=pk
        )
    return get_for_tenant(InboundConnector.objects.select_related("tenant"), request.tenant, pk=pk)


def _details_url(connector: AnyConnector) -> str:
    return reverse("connectors:details", args=[connector.direction, connector.pk])


# --- Edit … ------------------------------------------------------------------------------------


@capability_required(Capability.MANAGE_CONNECTORS)
def connector_edit(request: TenantRequest, direction: str, pk: uuid.UUID, key: str) -> HttpResponse:
    connector = _connector(request, direction, pk)
    step = next((s for s in wizard.edit_steps(connector) if s.key == key), None)
    if step is None:
        raise Http404("This connector has no such page.")
    if request.method != "POST":
        return _edit_page(request, connector, step, _form(step, connector), _sign(connector))
    token = request.POST.get("opened", "")
    opened = _unsign(token, connector)
    form = _form(step, connector, data=request.POST)
    if LIST_ACTION in request.POST:  # + or a delete icon: redisplay, nothing is saved yet
        shown = apply_list_action(form, request.POST[LIST_ACTION])
        return _edit_page(request, connector, step, shown, token)
    if not form.is_valid():
        return _edit_page(request, connector, step, form, token, status=422)
    values = form.json()  # type: ignore[attr-defined]
    if "retain_headers" in values and "retain_headers" not in form.fields:
        # Not on this connector's page (partner connectors): what the page doesn't show stays.
        values["retain_headers"] = connector.cloud_services_mail_enabled
    try:
        services.connector_update(
            connector=connector,
            actor=request.user,
            fields=wizard.edited_fields(connector, step.key, values),
            expected_version=opened["version"],
            opened=opened["settings"],
        )
    except ConnectorConflict as exc:
        # The user's input stays; Save again now replaces the other save, knowingly.
        changed = list(dict.fromkeys(FIELD_LABELS.get(f, f) for f in exc.changed))
        context = {"conflict": True, "changed": changed}
        return _edit_page(
            request, exc.current, step, form, _sign(exc.current), status=409, extra=context
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _edit_page(request, connector, step, form, token, status=422)
    except ObjectDoesNotExist:
        messages.error(request, f"{connector.name} was deleted by someone else.")
        return redirect("connectors:list")
    messages.success(request, "Connector updated successfully")
    return redirect(_details_url(connector))


def _form(step: wizard.Step, connector: AnyConnector, data: Any = None) -> forms.Form:
    # Empty values are left out so a greyed-out choice shows the form's default, as in the wizard.
    values = wizard.step_values_of(connector, step.key)
    initial = {k: v for k, v in values.items() if v not in ("", None)}
    source, target = wizard.connector_scenario(connector)
    assert step.form is not None
    return step.form(data=data, initial=initial, source=source, target=target)  # type: ignore[call-arg]


def _sign(connector: AnyConnector) -> str:
    """What the page was opened with, signed so a save can say what someone else changed."""
    opened = {
        "id": str(connector.pk),
        "version": connector.version,
        "settings": services.connector_settings(connector),
    }
    return signing.dumps(opened, salt=OPENED_SALT)


def _unsign(token: str, connector: AnyConnector) -> dict[str, Any]:
    try:
        opened: dict[str, Any] = signing.loads(token, salt=OPENED_SALT)
    except signing.BadSignature as exc:
        raise BadRequest("This page is out of date. Open it again from the connector.") from exc
    if opened.get("id") != str(connector.pk):
        raise BadRequest("This page belongs to another connector.")
    return opened


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        names = (field, *FORM_FIELDS_FOR.get(field, ()))
        form.add_error(next((n for n in names if n in form.fields), None), errors)


def _edit_page(
    request: TenantRequest,
    connector: AnyConnector,
    step: wizard.Step,
    form: forms.Form,
    opened: str,
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    source, target = wizard.connector_scenario(connector)
    context = {
        "connector": connector,
        "step": step,
        "form": form,
        "source": source,
        "target": target,
        "opened": opened,
        "action_url": reverse(
            "connectors:edit", args=[connector.direction, connector.pk, step.key]
        ),
        "cancel_url": _details_url(connector),
    } | (extra or {})
    return render(request, "connectors/edit.html", context, status=status)


# --- Turn on / Turn off ------------------------------------------------------------------------


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def connector_set_status(request: TenantRequest, direction: str, pk: uuid.UUID) -> HttpResponse:
    connector = _connector(request, direction, pk)
    wanted = request.POST.get("status")
    if wanted not in ("on", "off"):
        return HttpResponseBadRequest("Turn the connector on or off.")
    services.connector_set_enabled(connector=connector, actor=request.user, enabled=wanted == "on")
    messages.success(request, f"{connector.name} was turned {wanted}.")
    return redirect(_details_url(connector))


# --- Delete ------------------------------------------------------------------------------------


@capability_required(Capability.MANAGE_CONNECTORS)
def connector_delete(request: TenantRequest, direction: str, pk: uuid.UUID) -> HttpResponse:
    connector = _connector(request, direction, pk)
    return _delete(request, [connector], cancel_url=_details_url(connector))


@capability_required(Capability.MANAGE_CONNECTORS)
def connectors_delete_selected(request: TenantRequest) -> HttpResponse:
    """The list's Delete: the rows ticked there, as "<direction>:<id>" values."""
    chosen = (request.POST if request.method == "POST" else request.GET).getlist("connector")
    if not chosen:
        messages.error(request, "Select a connector to delete.")
        return redirect("connectors:list")
    connectors = [_chosen(request, value) for value in dict.fromkeys(chosen)]
    return _delete(request, connectors, cancel_url=reverse("connectors:list"))


def _chosen(request: TenantRequest, value: str) -> AnyConnector:
    direction, _, pk = value.partition(":")
    try:
        uuid.UUID(pk)
    except ValueError as exc:
        raise Http404("No such connector.") from exc
    if direction not in ("outbound", "inbound"):
        raise Http404("No such connector.")
    return _connector(request, direction, pk)


def _delete(
    request: TenantRequest, connectors: list[AnyConnector], *, cancel_url: str
) -> HttpResponse:
    if request.method == "POST":
        services.connectors_delete(connectors=connectors, actor=request.user)
        if len(connectors) == 1:
            messages.success(request, f"{connectors[0].name} was deleted.")
        else:
            messages.success(request, f"{len(connectors)} connectors were deleted.")
        return redirect("connectors:list")
    context = {"connectors": connectors, "cancel_url": cancel_url, "action_url": request.path}
    return render(request, "connectors/delete.html", context)
