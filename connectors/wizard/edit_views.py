"""Changes from the details panel, as the New EAC makes them
(https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/set-up-connectors-to-route-mail):
each "Edit …" link opens one wizard step as a page with Save / Cancel, Turn on / Turn off, and
Delete (from the panel, or rows chosen in the list). The steps' forms and templates are the
wizard's own, and so are its decisions on validating and saving a draft
(`connectors.wizard.engine`); docs/forms.md, "Edit panels"."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import BadRequest, ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connectors import services
from connectors.interchange.properties import LABELS as PROPERTY_LABELS
from connectors.models import ConnectorDraft, OutboundConnector
from connectors.selectors import tenant_connector
from connectors.services import AnyConnector, ConnectorConflict
from connectors.status import set_connector_status, turning_on
from connectors.views import list_context
from connectors.wizard import drafts, engine
from connectors.wizard import steps as wizard
from connectors.wizard.answers import StepAnswers
from connectors.wizard.draft_validation import (
    MoveOn,
    RecipientList,
    answer_validation_step,
    kept_recipients,
)
from connectors.wizard.forms import AnswerForm
from eac.formfields import LIST_ACTION, add_service_errors, apply_list_action
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


def _details_url(connector: AnyConnector) -> str:
    return reverse("connectors:details", args=[connector.direction, connector.pk])


# --- Edit … ------------------------------------------------------------------------------------


def _edit_step(connector: AnyConnector, key: str) -> wizard.Step:
    step = next((s for s in wizard.edit_steps(connector) if s.key == key), None)
    if step is None:
        raise Http404("This connector has no such page.")
    return step


def validates_first(connector: AnyConnector, key: str, fields: Mapping[str, object]) -> bool:
    """Whether an edit goes on to "Validation email" before it is saved, as in the New EAC: any
    edit of an outbound connector's use, routing or restrictions, and turning one on."""
    if not isinstance(connector, OutboundConnector):
        return False
    return key in CHANGES_THAT_VALIDATE or fields.get("enabled") is True


CHANGES_THAT_VALIDATE = frozenset({"use", "routing", "security"})


@vary_on_headers("HX-Request")
@capability_required(Capability.MANAGE_CONNECTORS)
def connector_edit(request: TenantRequest, direction: str, pk: uuid.UUID, key: str) -> HttpResponse:
    connector = tenant_connector(request, direction, pk)
    step = _edit_step(connector, key)
    pending = _pending_draft(request, connector)  # Back from "Validation email"
    if request.method != "POST":
        form = _form(step, connector, draft=pending)
        return _edit_page(request, connector, step, form, _sign(connector), pending=pending)
    token = request.POST.get("opened", "")
    opened = _unsign(token, connector)
    form = _form(step, connector, data=request.POST)
    if LIST_ACTION in request.POST:  # + or a delete icon: redisplay, nothing is saved yet
        shown = apply_list_action(form, request.POST[LIST_ACTION])
        return _edit_page(request, connector, step, shown, token, pending=pending)
    if not form.is_valid():
        return _edit_page(request, connector, step, form, token, pending=pending, status=422)
    values = form.json()
    fields = wizard.edited_fields(connector, step.key, values)
    if validates_first(connector, step.key, fields):
        conflict = services.connector_conflict(
            connector=connector, expected_version=opened["version"], opened=opened["settings"]
        )
        if conflict is not None:  # say so now, not after validating
            return _edit_page(
                request, connector, step, form, _sign(connector), status=409, conflict=conflict
            )
        draft = drafts.connector_edit_draft(
            connector=connector,
            actor=request.user,
            changes={step.key: dict(values)},
            opened=opened,
            draft=pending,
        )
        return redirect(_validation_url(connector, step, draft))
    try:
        services.connector_update(
            connector=connector,
            actor=request.user,
            fields=fields,
            expected_version=opened["version"],
            opened=opened["settings"],
        )
    except ConnectorConflict as exc:
        # The user's input stays; Save again now replaces the other save, knowingly.
        return _edit_page(
            request, exc.current, step, form, _sign(exc.current), status=409, conflict=exc
        )
    except ValidationError as exc:
        add_service_errors(form, exc, FORM_FIELDS_FOR)
        return _edit_page(request, connector, step, form, token, pending=pending, status=422)
    except ObjectDoesNotExist:
        messages.error(request, f"{connector.name} was deleted by someone else.")
        return redirect("connectors:list")
    messages.success(request, "Connector updated successfully")
    return redirect(_details_url(connector))


