"""The Classic EAC "New connector" window: one view per page URL, over the same drafts, forms and
decisions as the New EAC wizard (`connectors.wizard.engine`), so both create identical
connectors for identical answers. Its pages are Classic's own: the scenario's advice, the
partner's identity over two pages, + / pencil / − lists with their dialogs, and validation after
the summary."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HTMX_STOP_POLLING, reselect, reswap, retarget

from connectors.classic import wizard as classic
from connectors.classic.lists import (
    Dialog,
    apply_classic_action,
    with_list_error,
    without_dialog_boxes,
)
from connectors.models import ConnectorDraft
from connectors.selectors import tenant_connector, tenant_draft
from connectors.summaries import connector_sections
from connectors.wizard import engine
from connectors.wizard import forms as f
from connectors.wizard import steps as wizard
from connectors.wizard.answers import IdentityAnswers, answers_in
from connectors.wizard.draft_validation import (
    apply_validation_buttons,
    draft_recipients,
    keep_recipients,
    parse_draft_recipient,
)
from connectors.wizard.drafts import connector_edit_draft
from eac.formfields import LIST_ACTION, ValueListField
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required
from eac.values import InvalidValue, Problem
from validation import recording
from validation import services as validation
from validation.forms import MAX_RECIPIENTS, listed_recipients
from validation.models import RunStatus, ValidationRun
from validation.services import run_progress

RECIPIENTS = "recipients"  # the validate page's list
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


class ClassicRecipientsForm(forms.Form):
    """The addresses of "Validate this connector": a Classic + / pencil / − list whose dialog
    parses what is typed with `parser` (the draft's own check of validation addresses)."""

    recipients = ValueListField(
        parser=str, label="Email addresses", add_label="Add email address", placeholder=""
    )

    def __init__(self, *args: Any, parser: Callable[[str], str] = str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        assert isinstance(field, ValueListField)
        field.parser = parser
        self.scenario_kwargs = {"parser": parser}  # for the sibling form a dialog's button shows


def page_url(draft: ConnectorDraft, page: classic.Page) -> str:
    return reverse("classic_wizard:page", args=[draft.pk, page.key])


def _to_list(direction: str, pk: uuid.UUID) -> HttpResponse:
    """The connectors list with this connector's row selected."""
    return redirect(f"{reverse('classic:connectors')}?selected={direction}:{pk}")


def _to_saved(saved: engine.Created) -> HttpResponse:
    """The list with the saved connector's row selected; just the list if it was deleted since."""
    if saved.connector is None:
        return redirect("classic:connectors")
    return _to_list(saved.connector.direction, saved.connector.pk)


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def start(request: TenantRequest) -> HttpResponse:
    draft = ConnectorDraft.objects.create(tenant=request.tenant, created_by=request.user)
    return redirect(page_url(draft, classic.PAGES[0]))


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def edit(request: TenantRequest, direction: str, pk: str) -> HttpResponse:
    """The pencil: the same pages, filled with the connector's values."""
    connector = tenant_connector(request, direction, pk)
    draft = connector_edit_draft(connector=connector, actor=request.user)
    return redirect(page_url(draft, classic.PAGE_BY_KEY["name"]))


@capability_required(Capability.MANAGE_CONNECTORS)
def page(request: TenantRequest, draft_id: str, key: str) -> HttpResponse:
    draft = tenant_draft(request, draft_id)
    current = classic.PAGE_BY_KEY.get(key)
    saved = engine.created_before(draft)
    if saved is not None:  # a double-clicked Save, another tab, a reload
        return _to_saved(saved)
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
    stored = answers_in(draft).get("scenario") or {"source": "office365", "target": "your_org"}
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
    if context["no_next"]:
        context["primary"] = "refresh"
    if posted and request.POST.get("action") == "next" and not context["no_next"]:
        wizard.save_step(
            draft, wizard.STEP_BY_KEY["scenario"], {"source": source, "target": target}
        )
        return _next(draft, current)
    return _render(request, draft, current, context | {"form": form})


def _classic_form(
    current: classic.Page, draft: ConnectorDraft, data: QueryDict | None = None
) -> f.AnswerForm:
    form = wizard.make_form(_step_of(current), draft, data=data)
    if isinstance(form, f.UseForm):
        form.put_transport_rule_first()
        form.fields["use"].label = current.question
    if current.key == "partner_by":
        form.choice_field("identify").choices = PARTNER_BY_CHOICES
    return form


def _step_of(current: classic.Page) -> wizard.Step:
    """The New wizard's step whose answers the page keeps."""
    return wizard.STEP_BY_KEY[current.step]


def _form_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    if not posted:
        return _render(request, draft, current, {"form": _classic_form(current, draft)})
    data = request.POST.copy()
    if LIST_ACTION not in data:
        data = without_dialog_boxes(data)
    if current.key in ("partner_by", "partner_list"):
        data = _merge_identity(draft, current, data)
    form = _classic_form(current, draft, data)
    if LIST_ACTION in request.POST:
        shown, dialog = apply_classic_action(form, request.POST[LIST_ACTION])
        context = {"form": _reordered(shown), "dialog": dialog}
        return _render(request, draft, current, context, status=_dialog_status(dialog))
    if current.key == "partner_by":
        choice = data.get("identify", "")
        if choice not in (f.IDENTIFY_DOMAINS, f.IDENTIFY_IP):
            form.add_error("identify", "Choose how to identify the partner organization.")
            return _render(request, draft, current, {"form": form}, status=422)
        classic.keep_identify_choice(draft, choice)
        return _next(draft, current)
    if not engine.keep_valid_answers(draft, _step_of(current), form):
        return _render(request, draft, current, {"form": form}, status=422)
    return _next(draft, current)


def _dialog_status(dialog: Dialog | None) -> int:
    """A dialog's ok refused (its message inside the dialog) is a refusal like any other."""
    return 422 if dialog is not None and dialog.errors else 200


def _reordered(form: forms.Form) -> forms.Form:
    """A list's page redrawn after its button, its options still in Classic order."""
    if isinstance(form, f.UseForm):
        form.put_transport_rule_first()
    return form


def _merge_identity(draft: ConnectorDraft, current: classic.Page, data: QueryDict) -> QueryDict:
    """The partner pages split one step: "identify by" on one page, its list on the next."""
    stored: IdentityAnswers = answers_in(draft).get("identity") or {"identify": f.IDENTIFY_DOMAINS}
    if current.key == "partner_list":
        data["identify"] = stored["identify"]
    # A list the page doesn't post stays as the other page left it.
    for name, kept in (
        ("sender_domains", stored.get("sender_domains")),
        ("sender_ips", stored.get("sender_ips")),
    ):
        if name not in data and kept:
            data.setlist(name, kept)
    return data


def _confirm_sections(draft: ConnectorDraft) -> list[dict[str, Any]]:
    connector = wizard.preview(draft)
    sections = []
    for section in connector_sections(connector, unsaved=True):
        lines = section.lines[:1] if section.title == "Name" else section.lines
        sections.append({"title": CLASSIC_TITLES.get(section.title, section.title), "lines": lines})
        if section.title == "Name":  # the description has a section of its own here
            sections.append({"title": "Description", "lines": (connector.comment or "None",)})
    return sections


def _confirm_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    outbound = classic.outbound(wizard.scenario_of(draft) or ("", ""))
    context = {
        "sections": _confirm_sections(draft),
        "outbound": outbound,
        "primary": "next" if outbound else "save",
    }
    if not posted:
        return _render(request, draft, current, context)
    if not outbound:  # Save: the draft is done once its connector is saved, not before
        return _save(request, draft, current, context)
    draft.completed = [*[k for k in draft.completed if k != "confirm"], "confirm"]
    draft.save(update_fields=["completed", "changed_at"])
    return _next(draft, current)


def _save(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, context: dict[str, Any]
) -> HttpResponse:
    saved = engine.save_draft(draft, request.user)
    if isinstance(saved, engine.Gone):
        name = draft.data.get("name", {}).get("name") or "This connector"
        messages.error(request, f"{name} was deleted by someone else.")
        return redirect("classic:connectors")
    if isinstance(saved, engine.Refusal):
        refused = {"error": saved.message, "error_for": _page_to_fix(draft, saved.fix)}
        return _render(request, draft, current, context | refused, status=422)
    if isinstance(saved, engine.Overtaken):
        changed = ", ".join(saved.conflict.changed) or "its settings"
        message = f"Someone else saved this connector while you were editing it (changed: {changed}). Cancel and open it again to see their changes."
        return _render(request, draft, current, context | {"error": message}, status=409)
    if draft.editing_connector_id:
        messages.success(request, "Connector updated successfully")
    return _to_saved(saved)


def _page_to_fix(draft: ConnectorDraft, step: wizard.Step) -> str:
    """The address of the page whose answers a refused Save is about (its summary links there):
    the last of the pages that keep that step's answers."""
    pages = [page for page in classic.pages_for(draft) if page.step == step.key]
    return page_url(draft, pages[-1] if pages else classic.pages_for(draft)[0])


def _validate_page(
    request: TenantRequest, draft: ConnectorDraft, current: classic.Page, posted: bool
) -> HttpResponse:
    """The addresses (a Classic list), Validate, the "Validating connector..." dialog while the
    run goes on, then the result in place of the page, with Save. Whatever the run found, the
    connector can be saved."""
    run = draft.validation_run
    if not posted and request.htmx and request.htmx.target == "run-progress":
        return _progress(request, draft, current, run)
    action = request.POST.get("action", "") if posted else ""
    here = page_url(draft, current)
    stored = draft_recipients(draft)
    if action == "stop" and run is not None:
        validation.validation_stop(run)
        return redirect(here)
    if action == "revise":  # the result's Back: the addresses again, to validate anew
        draft.validation_run = None
        draft.save(update_fields=["validation_run", "changed_at"])
        return redirect(here)
    if action == "save":
        wizard.save_step(draft, wizard.STEP_BY_KEY["validation"], {"recipients": stored})
        return _save(request, draft, current, _validate_context(draft, stored))
    if posted and LIST_ACTION in request.POST:
        verb = request.POST[LIST_ACTION]
        data = request.POST.copy()  # only addresses are listed, and kept on the draft below
        data.setlist(RECIPIENTS, listed_recipients(request.POST.getlist(RECIPIENTS)))
        form = ClassicRecipientsForm(data, parser=_recipient_parser(request, draft, verb))
        shown, dialog = apply_classic_action(form, verb)
        if dialog is None:
            keep_recipients(draft, list(shown["recipients"].value()))
        context = _validate_context(draft, shown["recipients"].value()) | {
            "form": shown,
            "dialog": dialog,
        }
        return _render(request, draft, current, context, status=_dialog_status(dialog))
    if action == "validate":
        return _validate(request, draft, current)
    return _render(request, draft, current, _validate_context(draft, stored))


def _recipient_parser(
    request: TenantRequest, draft: ConnectorDraft, verb: str
) -> Callable[[str], str]:
    """What the "add email" dialog's ok parses with; a full list refuses another address."""
    if verb == f"ok:{RECIPIENTS}" and len(request.POST.getlist(RECIPIENTS)) >= MAX_RECIPIENTS:
        return _list_full
    return partial(parse_draft_recipient, draft=draft, tenant=request.tenant)


def _list_full(text: str) -> str:
    raise InvalidValue([Problem(f"You can add up to {MAX_RECIPIENTS} email addresses.", "full")])


def _validate(request: TenantRequest, draft: ConnectorDraft, current: classic.Page) -> HttpResponse:
    """Validate: a run started, then this page again (so a reload doesn't start another)."""
    recipients = [r for r in request.POST.getlist(RECIPIENTS) if r.strip()]
    context = _validate_context(draft, recipients)
    if not recipients:
        with_list_error(
            context["form"], RECIPIENTS, "Add at least one email address with the + button."
        )
        return _render(request, draft, current, context, status=422)
    # Addresses that didn't come through the dialog are refused here, with the list's error.
    shown = apply_validation_buttons(
        request.POST, draft=draft, tenant=request.tenant, actor=request.user
    )
    if shown.status == 200:
        return redirect(page_url(draft, current))
    if shown.error:
        with_list_error(context["form"], RECIPIENTS, shown.error)
    context["unavailable"] = shown.unavailable
    return _render(request, draft, current, context, status=shown.status)


def _validate_context(draft: ConnectorDraft, recipients: Any) -> dict[str, Any]:
    """The page as the draft's run leaves it: running (the dialog over the list), finished (the
    result instead of the list; a stopped run just goes away), or not started."""
    run = draft.validation_run
    context: dict[str, Any] = {
        "form": ClassicRecipientsForm(initial={RECIPIENTS: list(recipients)}),
        "run": run,
        "primary": "validate",
    }
    if run is None:
        return context
    if not run.is_finished:
        return context | {"running": True, "progress": run_progress(run)}
    if run.status == RunStatus.CANCELLED:
        return context
    return context | {"result": True, "question": "Validation result", "primary": "save"}


def _progress(
    request: TenantRequest,
    draft: ConnectorDraft,
    current: classic.Page,
    run: ValidationRun | None,
) -> HttpResponse:
    """The dialog's poll: the bar while the run goes on; then the whole window, which the
    answer replaces (its result, or the list again after a stop), and no more polling."""
    if run is not None:
        recording.sweep_interrupted(run_id=run.pk)
        run.refresh_from_db()
    if run is not None and not run.is_finished:
        context = {
            "run": run,
            "progress": run_progress(run),
            "action_url": page_url(draft, current),
        }
        return render(request, "classic/wizard.html#progress", context)
    stored = draft_recipients(draft)
    window = _render(
        request, draft, current, _validate_context(draft, stored), status=HTMX_STOP_POLLING
    )
    return retarget(reselect(reswap(window, "outerHTML"), "#classic-window"), "#classic-window")


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
    shared: dict[str, Any] = {
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
        "form": None,
        "dialog": None,
    }
    context = shared | context
    dialog: Dialog | None = context["dialog"]
    context["default_button"] = (
        {"name": LIST_ACTION, "value": dialog.ok_value}
        if dialog is not None
        else {"name": "action", "value": context.get("primary", "next")}
    )
    return render(request, "classic/wizard.html", context, status=status)
