"""What the "Add a connector" wizard decides, in one call per request.

`answer_step(draft, key, post, ...)` takes the draft, the step its URL names and what was posted
(None for a GET), and returns an outcome: `Show` the step (its form, with the refusal's messages
and status 422 when refused), `GoTo` another step, `Created` (the connector the draft became),
or `AskFirst` ("Are you sure you want to proceed?" over Validation email, after a validation
that failed or never ran). The view only turns the outcome into a response.

The Classic window (`connectors.classic.wizard_views`) and the details panel's edit pages
(`connectors.wizard.edit_views`) answer the same steps of the same drafts, on pages of their own:
they use the decisions below that `answer_step` is made of (`keep_valid_answers`, `save_draft`,
`created_before`, and `draft_validation.answer_validation_step`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import QueryDict

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import AnyConnector, ConnectorConflict
from connectors.wizard import steps as wizard
from connectors.wizard.answers import answers_in
from connectors.wizard.draft_validation import (
    MoveOn,
    RecipientList,
    answer_validation_step,
    kept_recipients,
)
from connectors.wizard.drafts import connector_create_from_draft, connector_save_draft
from connectors.wizard.forms import AnswerForm
from eac.formfields import LIST_ACTION, apply_list_action
from eac.models import Tenant, User

BACK = "back"


# --- Outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RailItem:
    step: wizard.Step
    done: bool
    current: bool
    # Step 1 only: every step is in its rail, each naming the scenarios ("source:target") that
    # have it, and hidden unless the chosen one does, so the page can follow the radios.
    scenarios: str = ""
    hidden: bool = False


@dataclass(frozen=True)
class Frame:
    """What surrounds every step: the rail, Back, and the scenario its wording depends on."""

    rail: list[RailItem]
    back: wizard.Step | None
    source: str
    target: str


@dataclass(frozen=True)
class Refusal:
    """Create or Save refused: the message, and the step whose answers it is about."""

    message: str
    fix: wizard.Step


@dataclass(frozen=True)
class Show:
    """The step: with its form (a form step), its addresses (Validation email), or the
    connector its answers make (Review), and, when refused, why (status 422, 503)."""

    step: wizard.Step
    frame: Frame
    form: AnswerForm | None = None
    recipients: RecipientList | None = None
    preview: AnyConnector | None = None
    refusal: Refusal | None = None
    status: int = 200


@dataclass(frozen=True)
class AskFirst:
    """ "Are you sure you want to proceed?" over the step (Next without a successful run)."""

    shown: Show


@dataclass(frozen=True)
class GoTo:
    """Another step. With `follow` (htmx), that step as it opens, to show in place."""

    step: wizard.Step
    shown: Show | None = None


@dataclass(frozen=True)
class Created:
    """The connector the draft became: now, or at an earlier Create or Save (a double click,
    another tab). None if it has been deleted since."""

    connector: AnyConnector | None


@dataclass(frozen=True)
class Overtaken:
    """An edit's Save refused: someone else saved the connector since the edit was opened."""

    conflict: ConnectorConflict


@dataclass(frozen=True)
class Gone:
    """An edit's Save refused: someone else deleted the connector since the edit was opened."""


Outcome = Show | AskFirst | GoTo | Created


# --- The wizard, one request -------------------------------------------------------------------


def answer_step(
    draft: ConnectorDraft,
    key: str,
    post: QueryDict | None,
    *,
    tenant: Tenant,
    actor: User,
    follow: bool = False,
) -> Outcome:
    """The outcome of opening (`post` None) or posting step `key` of the draft. A step that
    doesn't exist or can't be reached yet goes to the first one to answer; a draft already
    created answers with its connector."""
    created = created_before(draft)
    if created is not None:
        return created
    step = wizard.STEP_BY_KEY.get(key)
    if step is None or not wizard.reachable(draft, step):
        return GoTo(wizard.first_incomplete(draft))
    if post is None:
        return _opened(draft, step)
    if post.get("action") == BACK:
        return _moved(draft, wizard.previous_step(draft, step) or step, follow=follow)
    answer = _ANSWERS.get(step.key, _answer_form)
    return answer(draft, step, post, _Asked(tenant=tenant, actor=actor, follow=follow))


@dataclass(frozen=True)
class _Asked:
    """Who asks, in which tenant, and whether the next step is shown in place (htmx)."""

    tenant: Tenant
    actor: User
    follow: bool


def _opened(draft: ConnectorDraft, step: wizard.Step) -> Show:
    """The step as it opens, filled with what the draft holds."""
    if step.key == "validation":
        return _show(draft, step, recipients=kept_recipients(draft))
    if step.key == "review":
        return _show(draft, step, preview=wizard.preview(draft))
    return _show(draft, step, form=wizard.make_form(step, draft))


def _answer_form(
    draft: ConnectorDraft, step: wizard.Step, post: QueryDict, asked: _Asked
) -> Outcome:
    form = wizard.make_form(step, draft, data=post)
    list_action = post.get(LIST_ACTION)
    if list_action is not None:  # + or a delete icon: the step again, with the list changed
        shown = apply_list_action(form, list_action)
        assert isinstance(shown, AnswerForm)
        return _show(draft, step, form=shown)
    if not keep_valid_answers(draft, step, form):
        return _show(draft, step, form=form, status=422)
    return _moved(draft, wizard.next_step(draft, step), follow=asked.follow)