def _pending_draft(request: TenantRequest, connector: AnyConnector) -> ConnectorDraft | None:
    """The draft of this edit already on its way to "Validation email", if the page names one."""
    draft_id = request.POST.get("draft") or request.GET.get("draft") or ""
    try:
        uuid.UUID(draft_id)
    except ValueError:
        return None
    return ConnectorDraft.objects.filter(
        pk=draft_id,
        tenant=request.tenant,
        editing_connector_id=connector.pk,
        created_connector_id__isnull=True,
    ).first()


def _validation_url(connector: AnyConnector, step: wizard.Step, draft: ConnectorDraft) -> str:
    return reverse(
        "connectors:edit_validation", args=[connector.direction, connector.pk, step.key, draft.pk]
    )


@vary_on_headers("HX-Request")
@capability_required(Capability.MANAGE_CONNECTORS)
def connector_edit_validation(
    request: TenantRequest, direction: str, pk: uuid.UUID, key: str, draft_id: uuid.UUID
) -> HttpResponse:
    """An outbound edit's "Validation email": addresses, Validate, then Save, as the New EAC asks
    for it after a change to where or how the connector delivers."""
    connector = tenant_connector(request, direction, pk)
    if not isinstance(connector, OutboundConnector):
        raise Http404("Only outbound connectors are validated.")
    step = _edit_step(connector, key)
    draft = get_for_tenant(
        ConnectorDraft.objects.select_related("validation_run"),
        request.tenant,
        pk=draft_id,
        editing_connector_id=connector.pk,
    )
    if draft.created_connector_id:  # saved already (a second Save): show the result
        return redirect(_details_url(connector))
    if request.method != "POST":
        return _validation_page(request, connector, step, draft, kept_recipients(draft).context())
    if request.POST.get("action") == "back":
        return redirect(f"{reverse('connectors:edit', args=[direction, pk, key])}?draft={draft.pk}")
    answered = answer_validation_step(
        request.POST, draft=draft, tenant=request.tenant, actor=request.user, move_on="save"
    )
    if isinstance(answered, MoveOn):
        return _save_validated_edit(request, connector, step, draft, answered)
    context = answered.context()
    return _validation_page(request, connector, step, draft, context, status=answered.status)


def _save_validated_edit(
    request: TenantRequest,
    connector: AnyConnector,
    step: wizard.Step,
    draft: ConnectorDraft,
    answered: MoveOn,
) -> HttpResponse:
    wizard.save_step(draft, wizard.STEP_BY_KEY["validation"], {"recipients": answered.recipients})
    saved = engine.save_draft(draft, request.user)
    if isinstance(saved, engine.Gone):
        messages.error(request, f"{connector.name} was deleted by someone else.")
        return redirect("connectors:list")
    if isinstance(saved, engine.Created):
        messages.success(request, "Connector updated successfully")
        return redirect(_details_url(connector))
    context = RecipientList(answered.recipients, draft.validation_run).context()
    if isinstance(saved, engine.Overtaken):
        context["conflict"] = _conflict_text(saved.conflict)
        return _validation_page(request, connector, step, draft, context, status=409)
    context["error"] = saved.message
    return _validation_page(request, connector, step, draft, context, status=422)


def _form(
    step: wizard.Step,
    connector: AnyConnector,
    data: QueryDict | None = None,
    draft: ConnectorDraft | None = None,
) -> AnswerForm:
    # Empty values are left out so a greyed-out choice shows the form's default, as in the wizard.
    values: StepAnswers = wizard.step_values_of(connector, step.key)
    if draft is not None:  # Back from "Validation email": what was chosen then
        values = draft.data.get(step.key, values)
    initial = {k: v for k, v in values.items() if v not in ("", None)}
    return wizard.step_form(
        step,
        data=data,
        initial=initial,
        scenario=wizard.connector_scenario(connector),
        tenant=connector.tenant,
        connector_id=connector.pk,
    )


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


