"""Validation runs and their tasks, written as a run progresses so the browser can show it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from connectors.models import OutboundConnector
from eac.models import Tenant


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Validation in progress..."
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    INTERRUPTED = "interrupted", "Interrupted"
    CANCELLED = "cancelled", "Stopped"


FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.INTERRUPTED, RunStatus.CANCELLED)
# The New EAC's words for a finished run (the Classic window has its own, in its template).
RESULT_WORDS = {
    RunStatus.SUCCEEDED: "Validation succeeded",
    RunStatus.FAILED: "Validation failed",
    RunStatus.CANCELLED: "Validation stopped",
    RunStatus.INTERRUPTED: "Validation interrupted",
}


class ValidationRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="validation_runs")
    # A run of a saved connector; None for a wizard draft, whose settings are all in `target`.
    connector = models.ForeignKey(
        OutboundConnector,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="validation_runs",
    )
    # The connector settings the probe used, frozen when the run started (later edits don't matter).
    target = models.JSONField()
    recipients = models.JSONField()
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stop_requested = models.BooleanField(default=False)
    expected_tasks = models.PositiveIntegerField(default=0)
    transcript = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)  # why a run ended without a result (service unavailable…)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker every few seconds while it runs the run (validation.tasks); a run
    # whose heartbeat stops is interrupted long before its deadline (validation.recording).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "deadline_at"], name="validation_run_sweep")]

    def __str__(self) -> str:
        return f"Validation of {self.target.get('name', 'a draft')} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def succeeded(self) -> bool:
        return self.status == RunStatus.SUCCEEDED

    @property
    def interrupted(self) -> bool:
        return self.status == RunStatus.INTERRUPTED

    @property
    def result_words(self) -> str:
        return RESULT_WORDS.get(RunStatus(self.status), "Validation in progress...")


class ValidationTask(models.Model):
    run = models.ForeignKey(ValidationRun, on_delete=models.CASCADE, related_name="tasks")
    seq = models.PositiveIntegerField()
    name = models.CharField(max_length=32)
    host = models.CharField(max_length=255)
    address = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    detail = models.TextField(blank=True)
    replies = models.JSONField(default=list, blank=True)
    certificate = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    cause = models.TextField(blank=True)
    fix = models.TextField(blank=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="validation_task_order")]

    def __str__(self) -> str:
        return f"{self.name} {self.host}: {self.status}"
