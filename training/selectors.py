"""Reads for training: a seat's tasks with their live checks, a class's progress table."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from connectors.mailflow.facts import TenantMailFlow
from eac.models import Tenant, User
from lab.models import TracedMessage, TraceEvent
from training.models import Answer, Seat, TrainingClass
from training.scenarios import Scenario, get_scenario
from training.task_checks import (
    CheckContext,
    GivenAnswer,
    Outcome,
    Task,
    evaluate_all,
    trace_addresses,
)
from validation.models import RunStatus, ValidationRun, ValidationTask


@dataclass(frozen=True)
class TaskState:
    task: Task
    outcome: Outcome
    answer: str  # the trainee's latest answer ("" when none, or not a question)

    @property
    def done(self) -> bool:
        return self.outcome.done


@dataclass(frozen=True)
class SeatProgress:
    seat: Seat
    tasks: list[TaskState]

    @property
    def done_count(self) -> int:
        return sum(state.done for state in self.tasks)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.tasks)


def seat_progress(seat: Seat, scenario: Scenario) -> SeatProgress:
    """Each task of the scenario, checked against the seat's sandbox now."""
    [progress] = sandboxes_progress([seat], scenario)
    return progress


def class_progress(training_class: TrainingClass, scenario: Scenario) -> list[SeatProgress]:
    seats = training_class.seats.select_related("tenant", "trainee").order_by("number")
    return sandboxes_progress(list(seats), scenario)


def sandboxes_progress(seats: list[Seat], scenario: Scenario) -> list[SeatProgress]:
    """The seats' tasks checked against their sandboxes now, in the same seven queries however
    many seats there are (nine when a task reads the message trace): the trainer's table polls
    this for the whole class."""
    contexts = _check_contexts(seats, trace_addresses(scenario.tasks))
    return [
        SeatProgress(
            seat,
            [
                TaskState(task, outcome, _answer_text(context, task))
                for task, outcome in evaluate_all(scenario.tasks, context)
            ],
        )
        for seat, context in zip(seats, contexts, strict=True)
    ]


def _answer_text(context: CheckContext, task: Task) -> str:
    given = context.answers.get(task.id)
    return given.value if given else ""


def _check_contexts(seats: list[Seat], traced_pairs: set[tuple[str, str]]) -> list[CheckContext]:
    flows = TenantMailFlow.for_tenants(seat.tenant for seat in seats)  # four queries
    answers: dict[int, dict[str, GivenAnswer]] = defaultdict(dict)
    for seat_id, task, value, correct in Answer.objects.filter(seat__in=seats).values_list(
        "seat_id", "task", "value", "correct"
    ):
        answers[seat_id][task] = GivenAnswer(value, correct)
    runs: dict[int, list[ValidationRun]] = defaultdict(list)
    for run in _finished_runs(seats):
        runs[run.tenant_id].append(run)
    traced: dict[int, list[TracedMessage]] = defaultdict(list)
    for message in _traced_messages(seats, traced_pairs):
        traced[message.tenant_id].append(message)
    return [
        CheckContext(
            tenant=seat.tenant,
            since=seat.started_at,
            answers=answers[seat.pk],
            flow=flows[seat.tenant_id],
            runs=[run for run in runs[seat.tenant_id] if run.created_at >= seat.started_at],
            traced=[m for m in traced[seat.tenant_id] if m.received_at >= seat.started_at],
        )
        for seat in seats
    ]


def _finished_runs(seats: list[Seat]) -> QuerySet[ValidationRun]:
    """The sandboxes' succeeded and failed runs since the earliest of their starts (two queries:
    the runs, and their tasks' errors)."""
    if not seats:
        return ValidationRun.objects.none()
    return ValidationRun.objects.filter(
        tenant__in=[seat.tenant_id for seat in seats],
        status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED],
        created_at__gte=min(seat.started_at for seat in seats),
    ).prefetch_related(Prefetch("tasks", queryset=ValidationTask.objects.only("run_id", "error")))


def _traced_messages(seats: list[Seat], pairs: set[tuple[str, str]]) -> QuerySet[TracedMessage]:
    """The sandboxes' traced messages between the given (sender, recipient) pairs since the
    earliest of their starts, newest first (two queries: the messages, and their events; none
    when no task reads the trace)."""
    if not seats or not pairs:
        return TracedMessage.objects.none()
    between = Q()
    for sender, recipient in pairs:
        between |= Q(sender__iexact=sender, recipient__iexact=recipient)
    return (
        TracedMessage.objects.filter(
            between,
            tenant__in=[seat.tenant_id for seat in seats],
            received_at__gte=min(seat.started_at for seat in seats),
        )
        .order_by("-received_at", "-id")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=TraceEvent.objects.only(
                    "message_id", "seq", "kind", "connector", "detail"
                ),
            )
        )
    )


def classes_of(trainer: User) -> QuerySet[TrainingClass]:
    return TrainingClass.objects.filter(trainer=trainer)


def seat_for_tenant(tenant: Tenant | None) -> Seat | None:
    """The seat whose sandbox this tenant is, if it is one."""
    if tenant is None:
        return None
    return Seat.objects.filter(tenant=tenant).select_related("training_class", "trainee").first()


def scenario_for(seat: Seat) -> Scenario | None:
    return get_scenario(seat.training_class.scenario)