def _answer_validation(
    draft: ConnectorDraft, step: wizard.Step, post: QueryDict, asked: _Asked
) -> Outcome:
    answered = answer_validation_step(
        post, draft=draft, tenant=asked.tenant, actor=asked.actor, move_on="next"
    )
    if isinstance(answered, MoveOn):
        _keep_recipients(draft, step, answered)
        return _moved(draft, wizard.next_step(draft, step), follow=asked.follow)
    shown = _show(draft, step, recipients=answered, status=answered.status)
    return AskFirst(shown) if answered.confirm else shown


def _keep_recipients(draft: ConnectorDraft, step: wizard.Step, answered: MoveOn) -> None:
    draft.proceed_without_validation = answered.unvalidated
    wizard.save_step(draft, step, {"recipients": answered.recipients})


def _answer_review(
    draft: ConnectorDraft, step: wizard.Step, post: QueryDict, asked: _Asked
) -> Outcome:
    """Create: the connector, or the review again with why not and a link to the step to fix.
    A second Create of the same draft (a double click, another tab) finds the same connector."""
    try:
        connector = connector_create_from_draft(draft=draft, actor=asked.actor)
    except ValidationError as exc:
        refusal = _refusal(draft, exc)
        return _show(draft, step, preview=wizard.preview(draft), refusal=refusal, status=422)
    assert isinstance(connector, OutboundConnector | InboundConnector)
    return Created(connector)


_ANSWERS: dict[str, Callable[[ConnectorDraft, wizard.Step, QueryDict, _Asked], Outcome]] = {
    "validation": _answer_validation,
    "review": _answer_review,
}


def _moved(draft: ConnectorDraft, step: wizard.Step, *, follow: bool) -> GoTo:
    if not follow:
        return GoTo(step)
    draft.refresh_from_db()  # as saved, with its run
    return GoTo(step, shown=_opened(draft, step))


def _show(
    draft: ConnectorDraft,
    step: wizard.Step,
    *,
    form: AnswerForm | None = None,
    recipients: RecipientList | None = None,
    preview: AnyConnector | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> Show:
    return Show(
        step,
        _frame_of(draft, step, form),
        form=form,
        recipients=recipients,
        preview=preview,
        refusal=refusal,
        status=status,
    )


def _frame_of(draft: ConnectorDraft, step: wizard.Step, form: AnswerForm | None) -> Frame:
    # Before step 1 is answered, the source the draft holds still picks the page's wording.
    stored = answers_in(draft).get("scenario")
    source, target = wizard.scenario_of(draft) or (stored["source"] if stored else "", "")
    return Frame(_rail(draft, step, form), wizard.previous_step(draft, step), source, target)


def _rail(draft: ConnectorDraft, step: wizard.Step, form: AnswerForm | None) -> list[RailItem]:
    """The step rail: the draft's scenario's steps; on step 1 every step (see RailItem)."""
    if step.key != "scenario":
        return [
            RailItem(s, done=s.key in draft.completed and s != step, current=s == step)
            for s in wizard.steps_for(draft)
        ]
    shown = form.data if form is not None and form.is_bound else draft.data.get("scenario", {})
    chosen = wizard.chosen_on_step_one(shown)
    rail = []
    for s in wizard.STEPS:
        scenarios = wizard.scenarios_of(s)
        rail.append(
            RailItem(
                s,
                done=False,
                current=s == step,
                scenarios=" ".join(scenarios) if s != step else "",
                hidden=s != step and chosen not in scenarios,
            )
        )
    return rail


# --- Decisions the Classic window and the edit pages share -------------------------------------


def created_before(draft: ConnectorDraft) -> Created | None:
    """The connector an earlier Create or Save of this draft made, if it made one."""
    if draft.created_connector_id is None:
        return None
    return Created(draft.created_connector())


def keep_valid_answers(draft: ConnectorDraft, step: wizard.Step, form: AnswerForm) -> bool:
    """Whether the step's answers are valid, and so kept on the draft."""
    if not form.is_valid():
        return False
    wizard.save_step(draft, step, form.json())
    return True


def save_draft(draft: ConnectorDraft, actor: User) -> Created | Refusal | Overtaken | Gone:
    """Save (the Classic window, an edit validated first): the draft's connector created, or the
    connector it edits updated; refused with the step to fix, or because someone else saved
    that connector since the edit was opened. A second Save of the same draft (a double click,
    another tab) finds the same connector."""
    try:
        return Created(connector_save_draft(draft=draft, actor=actor))
    except ValidationError as exc:
        return _refusal(draft, exc)
    except ConnectorConflict as exc:
        return Overtaken(exc)
    except ObjectDoesNotExist:
        return Gone()


def _refusal(draft: ConnectorDraft, exc: ValidationError) -> Refusal:
    return Refusal(" ".join(exc.messages), wizard.step_to_fix(draft, exc))
