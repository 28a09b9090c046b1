"""The "Add a connector" wizard's views: start, resume, one view for every step URL, and the page
after Create. What a step's request comes to is `connectors.wizard.engine`'s decision; the
steps themselves are data in `connectors.wizard.steps`."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connectors.models import ConnectorDraft, OutboundConnector
from connectors.selectors import tenant_draft
from connectors.services import AnyConnector
from connectors.summaries import connector_sections
from connectors.wizard import engine
from connectors.wizard import steps as wizard
from connectors.wizard.answers import answers_in
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required

REVIEW_LINKS = {  # review section → (link text, step); Edit name comes after the Status lines
    "Status": ("Edit name", "name"),
    "Use of connector": ("Edit use", "use"),
    "Routing": ("Edit routing", "routing"),
    "How to identify email sent from your email server": ("Edit sent email identity", "identity"),
    "How to identify your partner organization": ("Edit sent email identity", "identity"),
}


def step_url(draft: ConnectorDraft, step: wizard.Step) -> str:
    return reverse("connectors:wizard_step", args=[draft.pk, step.key])


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_start(request: TenantRequest) -> HttpResponse:
    draft = ConnectorDraft.objects.create(tenant=request.tenant, created_by=request.user)
    return redirect(step_url(draft, wizard.STEPS[0]))


@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_resume(request: TenantRequest, draft_id: str) -> HttpResponse:
    draft = tenant_draft(request, draft_id)
    return redirect(step_url(draft, wizard.first_incomplete(draft)))


@vary_on_headers("HX-Request")
@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_step(request: TenantRequest, draft_id: str, key: str) -> HttpResponse:
    draft = tenant_draft(request, draft_id)
    outcome = engine.answer_step(
        draft,
        key,
        request.POST if request.method == "POST" else None,
        tenant=request.tenant,
        actor=request.user,
        follow=bool(request.htmx),
    )
    return _respond(request, draft, outcome)


def _respond(
    request: TenantRequest, draft: ConnectorDraft, outcome: engine.Outcome
) -> HttpResponse:
    if isinstance(outcome, engine.Created):
        # Also the answer to a second Create of the same draft (a double click, another tab).
        return redirect("connectors:wizard_created", draft.pk)
    if isinstance(outcome, engine.GoTo):
        return _go(request, draft, outcome)
    if isinstance(outcome, engine.AskFirst):  # the step, with the dialog over it
        return _render(request, draft, outcome.shown)
    return _render(request, draft, outcome)


def _go(request: TenantRequest, draft: ConnectorDraft, outcome: engine.GoTo) -> HttpResponse:
    """To another step: a redirect for a plain form post; with htmx, that step swapped in place
    and its URL pushed, so Back/Forward and reload land on it."""
    url = step_url(draft, outcome.step)
    if outcome.shown is None:
        return redirect(url)
    response = _render(request, draft, outcome.shown)
    response["HX-Push-Url"] = url
    return response


def _review_sections(draft: ConnectorDraft, connector: AnyConnector) -> list[dict[str, Any]]:
    """The review's summaries, each with its link to the step that changes it."""
    sections = []
    for section in connector_sections(connector, unsaved=True):
        link = REVIEW_LINKS.get(section.title)
        if section.title == "Security restrictions":
            outbound = isinstance(connector, OutboundConnector)
            link = ("Edit restrictions", "security" if outbound else "inbound_security")
        url = step_url(draft, wizard.STEP_BY_KEY[link[1]]) if link else ""
        sections.append(
            {
                "title": section.title,
                "lines": section.lines,
                "link": link[0] if link else "",
                "url": url,
            }
        )
    return sections


@capability_required(Capability.MANAGE_CONNECTORS)
def wizard_created(request: TenantRequest, draft_id: str) -> HttpResponse:
    draft = tenant_draft(request, draft_id)
    if not draft.created_connector_id:
        return redirect(step_url(draft, wizard.first_incomplete(draft)))
    return render(
        request,
        "connectors/wizard_created.html",
        {"draft": draft, "name": answers_in(draft)["name"]["name"]},
    )


def _render(request: TenantRequest, draft: ConnectorDraft, shown: engine.Show) -> HttpResponse:
    frame = shown.frame
    context: dict[str, Any] = {
        "draft": draft,
        "step": shown.step,
        "form": shown.form,
        "rail": frame.rail,
        "source": frame.source,
        "target": frame.target,
        "back": frame.back,
        "action_url": step_url(draft, shown.step),
        "target_id": "wizard",
        "default_action": "create" if shown.step.key == "review" else "next",
    }
    if shown.recipients is not None:
        context |= shown.recipients.context()
    if shown.preview is not None:
        context |= {"sections": _review_sections(draft, shown.preview), "connector": shown.preview}
    if shown.refusal is not None:
        context |= {
            "error": shown.refusal.message,
            "error_for": step_url(draft, shown.refusal.fix),
        }
    template = "connectors/wizard.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#wizard"
    return render(request, template, context, status=shown.status)
