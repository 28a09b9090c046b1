"""The "Validation email" buttons of a wizard draft (+, delete, Validate), shared by the New EAC
step and the Classic page, which differ only in how addresses are added (a box beside a +, or
the Classic "add email" dialog) and in what comes after (Next vs Save)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from connectors import wizard
from connectors.models import ConnectorDraft
from eac.models import Tenant, User
from validation import services as validation
from validation.forms import apply_recipient_buttons
from validation.services import ValidationUnavailable


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
    draft.data = draft.data | {"validation": {"recipients": recipients}}
    draft.save(update_fields=["data", "changed_at"])
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
