"""The Classic EAC "New connector" window: one view per page URL, over the same drafts, forms and
services as the New EAC wizard (so both create identical connectors for identical answers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HTMX_STOP_POLLING

from connectors import classic, wizard
from connectors import wizard_forms as f
from connectors.classic_lists import apply_classic_action
from connectors.draft_validation import apply_validation_buttons
from connectors.formfields import LIST_ACTION
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import ConnectorConflict, connector_edit_draft, connector_save_draft
from connectors.summaries import connector_sections
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant
from validation import services as validation
from validation.models import ValidationRun
from validation.services import run_progress

CLASSIC_TITLES = {"Use of connector": "When to use the connector", "Routing": "Routing method"}
PARTNER_BY_CHOICES = [
    (f.IDENTIFY_DOMAINS, "Use the sender's domain"),
    (f.IDENTIFY_IP, "Use the sender's IP address"),
]


class ClassicScenarioForm(forms.Form):
    source = forms.ChoiceField(label="From:", choices=classic.FROM_CHOICES)
    target = forms.ChoiceField(
        label="To:",
        choices=list({c: c for choices in classic.TO_CHOICES.values() for c in choices}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        valid = [target for target, _ in classic.TO_CHOICES.get(data.get("source", ""), [])]
        if valid and data.get("target") not in valid:
            data["target"] = valid[0]  # "To" follows "From"
        return data


def page_url(draft: ConnectorDraft, page: classic.Page) -> str:
    return reverse("classic_wizard:page", args=[draft.pk, page.key])


def _draft(request: TenantRequest, draft_id: str) -> ConnectorDraft:
    return get_for_tenant(
        ConnectorDraft.objects.select_related("validation_run"), request.tenant, pk=draft_id
    )


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def start(request: TenantRequest) -> HttpResponse:
    draft = ConnectorDraft.objects.create(tenant=request.tenant, created_by=request.user)
    return redirect(page_url(draft, classic.PAGES[0]))


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def edit(request: TenantRequest, direction: str, pk: str) -> HttpResponse:
    """The pencil: the same pages, filled with the connector's values."""
    connector: OutboundConnector | InboundConnector
    if direction == "outbound":
        connector = get_for_tenant(OutboundConnector.objects.all(), request.tenant, pk=pk)
    else:
        connector = get_for_tenant(InboundConnector.objects.all(), request.tenant, pk=pk)
    draft = connector_edit_draft(connector=connector, actor=request.user)
    return redirect(page_url(draft, classic.PAGE_BY_KEY["name"]))


@capability_required(Capability.MANAGE_CONNECTORS)
def page(request: TenantRequest, draft_id: str, key: str) -> HttpResponse:
    draft = _draft(request, draft_id)
    current = classic.PAGE_BY_KEY.get(key)
    if draft.created_connector_id:
        return redirect("classic:connectors")
    if (
        current is None
        or not classic.reachable(draft, current)
        or (draft.editing_connector_id and key == "select")
    ):
        start = (
            classic.PAGE_BY_KEY["name"]
            if draft.editing_connector_id
            else classic.first_open_page(draft)
        )
        return redirect(page_url(draft, start))
    posted = request.method == "POST"
    if posted and request.POST.get("action") == "cancel":
        return redirect("classic:connectors")
    if posted and request.POST.get("action") == "back":
        return redirect(page_url(draft, classic.previous_page(draft, current) or current))
    if current.key == "select":
        return _select_page(request, draft, current, posted)
    if current.key == "confirm":
        return _confirm_page(request, draft, current, posted)
    if current.key == "validate":
        return _validate_page(request, draft, current, posted)
    return _form_page(request, draft, current, posted)


def _select_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    """From and To; changing either (no JavaScript: "Update advice") redisplays the advice."""
    stored = draft.data.get("scenario") or {"source": "office365", "target": "your_org"}
    form = ClassicScenarioForm(request.POST if posted else None)
    source, target = stored["source"], stored["target"]
    if posted and form.is_valid():
        source, target = form.cleaned_data["source"], form.cleaned_data["target"]
    advice = classic.advice_for(source, target)
    context = {
        "source_choice": source,
        "target_choice": target,
        "to_options": classic.TO_CHOICES[source],
        "advice": advice,
        "no_next": advice is not None and advice.need == "none",
    }
    if posted and request.POST.get("action") == "next" and not context["no_next"]:
        wizard.save_step(
            draft, wizard.STEP_BY_KEY["scenario"], {"source": source, "target": target}
        )
        return _next(draft, current)
    return _render(request, draft, current, context | {"form": form})


def _classic_form(current: classic.Page, draft: ConnectorDraft, data: Any = None) -> forms.Form:
    form = wizard.make_form(wizard.STEP_BY_KEY[current.step], draft, data=data)
    if current.key == "use":  # Classic order: the transport rule option comes first
        field = form.fields["use"]
        field.choices = sorted(field.choices, key=lambda c: c[0] != f.USE_TRANSPORT_RULE)  # type: ignore[attr-defined]
        field.label = current.question
    if current.key == "partner_by":
        form.fields["identify"].choices = PARTNER_BY_CHOICES  # type: ignore[attr-defined]
    return form


