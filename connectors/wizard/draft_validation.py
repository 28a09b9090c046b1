"""The "Validation email" buttons of a wizard draft (+, delete, Validate), shared by the New EAC
step, the details panel's edit that validates before it saves, and the Classic page, which
differ only in how addresses are added (a box beside a +, or the Classic "add email" dialog) and
in what comes after (Next, or Save). What a validation checks:
https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/validate-connectors"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict

from connectors.models import ConnectorDraft, OutboundConnector
from connectors.wizard import steps as wizard
from connectors.wizard.answers import answers_in
from eac.models import Tenant, User
from eac.values import InvalidValue, Problem
from validation import services as validation
from validation.forms import apply_recipient_buttons
from validation.models import ValidationRun
from validation.services import ValidationUnavailable, run_progress

PROCEED = "proceed"  # the "Are you sure you want to proceed?" dialog's Yes


@dataclass(frozen=True)
class RecipientList:
    """The step as a button leaves it: the addresses (kept on the draft), what stays typed in
    the box, the draft's run, and what went wrong. `status` is the page's: 200, 422 for an
    address to fix, 503 when the validation service can't be reached. `confirm` asks "Are you
    sure you want to proceed?" before moving on."""

    recipients: list[str]
    run: ValidationRun | None
    typed: str = ""
    error: str = ""
    unavailable: str = ""
    status: int = 200
    confirm: bool = False

    def context(self) -> dict[str, Any]:
        """What the templates read (validation/recipient_form.html and the progress bar)."""
        context: dict[str, Any] = {
            "recipients": self.recipients,
            "typed": self.typed,
            "error": self.error,
            "unavailable": self.unavailable,
            "run": self.run,
            "confirm": self.confirm,
        }
        if self.run is not None:
            context["progress"] = run_progress(self.run)
        return context


@dataclass(frozen=True)
class MoveOn:
    """Next or Save may go on with these addresses; `unvalidated` if no run succeeded for them
    (the person answered Yes, proceed)."""

    recipients: list[str]
    unvalidated: bool


def draft_recipients(draft: ConnectorDraft) -> list[str]:
    """The addresses kept on the draft; an edit starts from those its connector was last
    validated with."""
    kept = answers_in(draft).get("validation")
    if kept is not None:
        return list(kept.get("recipients", []))
    if draft.editing_connector_id and draft.editing_direction == "outbound":
        edited = OutboundConnector.objects.filter(pk=draft.editing_connector_id).first()
        return list(edited.validation_recipients) if edited else []
    return []


def kept_recipients(draft: ConnectorDraft) -> RecipientList:
    """The step as it opens: the addresses kept on the draft, and its run."""
    return RecipientList(draft_recipients(draft), draft.validation_run)


def keep_recipients(draft: ConnectorDraft, recipients: list[str]) -> None:
    """The list as it now is, kept on the draft; only the columns this changes, so a second
    request racing the first can't write back the copy it read before."""
    draft.data = draft.data | {"validation": {"recipients": recipients}}
    draft.save(update_fields=["data", "changed_at"])


def parse_draft_recipient(text: str, *, draft: ConnectorDraft, tenant: Tenant) -> str:
    """One address for the draft's test message, checked as every validation address is
    (`validation.services.parse_recipients`): the Classic "add email" dialog's ok, whose lists
    take a parser's refusal (InvalidValue) as every list does."""
    target = wizard.validation_target(draft)
    try:
        [address] = validation.parse_recipients(tenant=tenant, target=target, recipients=[text])
    except ValidationError as exc:
        problems = [Problem(" ".join(e.messages), e.code or "invalid") for e in exc.error_list]
        raise InvalidValue(problems) from exc
    return address


def apply_validation_buttons(
    post: QueryDict, *, draft: ConnectorDraft, tenant: Tenant, actor: User
) -> RecipientList:
    """The addresses after the button pressed (kept on the draft), and a run started if it was
    Validate."""
    target = wizard.validation_target(draft)
    recipients, typed, error = apply_recipient_buttons(post, tenant=tenant, target=target)
    keep_recipients(draft, recipients)
    shown = RecipientList(recipients, draft.validation_run, typed=typed, error=error)
    if error:
        return replace(shown, status=422)
    if post.get("action") != "validate":
        return shown
    if not recipients:
        return replace(shown, error="Add at least one email address.", status=422)
    try:
        run = validation.validation_start(
            tenant=tenant, actor=actor, target=target, recipients=recipients
        )
    except ValidationError as exc:  # listed addresses that never came through the + box
        return replace(shown, error=" ".join(exc.messages), status=422)
    except ValidationUnavailable as exc:
        return replace(shown, unavailable=str(exc), status=503)
    draft.validation_run = run
    draft.proceed_without_validation = False
    draft.save(update_fields=["validation_run", "proceed_without_validation", "changed_at"])
    return replace(shown, run=run)


def answer_validation_step(
    post: QueryDict, *, draft: ConnectorDraft, tenant: Tenant, actor: User, move_on: str
) -> RecipientList | MoveOn:
    """A button of the step: the step again (after +, delete, Validate, a refusal, or with "Are
    you sure" first), or, for `move_on` (Next in the wizard, Save in an edit) and Yes, proceed,
    the addresses to go on with."""
    shown = apply_validation_buttons(post, draft=draft, tenant=tenant, actor=actor)
    action = post.get("action", "")
    if shown.status != 200 or action not in (move_on, PROCEED):
        return shown
    validated = validated_for(draft, shown.recipients)
    if not validated and action != PROCEED:
        return replace(shown, confirm=True)
    return MoveOn(shown.recipients, unvalidated=not validated)


def validated_for(draft: ConnectorDraft, recipients: list[str]) -> bool:
    """Whether the draft's last run succeeded for these very addresses. Moving on without it
    asks "Are you sure" first; the connector can be saved either way, as in the EAC."""
    run = draft.validation_run
    return run is not None and run.succeeded and run.recipients == recipients
