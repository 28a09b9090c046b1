"""Classes a trainer runs: one sandbox tenant per trainee, built from a scenario (see
`training/scenarios/`), and the answers trainees give to the scenario's questions. Whether a task
is done is never stored: `training.task_checks` works it out from the sandbox each time it is asked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from eac.models import Tenant


class TrainingClass(models.Model):
    name = models.CharField(max_length=64)
    scenario = models.CharField(max_length=64)  # a scenario file's name, without `.toml`
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_classes"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The New class form's own token: sent again (a reload of the page that showed the
    # passwords), it finds this class instead of making a second one.
    creation_token = models.CharField(max_length=64, blank=True)
    # Closed: the trainees can no longer sign in; their sandboxes stay for the trainer to review.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "training classes"
        constraints = [
            models.UniqueConstraint(
                fields=["trainer", "creation_token"],
                condition=~models.Q(creation_token=""),
                name="one_class_per_new_class_form",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Seat(models.Model):
    """One trainee of a class, with the account they sign in with and their sandbox tenant."""

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="seats"
    )
    number = models.PositiveIntegerField()  # 1, 2, … in the class
    trainee = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat"
    )
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="seat")
    # When the sandbox was built or last reset: the tasks were opened then, so only what happened
    # since counts (a validation run from before a reset doesn't tick "the connector validates").
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["training_class", "number"]
        constraints = [
            models.UniqueConstraint(fields=["training_class", "number"], name="seat_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.training_class} · trainee {self.number}"

    @property
    def label(self) -> str:
        return f"Trainee {self.number}"


class Answer(models.Model):
    """What a trainee answered to one of the scenario's questions (its latest answer)."""

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="answers")
    task = models.CharField(max_length=64)  # the task's id in the scenario
    value = models.CharField(max_length=255)
    # Judged when given, against the sandbox then (see training.task_checks.GivenAnswer).
    correct = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seat", "task"], name="one_answer_per_task")]

    def __str__(self) -> str:
        return f"{self.seat}: {self.task} = {self.value}"
