"""What a worker writes about a run: it claims it, records each task's result and finishes it
(with the result on the connector); and the sweep that notices a worker died mid-run.

`validation.tasks` calls these; the pages and `validate_connector` call `sweep_interrupted` for the
run they show. Starting and stopping runs is `validation.services`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.models import OutboundConnector
from eac.audit import audit_record
from validation import progress
from validation.models import RunStatus, ValidationRun, ValidationTask

if TYPE_CHECKING:
    # Only their shape: the pages and `validate_connector` read runs without loading the probe
    # (dnspython, cryptography, smtplib), which only a worker runs.
    from validation.probe import ProbeOutcome, TaskResult

# How long past its probe budget a run may stay running before the sweep calls it interrupted.
GRACE = timedelta(seconds=15)
# A running run's worker writes its heartbeat every HEARTBEAT_SECONDS (validation.tasks); one
# silent for HEARTBEAT_STALE has lost its worker, and the next look at it says so.
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_STALE = timedelta(seconds=20)


def validation_claim(run_id: str | uuid.UUID) -> ValidationRun | None:
    """Queued → running, atomically: only one worker ever runs a run, even if redelivered."""
    now = timezone.now()
    budget = timedelta(seconds=settings.EAC_PROBE_TIMEOUT_SECONDS)
    claimed = ValidationRun.objects.filter(
        pk=run_id, status=RunStatus.QUEUED, stop_requested=False
    ).update(
        status=RunStatus.RUNNING,
        started_at=now,
        deadline_at=now + budget + GRACE,
        heartbeat_at=now,
    )
    if not claimed:
        ValidationRun.objects.filter(
            pk=run_id, status=RunStatus.QUEUED, stop_requested=True
        ).update(status=RunStatus.CANCELLED, finished_at=now)
        return None
    return ValidationRun.objects.select_related("tenant").get(pk=run_id)


def validation_record_task(run: ValidationRun, seq: int, result: TaskResult) -> ValidationTask:
    certificate = result.certificate
    task = ValidationTask.objects.create(
        run=run,
        seq=seq,
        name=result.name,
        host=result.host,
        address=result.address,
        status=result.status,
        started_at=result.started,
        duration_ms=result.duration_ms,
        detail=result.detail,
        replies=list(result.replies),
        certificate=None
        if certificate is None
        else {
            "subject": certificate.subject,
            "sans": list(certificate.sans),
            "issuer": certificate.issuer,
            "not_before": certificate.not_before.isoformat(),
            "not_after": certificate.not_after.isoformat(),
            "tls_version": certificate.tls_version,
            "cipher": certificate.cipher,
            "trusted": certificate.trusted,
            "trust_error": certificate.trust_error,
            "name_matched": certificate.name_matched,
        },
        error=result.error[:255],
        cause=result.cause,
        fix=result.fix,
    )
    # Once it's committed (at once, outside a transaction), so a watcher that reads finds it.
    transaction.on_commit(functools.partial(progress.announce, run.pk))
    return task


def heartbeat(run_ids: Iterable[str | uuid.UUID]) -> int:
    """The worker running these runs is alive."""
    return ValidationRun.objects.filter(pk__in=list(run_ids), status=RunStatus.RUNNING).update(
        heartbeat_at=timezone.now()
    )


def stop_requested(run_id: str | uuid.UUID) -> bool:
    return ValidationRun.objects.filter(pk=run_id, stop_requested=True).exists()


@transaction.atomic
def validation_finish(run: ValidationRun, outcome: ProbeOutcome) -> ValidationRun:
    if outcome.stopped:
        status = RunStatus.CANCELLED
    else:
        status = RunStatus.SUCCEEDED if outcome.succeeded else RunStatus.FAILED
    now = timezone.now()
    updated = ValidationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=status, transcript=list(outcome.transcript), finished_at=now
    )
    # With what the connector's record and the audit row need, in the same query.
    run.refresh_from_db(
        from_queryset=ValidationRun.objects.select_related("tenant", "connector", "started_by")
    )
    if updated and run.connector is not None and status != RunStatus.CANCELLED:
        _record_on_connector(run, run.connector, succeeded=status == RunStatus.SUCCEEDED, when=now)
    transaction.on_commit(functools.partial(progress.announce, run.pk))  # after the commit
    return run


def _record_on_connector(
    run: ValidationRun, connector: OutboundConnector, *, succeeded: bool, when: Any
) -> None:
    # Only the validation fields, without touching `version`: an edit open in someone's browser
    # stays valid, since it never changes these.
    OutboundConnector.objects.filter(pk=connector.pk).update(
        validation_recipients=run.recipients, is_validated=succeeded, last_validation_timestamp=when
    )
    audit_record(
        tenant=run.tenant,
        actor=run.started_by,
        action="outbound_connector.validation_result",
        target=connector,
        after={"run": str(run.id), "is_validated": succeeded, "recipients": run.recipients},
    )


def sweep_interrupted(now: Any = None, *, run_id: str | uuid.UUID | None = None) -> int:
    """Runs that will never finish on their own: still running with no heartbeat for
    HEARTBEAT_STALE or past their deadline (their worker died or hung), or still queued after
    EAC_VALIDATION_QUEUE_SECONDS (no worker is taking runs).
    Workers sweep them all before each run; a page or the command checks just the run it shows
    (`run_id`), which is what ends a queued run when no worker runs at all."""
    now = now or timezone.now()
    overdue = ValidationRun.objects.filter(status=RunStatus.RUNNING).filter(
        Q(deadline_at__lt=now) | Q(heartbeat_at__lt=now - HEARTBEAT_STALE)
    )
    unclaimed = ValidationRun.objects.filter(
        status=RunStatus.QUEUED,
        created_at__lt=now - timedelta(seconds=settings.EAC_VALIDATION_QUEUE_SECONDS),
    )
    if run_id is not None:
        overdue, unclaimed = overdue.filter(pk=run_id), unclaimed.filter(pk=run_id)
    return overdue.update(
        status=RunStatus.INTERRUPTED,
        finished_at=now,
        note="The worker running this validation stopped before it finished. Validate again.",
    ) + unclaimed.update(status=RunStatus.FAILED, finished_at=now, note=NO_WORKER)


NO_WORKER = (
    "No worker took this validation, so it didn't run. Check that a worker is running "
    "(make run starts one), then validate again."
)
