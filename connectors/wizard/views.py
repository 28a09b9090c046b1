"""The "Add a connector" wizard's views: one dispatcher, one view per step URL, creation.
The steps themselves are data in `connectors.wizard.steps`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connectors.models import ConnectorDraft
from connectors.services import connector_create_from_draft
from connectors.summaries import connector_sections
from connectors.wizard import steps as wizard
from connectors.wizard.draft_validation import (
    apply_validation_buttons,
    asks_first,
    draft_recipients,
)
from eac.formfields import LIST_ACTION, apply_list_action
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant
from validation.services import run_progress

REVIEW_LINKS = {  # review section → (link text, step); Edit name comes after the Status lines
    "Status": ("Edit name", "name"),
    "Use of connector": ("Edit use", "use"),
    "Routing": ("Edit routing", "routing"),
    "How to identify email sent from your email server": ("Edit sent email identity", "identity"),
    "How to identify your partner organization": ("Edit sent email identity", "identity"),
}


def step_url(draft: ConnectorDraft, step: wizard.Step) -> str:
    return reverse("connectors:wizard_step", args=[draft.pk, step.key])


def _draft(request: TenantRequest, draft_id: str) -> ConnectorDraft:
    return get_for_tenant(
        ConnectorDraft.objects.select_related("validation_run"), request.tenant, pk=draft_id
    )


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_start(request: TenantRequest) -> HttpResponse:
    draft = ConnectorDraft.objects.create(tenant=request.tenant, created_by=request.user)
    return redirect(step_url(draft, wizard.STEPS[0]))


@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_resume(request: TenantRequest, draft_id: str) -> HttpResponse:
    draft = _draft(request, draft_id)
    return redirect(step_url(draft, wizard.first_incomplete(draft)))


@vary_on_headers("HX-Request")
@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_step(request: TenantRequest, draft_id: str, key: str) -> HttpResponse:
    draft = _draft(request, draft_id)
    if draft.created_connector_id:
        return redirect("connectors:wizard_created", draft.pk)
    step = wizard.STEP_BY_KEY.get(key)
    if step is None or not wizard.reachable(draft, step):
        return redirect(step_url(draft, wizard.first_incomplete(draft)))
    return _step(request, draft, step, posted=request.method == "POST")


def _step(
    request: TenantRequest, draft: ConnectorDraft, step: wizard.Step, *, posted: bool
) -> HttpResponse:
    if step.key == "validation":
        return _validation_step(request, draft, step, posted=posted)
    if step.key == "review":
        return _review_step(request, draft, step, posted=posted)
    return _form_step(request, draft, step, posted=posted)


def _form_step(
    request: TenantRequest, draft: ConnectorDraft, step: wizard.Step, *, posted: bool
) -> HttpResponse:
    if not posted:
        return _render(request, draft, step, {"form": wizard.make_form(step, draft)})
    if request.POST.get("action") == "back":
        return _go(request, draft, wizard.previous_step(draft, step) or step)
    form = wizard.make_form(step, draft, data=request.POST)
    if LIST_ACTION in request.POST:  # + or a delete icon: redisplay the step, don't move on
        return _render(
            request, draft, step, {"form": apply_list_action(form, request.POST[LIST_ACTION])}
        )
    if not form.is_valid():
        return _render(request, draft, step, {"form": form}, status=422)
    wizard.save_step(draft, step, form.json())  # type: ignore[attr-defined]
    return _go(request, draft, wizard.next_step(draft, step))


def _validation_step(
    request: TenantRequest, draft: ConnectorDraft, step: wizard.Step, *, posted: bool
) -> HttpResponse:
    context: dict[str, Any] = {"recipients": draft_recipients(draft), "run": draft.validation_run}
    status = 200
    if posted:
        action = request.POST.get("action", "")
        if action == "back":
            return _go(request, draft, wizard.previous_step(draft, step) or step)
        context, status = apply_validation_buttons(
            request.POST, draft=draft, tenant=request.tenant, actor=request.user
        )
        if status == 200 and action in ("next", "proceed"):
            recipients = context["recipients"]
            if asks_first(draft, recipients, action):
                return _render(request, draft, step, context | {"confirm": True})
            draft.proceed_without_validation = asks_first(draft, recipients, "next")
            wizard.save_step(draft, step, {"recipients": recipients})
            return _go(request, draft, wizard.next_step(draft, step))
    if context["run"] is not None:
        context["progress"] = run_progress(context["run"])
    return _render(request, draft, step, context, status=status)


def _review_step(
    request: TenantRequest, draft: ConnectorDraft, step: wizard.Step, *, posted: bool
) -> HttpResponse:
    if posted:
        if request.POST.get("action") == "back":
            return _go(request, draft, wizard.previous_step(draft, step) or step)
        try:
            connector_create_from_draft(draft=draft, actor=request.user)
        except ValidationError as exc:
            context = _review_context(draft) | {
                "error": " ".join(exc.messages),
                "error_for": step_url(draft, wizard.step_to_fix(draft, exc)),
            }
            return _render(request, draft, step, context, status=422)
        # Also the answer to a second Create of the same draft (a double click, another tab).
        return redirect("connectors:wizard_created", draft.pk)
    return _render(request, draft, step, _review_context(draft))


def _review_context(draft: ConnectorDraft) -> dict[str, Any]:
    connector = wizard.preview(draft)
    sections = []
    for section in connector_sections(connector, unsaved=True):
        link = REVIEW_LINKS.get(section.title)
        if section.title == "Security restrictions":
            key = (
                "security"
                if wizard.outbound(wizard.scenario_of(draft) or ("", ""))
                else "inbound_security"
            )
            link = ("Edit restrictions", key)
        url = step_url(draft, wizard.STEP_BY_KEY[link[1]]) if link else ""
        sections.append(
            {
                "title": section.title,
                "lines": section.lines,
                "link": link[0] if link else "",
                "url": url,
            }
        )
    return {"sections": sections, "connector": connector}


@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_created(request: TenantRequest, draft_id: str) -> HttpResponse:
    draft = _draft(request, draft_id)
    if not draft.created_connector_id:
        return redirect(step_url(draft, wizard.first_incomplete(draft)))
    return render(
        request,
        "connectors/wizard_created.html",
        {"draft": draft, "name": draft.data["name"]["name"]},
    )


def _go(request: TenantRequest, draft: ConnectorDraft, step: wizard.Step) -> HttpResponse:
    """To another step: a redirect for a plain form post; with htmx, that step swapped in place
    and its URL pushed, so Back/Forward and reload land on it."""
    url = step_url(draft, step)
    if not request.htmx:
        return redirect(url)
    draft.refresh_from_db()
    response = _step(request, draft, step, posted=False)
    response["HX-Push-Url"] = url
    return response


def _rail(draft: ConnectorDraft, step: wizard.Step, form: Any) -> list[dict[str, Any]]:
    """The step rail. On step 1 it holds every step, those of scenarios not chosen hidden, so
    that the page can follow the radios; after it, the draft's scenario's steps."""
    if step.key != "scenario":
        return [
            {"step": s, "done": s.key in draft.completed and s != step, "current": s == step}
            for s in wizard.steps_for(draft)
        ]
    shown = form.data if form is not None and form.is_bound else draft.data.get("scenario", {})
    chosen = wizard.chosen_on_step_one(shown)
    rail = []
    for s in wizard.STEPS:
        scenarios = wizard.scenarios_of(s)
        rail.append(
            {
                "step": s,
                "done": False,
                "current": s == step,
                "scenarios": " ".join(scenarios) if s != step else "",
                "hidden": s != step and chosen not in scenarios,
            }
        )
    return rail


def _render(
    request: TenantRequest,
    draft: ConnectorDraft,
    step: wizard.Step,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    scenario = wizard.scenario_of(draft) or (draft.data.get("scenario", {}).get("source", ""), "")
    context = context | {
        "draft": draft,
        "step": step,
        "rail": _rail(draft, step, context.get("form")),
        "source": scenario[0],
        "target": scenario[1],
        "back": wizard.previous_step(draft, step),
        "action_url": step_url(draft, step),
        "target_id": "wizard",
        "default_action": "create" if step.key == "review" else "next",
    }
    template = "connectors/wizard.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#wizard"
    return render(request, template, context, status=status)
