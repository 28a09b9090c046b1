"""Wizard drafts becoming connectors: Create at the end of the New wizard or the Classic window,
a draft that edits a saved connector (the Classic pencil, a New edit validated before it is saved),
and Save of such a draft. Each step's answers are checked again by `connectors.wizard.steps`; the
writes themselves are `connectors.services`' (docs/architecture.md, "How a wizard request flows").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import (
    AnyConnector,
    connector_create,
    connector_settings,
    connector_update,
)
from connectors.wizard import steps as wizard
from eac.models import User
from validation.models import RunStatus, ValidationRun


@transaction.atomic
def connector_create_from_draft(*, draft: ConnectorDraft, actor: User | None) -> AnyConnector:
    """Every step checked again, then the connector, its validation result and the audit row,
    all in one transaction."""
    draft = ConnectorDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.created_connector_id is not None:  # a second Create of the same draft: the same one
        created = draft.created_connector()
        if created is None:
            raise ValidationError("This connector was created, then deleted.")
        return created
    values = wizard.revalidate(draft)
    model, fields = wizard.connector_fields(values)
    if model is OutboundConnector:
        run = draft.validation_run
        fields["validation_recipients"] = draft.data.get("validation", {}).get("recipients", [])
        if (
            run is not None
            and run.finished_at is not None
            and run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
        ):
            fields["is_validated"] = run.succeeded
            fields["last_validation_timestamp"] = run.finished_at
    connector: AnyConnector = connector_create(
        model, tenant=draft.tenant, actor=actor, fields=fields
    )
    if model is OutboundConnector and draft.validation_run_id:
        ValidationRun.objects.filter(pk=draft.validation_run_id).update(connector=connector)
    draft.created_connector_id = connector.pk
    draft.created_direction = model.direction
    draft.save(update_fields=["created_connector_id", "created_direction", "changed_at"])
    return connector


@transaction.atomic
def connector_edit_draft(
    *,
    connector: AnyConnector,
    actor: User | None,
    changes: dict[str, dict[str, Any]] | None = None,
    opened: dict[str, Any] | None = None,
    draft: ConnectorDraft | None = None,
) -> ConnectorDraft:
    """A draft holding a saved connector's answers with `changes` (step key → values) swapped
    in: for the Classic EAC's pencil, and for a New EAC edit that is validated before it is
    saved. `opened` ({"version", "settings"}) is what the edit page was opened with, so a save
    made meanwhile is still noticed; without it, the connector as it is now. An existing `draft`
    of the same edit takes the changes instead of a new one."""
    if draft is not None:
        draft.data = draft.data | (changes or {})
        draft.save(update_fields=["data", "changed_at"])
        return draft
    answers = wizard.answers_of(connector) | (changes or {})
    return ConnectorDraft.objects.create(
        tenant=connector.tenant,
        created_by=actor,
        data=answers,
        completed=[*answers, "confirm"],
        editing_connector_id=connector.pk,
        editing_direction=connector.direction,
        editing_version=opened["version"] if opened else connector.version,
        editing_opened=opened["settings"] if opened else connector_settings(connector),
    )


@transaction.atomic
def connector_save_draft(*, draft: ConnectorDraft, actor: User | None) -> AnyConnector:
    """Creates the draft's connector, or, for an edit, updates the connector it came from.

    The draft row is locked and remembers the connector it became, so a second Save of the same
    draft (a double click, another tab, a repeated POST) returns that connector and writes
    nothing: not a second connector, nor an update refused as someone else's save."""
    draft = ConnectorDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.created_connector_id is not None:
        saved = draft.created_connector()
        if saved is None:
            raise ValidationError("This connector was saved, then deleted.")
        return saved
    if draft.editing_connector_id is None:
        return connector_create_from_draft(draft=draft, actor=actor)
    model = OutboundConnector if draft.editing_direction == "outbound" else InboundConnector
    connector = model.objects.get(pk=draft.editing_connector_id, tenant=draft.tenant)
    # Only what the answers change: a property the pages can't express (set with PowerShell)
    # stays as it is, as with the New EAC's edit pages.
    _, before = wizard.connector_fields(wizard.answers_of(connector))
    _, after = wizard.connector_fields(wizard.revalidate(draft))
    fields = {name: value for name, value in after.items() if before.get(name) != value}
    run = draft.validation_run
    if isinstance(connector, OutboundConnector) and run is not None and run.finished_at is not None:
        fields["validation_recipients"] = run.recipients
        fields["is_validated"] = run.succeeded
        fields["last_validation_timestamp"] = run.finished_at
    changed = {name: value for name, value in fields.items() if getattr(connector, name) != value}
    updated = connector_update(
        connector=connector,
        actor=actor,
        fields=changed,
        expected_version=draft.editing_version or 0,
        opened=draft.editing_opened,
    )
    if run is not None:
        ValidationRun.objects.filter(pk=run.pk).update(connector=updated)
    # The edit's draft has done its job; it stays to answer a repeat with the same connector.
    draft.created_connector_id = updated.pk
    draft.created_direction = updated.direction
    draft.save(update_fields=["created_connector_id", "created_direction", "changed_at"])
    return updated
