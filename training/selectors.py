"""Reads for training: a seat's tasks with their live checks, a class's progress table."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from eac.models import Tenant, User
from training.models import Seat, TrainingClass
from training.scenarios import Scenario, get_scenario
from training.task_checks import CheckContext, GivenAnswer, Outcome, Task, evaluate_all


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
    answers = {
        task: GivenAnswer(value, correct)
        for task, value, correct in seat.answers.values_list("task", "value", "correct")
    }
    context = CheckContext(tenant=seat.tenant, since=seat.started_at, answers=answers)
    states = [
        TaskState(task, outcome, answers[task.id].value if task.id in answers else "")
        for task, outcome in evaluate_all(scenario.tasks, context)
    ]
    return SeatProgress(seat, states)


def class_progress(training_class: TrainingClass, scenario: Scenario) -> list[SeatProgress]:
    seats = training_class.seats.select_related("tenant", "trainee").order_by("number")
    return [seat_progress(seat, scenario) for seat in seats]


def classes_of(trainer: User) -> QuerySet[TrainingClass]:
    return TrainingClass.objects.filter(trainer=trainer)


def seat_for_tenant(tenant: Tenant | None) -> Seat | None:
    """The seat whose sandbox this tenant is, if it is one."""
    if tenant is None:
        return None
    return Seat.objects.filter(tenant=tenant).select_related("training_class", "trainee").first()


def scenario_for(seat: Seat) -> Scenario | None:
    return get_scenario(seat.training_class.scenario)