def _conflict_text(exc: ConnectorConflict) -> list[str]:
    # A property no page sets (an import may have changed it) is named as the cmdlets name it.
    changed = list(
        dict.fromkeys(FIELD_LABELS.get(f, PROPERTY_LABELS.get(f, f)) for f in exc.changed)
    )
    lines = [
        "Someone else saved changes to this connector while you were editing it. Your changes "
        "weren't saved, and they're still below."
    ]
    if changed:
        lines.append(f"Changed meanwhile: {', '.join(changed)}.")
    return lines


def _panel(
    request: TenantRequest, template: str, context: dict[str, Any], status: int, *, heading: str
) -> HttpResponse:
    """An edit panel: in the details flyout's place for htmx, else the Connectors page with the
    panel where the flyout would be."""
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, template, context, status=status)
    page = list_context(request) | context | {"panel_template": template}
    page["page_title"] = f"{heading} - {context['connector'].name}"
    page["selected_id"] = str(context["connector"].pk)
    return render(request, "connectors/list.html", page, status=status)


def _edit_page(
    request: TenantRequest,
    connector: AnyConnector,
    step: wizard.Step,
    form: forms.Form,
    opened: str,
    *,
    status: int = 200,
    pending: ConnectorDraft | None = None,
    conflict: ConnectorConflict | None = None,
) -> HttpResponse:
    source, target = wizard.connector_scenario(connector)
    turning_on = form.is_bound and form.data.get("turn_on") and not connector.enabled
    fields = {"enabled": True} if turning_on else {}
    context = {
        "connector": connector,
        "step": step,
        "form": form,
        "source": source,
        "target": target,
        "opened": opened,
        "pending": pending,
        "next_label": "Next" if validates_first(connector, step.key, fields) else "Save",
        "turns_on_to_validate": isinstance(connector, OutboundConnector)
        and step.key == "name"
        and not connector.enabled,
        "action_url": reverse(
            "connectors:edit", args=[connector.direction, connector.pk, step.key]
        ),
        "cancel_url": _details_url(connector),
        "conflict": _conflict_text(conflict) if conflict else [],
    }
    return _panel(request, "connectors/edit.html", context, status, heading=step.heading)


def _validation_page(
    request: TenantRequest,
    connector: AnyConnector,
    step: wizard.Step,
    draft: ConnectorDraft,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    _, target = wizard.connector_scenario(connector)
    url = _validation_url(connector, step, draft)
    notices = [context.get("unavailable"), *context.get("conflict", [])]
    context = context | {
        "notices": [text for text in notices if text],
        "connector": connector,
        "step": step,
        "draft": draft,
        "target": target,
        "action_url": url,
        "target_id": "flyout",
        "cancel_url": _details_url(connector),
    }
    return _panel(
        request, "connectors/edit_validation.html", context, status, heading="Validation email"
    )


# --- Turn on / Turn off ------------------------------------------------------------------------


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def connector_set_status(request: TenantRequest, direction: str, pk: uuid.UUID) -> HttpResponse:
    connector = tenant_connector(request, direction, pk)
    if (
        turning_on(request)
        and not connector.enabled
        and validates_first(connector, "name", {"enabled": True})
    ):
        # As the New EAC does: an outbound connector is validated on its way back on.
        values = wizard.name_values(connector) | {"turn_on": True}
        draft = drafts.connector_edit_draft(
            connector=connector, actor=request.user, changes={"name": dict(values)}
        )
        return redirect(_validation_url(connector, wizard.STEP_BY_KEY["name"], draft))
    return set_connector_status(request, connector, then=_details_url(connector))


# --- Delete ------------------------------------------------------------------------------------


@capability_required(Capability.MANAGE_CONNECTORS)
def connector_delete(request: TenantRequest, direction: str, pk: uuid.UUID) -> HttpResponse:
    connector = tenant_connector(request, direction, pk)
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
    return tenant_connector(request, direction, pk)


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
