"""The "Validation email" buttons of a wizard draft (+, delete, Validate), shared by the New EAC
step and the Classic page, which differ only in how addresses are added (a box beside a +, or
the Classic "add email" dialog) and in what comes after (Next vs Save)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from connectors.models import ConnectorDraft, OutboundConnector
from connectors.wizard import steps as wizard
from eac.models import Tenant, User
from validation import services as validation
from validation.forms import apply_recipient_buttons
from validation.services import ValidationUnavailable


def draft_recipients(draft: ConnectorDraft) -> list[str]:
    """The addresses kept on the draft; an edit starts from those its connector was last
    validated with."""
    kept = draft.data.get("validation")
    if kept is not None:
        return list(kept.get("recipients", []))
    if draft.editing_connector_id and draft.editing_direction == "outbound":
        edited = OutboundConnector.objects.filter(pk=draft.editing_connector_id).first()
        return list(edited.validation_recipients) if edited else []
    return []


def keep_recipients(draft: ConnectorDraft, recipients: list[str]) -> None:
    """The list as it now is, kept on the draft; only the columns this changes, so a second
    request racing the first can't write back the copy it read before."""
    draft.data = draft.data | {"validation": {"recipients": recipients}}
    draft.save(update_fields=["data", "changed_at"])


def parse_draft_recipient(text: str, *, draft: ConnectorDraft, tenant: Tenant) -> str:
    """One address for the draft's test message, checked as every validation address is
    (`validation.services.parse_recipients`): the Classic "add email" dialog's ok."""
    target = wizard.validation_target(draft)
    [address] = validation.parse_recipients(tenant=tenant, target=target, recipients=[text])
    return address


def apply_validation_buttons(
    post: QueryDict, *, draft: ConnectorDraft, tenant: Tenant, actor: User
) -> tuple[dict[str, Any], int]:
    """The addresses after the button pressed (kept on the draft), and a run started if it was
    Validate. Returns the page's context and its status: 200, 422 for an address to fix, 503
    when the validation service can't be reached."""
    target = wizard.validation_target(draft)
    recipients, typed, error = apply_recipient_buttons(post, tenant=tenant, target=target)
    keep_recipients(draft, recipients)
    context: dict[str, Any] = {
        "recipients": recipients,
        "typed": typed,
        "error": error,
        "run": draft.validation_run,
    }
    if error:
        return context, 422
    if post.get("action") != "validate":
        return context, 200
    if not recipients:
        return context | {"error": "Add at least one email address."}, 422
    try:
        run = validation.validation_start(
            tenant=tenant, actor=actor, target=target, recipients=recipients
        )
    except ValidationUnavailable as exc:
        return context | {"unavailable": str(exc)}, 503
    draft.validation_run = run
    draft.proceed_without_validation = False
    draft.save(update_fields=["validation_run", "proceed_without_validation", "changed_at"])
    return context | {"run": run}, 200


def asks_first(draft: ConnectorDraft, recipients: list[str], action: str) -> bool:
    """Whether moving on (Next in the wizard, Save in an edit) asks "Are you sure" first: it does
    unless the draft's last run succeeded for these very addresses, or the person already
    answered Yes, proceed. The connector can be saved either way, as in the EAC."""
    run = draft.validation_run
    succeeded = run is not None and run.status == "succeeded" and run.recipients == recipients
    return not succeeded and action != "proceed"