def _form_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    if not posted:
        return _render(request, draft, current, {"form": _classic_form(current, draft)})
    data = request.POST.copy()
    if current.key in ("partner_by", "partner_list"):
        data = _merge_identity(draft, current, data)
    form = _classic_form(current, draft, data)
    if LIST_ACTION in request.POST:
        shown, dialog = apply_classic_action(form, request.POST[LIST_ACTION])
        return _render(
            request, draft, current, {"form": _reordered(current, shown), "dialog": dialog}
        )
    if current.key == "partner_by":
        choice = data.get("identify")
        if choice not in (f.IDENTIFY_DOMAINS, f.IDENTIFY_IP):
            form.add_error("identify", "Choose how to identify the partner organization.")
            return _render(request, draft, current, {"form": form}, status=422)
        draft.data = draft.data | {
            "identity": draft.data.get("identity", {}) | {"identify": choice}
        }
        draft.completed = [k for k in draft.completed if k != "identity"]
        draft.save(update_fields=["data", "completed", "changed_at"])
        return _next(draft, current)
    if not form.is_valid():
        return _render(request, draft, current, {"form": form}, status=422)
    wizard.save_step(draft, wizard.STEP_BY_KEY[current.step], form.json())  # type: ignore[attr-defined]
    return _next(draft, current)


def _reordered(current: classic.Page, form: forms.Form) -> forms.Form:
    if current.key == "use":
        field = form.fields["use"]
        field.choices = sorted(field.choices, key=lambda c: c[0] != f.USE_TRANSPORT_RULE)  # type: ignore[attr-defined]
    return form


def _merge_identity(draft: ConnectorDraft, current: classic.Page, data: Any) -> Any:
    """The partner pages split one step: "identify by" on one page, its list on the next."""
    stored = draft.data.get("identity", {})
    if current.key == "partner_list":
        data["identify"] = stored.get("identify", f.IDENTIFY_DOMAINS)
    for name in ("sender_domains", "sender_ips"):
        if name not in data and stored.get(name):
            data.setlist(name, stored[name])
    return data


def _confirm_sections(draft: ConnectorDraft) -> list[dict[str, Any]]:
    connector = wizard.preview(draft)
    sections = []
    for section in connector_sections(connector):
        sections.append(
            {"title": CLASSIC_TITLES.get(section.title, section.title), "lines": section.lines}
        )
        if section.title == "Name":
            sections.append({"title": "Description", "lines": (connector.comment or "None",)})
    return sections


def _confirm_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    outbound = classic.outbound(wizard.scenario_of(draft) or ("", ""))
    context = {"sections": _confirm_sections(draft), "outbound": outbound}
    if not posted:
        return _render(request, draft, current, context)
    draft.completed = [*[k for k in draft.completed if k != "confirm"], "confirm"]
    draft.save(update_fields=["completed", "changed_at"])
    if outbound:
        return _next(draft, current)
    return _save(request, draft, current, context)


def _save(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, context: dict[str, Any]
) -> HttpResponse:
    try:
        connector = connector_save_draft(draft=draft, actor=request.user)
    except ValidationError as exc:
        return _render(
            request, draft, current, context | {"error": " ".join(exc.messages)}, status=422
        )
    except ConnectorConflict as exc:
        changed = ", ".join(exc.changed) or "its settings"
        message = f"Someone else saved this connector while you were editing it (changed: {changed}). Cancel and open it again to see their changes."
        return _render(request, draft, current, context | {"error": message}, status=409)
    if draft.editing_connector_id:
        messages.success(request, "Connector updated successfully")
    return redirect(
        f"{reverse('classic:connectors')}?selected={connector.direction}:{connector.pk}"
    )


def _validate_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    run = draft.validation_run
    if not posted and request.htmx and request.htmx.target == "run-progress" and run is not None:
        validation.sweep_interrupted(run_id=run.pk)
        run.refresh_from_db()
        progress = {"run": run, "progress": run_progress(run), "save_url": page_url(draft, current)}
        status = HTMX_STOP_POLLING if run.is_finished else 200
        return render(request, "classic/wizard.html#progress", progress, status=status)
    saved = draft.data.get("validation", {}).get("recipients", [])
    context: dict[str, Any] = {
        "recipients": saved,
        "run": run,
        "save_url": page_url(draft, current),
    }
    if posted and request.POST.get("action") == "stop" and run is not None:
        validation.validation_stop(run)
        return redirect(page_url(draft, current))
    status = 200
    if posted:
        buttons, status = apply_validation_buttons(
            request.POST, draft=draft, tenant=request.tenant, actor=request.user
        )
        context |= buttons
        if status == 200 and request.POST.get("action") == "save":
            # A connector that failed validation can still be saved.
            wizard.save_step(
                draft, wizard.STEP_BY_KEY["validation"], {"recipients": context["recipients"]}
            )
            return _save(request, draft, current, context)
    if isinstance(context["run"], ValidationRun):
        context["progress"] = run_progress(context["run"])
    return _render(request, draft, current, context, status=status)


def _next(draft: ConnectorDraft, current: classic.Page) -> HttpResponse:
    following = classic.next_page(draft, current)
    return redirect(page_url(draft, following or current))


def _render(
    request: TenantRequest,
    draft: ConnectorDraft,
    current: classic.Page,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    scenario = wizard.scenario_of(draft) or ("", "")
    question = current.question
    if current.key == "partner_list":
        question = classic.partner_list_question(draft)
    if current.key == "security" and scenario[1] == "partner":
        question = "How should Office 365 connect to your partner organization's email server?"
    context = {
        "draft": draft,
        "page": current,
        "question": question,
        "source": scenario[0],
        "target": scenario[1],
        "back": None
        if draft.editing_connector_id and current.key == "name"
        else classic.previous_page(draft, current),
        "window_title": "Edit connector" if draft.editing_connector_id else "New connector",
        "action_url": page_url(draft, current),
        "to_choices": classic.TO_CHOICES,
        "dialog": None,
    } | context
    return render(request, "classic/wizard.html", context, status=status)
