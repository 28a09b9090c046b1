"""Writes for training: a class with its trainees and sandboxes, resets, closing, answers."""

from __future__ import annotations

import math
import secrets
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from eac import services as tenant_services
from eac.audit import audit_record
from eac.models import Membership, User
from eac.roles import Role
from training.hashers import hash_generated_password
from training.models import Answer, Seat, TrainingClass
from training.sandbox import sandbox_build, sandbox_clear, sandboxes_copy
from training.scenarios import Scenario, get_scenario
from training.task_checks import answer_is_right

MAX_TRAINEES = 50
# No 0/O, 1/l/I: the passwords are read off a handout. Starting with a letter keeps a
# spreadsheet from taking one for a formula when the CSV is opened.
_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_PASSWORD_ALPHABET = _LETTERS + "23456789"
PASSWORD_LENGTH = 14
TRAINEE_EMAIL_DOMAIN = "training.invalid"  # a reserved name: these accounts receive no mail


@dataclass(frozen=True)
class Credential:
    seat_number: int
    email: str
    password: str


def generated_password_entropy_bits() -> float:
    """What a generated password is worth against guessing: each character is drawn uniformly
    and independently (`secrets.choice`), so log2 of the number of possible passwords, about
    81. Storing them with a cheap hasher (training.hashers) rests on this staying well over 64."""
    return math.log2(len(_LETTERS)) + (PASSWORD_LENGTH - 1) * math.log2(len(_PASSWORD_ALPHABET))


def generate_password() -> str:
    rest = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH - 1))
    return secrets.choice(_LETTERS) + rest


def trainee_email(class_id: int, number: int) -> str:
    return f"trainee{number}.class{class_id}@{TRAINEE_EMAIL_DOMAIN}"


def scenario_of(training_class: TrainingClass) -> Scenario:
    scenario = get_scenario(training_class.scenario)
    if scenario is None:  # the file was removed after the class was made
        raise ValidationError(f"The scenario {training_class.scenario!r} no longer exists.")
    return scenario


class AlreadyCreated(Exception):
    """The New class form was sent again: its class exists, and its passwords were shown once."""

    def __init__(self, training_class: TrainingClass) -> None:
        super().__init__(f"{training_class.name} was already created from this form.")
        self.training_class = training_class


def class_create(
    *, trainer: User, name: str, scenario: Scenario, trainees: int, creation_token: str = ""
) -> tuple[TrainingClass, list[Credential]]:
    """The class, one account and one sandbox tenant per trainee. The passwords are returned
    once, here, and kept only as hashes. A `creation_token` already used by this trainer raises
    AlreadyCreated rather than making the class twice."""
    if not trainer.is_trainer:
        raise ValidationError("Only trainers can create classes.")
    if not 1 <= trainees <= MAX_TRAINEES:
        raise ValidationError(f"A class has from 1 to {MAX_TRAINEES} trainees.")
    try:
        return _class_create(trainer, name, scenario, trainees, creation_token)
    except IntegrityError:
        existing = TrainingClass.objects.filter(trainer=trainer, creation_token=creation_token)
        if creation_token and (found := existing.first()):
            raise AlreadyCreated(found) from None
        raise


@transaction.atomic
def _class_create(
    trainer: User, name: str, scenario: Scenario, trainees: int, creation_token: str
) -> tuple[TrainingClass, list[Credential]]:
    training_class = TrainingClass.objects.create(
        name=name.strip(), scenario=scenario.id, trainer=trainer, creation_token=creation_token
    )
    numbers = range(1, trainees + 1)
    # The first sandbox through the console's services, the others copied from it.
    first = tenant_services.tenant_create(
        name=_sandbox_name(training_class, 1), initial_label=_sandbox_label(training_class, 1)
    )
    sandbox_build(first, scenario)
    others = sandboxes_copy(
        first,
        [
            (_sandbox_name(training_class, n), _sandbox_label(training_class, n))
            for n in numbers[1:]
        ],
    )
    tenants = [first, *others]
    credentials = [
        Credential(n, trainee_email(training_class.pk, n), generate_password()) for n in numbers
    ]
    accounts = User.objects.bulk_create(
        User(
            email=c.email,
            display_name=f"Trainee {c.seat_number}",
            password=hash_generated_password(c.password),
        )
        for c in credentials
    )
    Seat.objects.bulk_create(
        Seat(training_class=training_class, number=n, trainee=account, tenant=tenant)
        for n, account, tenant in zip(numbers, accounts, tenants, strict=True)
    )
    Membership.objects.bulk_create(
        membership
        for account, tenant in zip(accounts, tenants, strict=True)
        for membership in (
            Membership(tenant=tenant, user=account, role=Role.ORGANIZATION_MANAGEMENT),
            # The trainer may look at every sandbox, without changing it.
            Membership(tenant=tenant, user=trainer, role=Role.VIEW_ONLY),
        )
    )
    return training_class, credentials


def _sandbox_name(training_class: TrainingClass, number: int) -> str:
    return f"{training_class.name} · Trainee {number} (class {training_class.pk})"


def _sandbox_label(training_class: TrainingClass, number: int) -> str:
    return f"class{training_class.pk}-trainee{number}"


def _refuse_if_closed(training_class: TrainingClass) -> None:
    if training_class.is_closed:
        raise ValidationError("This class is closed; its sandboxes are kept as they are.")


@transaction.atomic
def seat_reset(*, seat: Seat, actor: User) -> Seat:
    """The sandbox back to the scenario's start, its answers forgotten, its tasks opened anew."""
    seat = (
        Seat.objects.select_for_update().select_related("training_class", "tenant").get(pk=seat.pk)
    )
    _refuse_if_closed(seat.training_class)
    scenario = scenario_of(seat.training_class)
    sandbox_clear(seat.tenant)
    sandbox_build(seat.tenant, scenario)
    seat.answers.all().delete()
    seat.started_at = timezone.now()
    seat.save(update_fields=["started_at"])
    audit_record(
        tenant=seat.tenant,
        actor=actor,
        action="sandbox.reset",
        target=seat.tenant,
        after={"scenario": scenario.id},
    )
    return seat


@transaction.atomic
def class_reset(*, training_class: TrainingClass, actor: User) -> int:
    _refuse_if_closed(training_class)
    seats = list(training_class.seats.all())
    for seat in seats:
        seat_reset(seat=seat, actor=actor)
    return len(seats)


@transaction.atomic
def seat_new_password(*, seat: Seat, actor: User) -> Credential:
    """A new password for a trainee who lost theirs, returned once; the old one stops working."""
    _refuse_if_closed(seat.training_class)
    password = generate_password()
    seat.trainee.password = hash_generated_password(password)
    seat.trainee.save(update_fields=["password"])
    audit_record(
        tenant=seat.tenant,
        actor=actor,
        action="sandbox.new_password",
        target=seat.trainee,
        after={"trainee": seat.trainee.email},
    )
    return Credential(seat.number, seat.trainee.email, password)


@transaction.atomic
def class_close(*, training_class: TrainingClass) -> TrainingClass:
    """Sign-ins stop at once (an inactive account's session is no longer honoured); the
    sandboxes stay for the trainer to review."""
    if training_class.closed_at is None:
        training_class.closed_at = timezone.now()
        training_class.save(update_fields=["closed_at"])
    User.objects.filter(seat__training_class=training_class).update(is_active=False)
    return training_class


@transaction.atomic
def answer_record(*, seat: Seat, task_id: str, value: str) -> Answer:
    _refuse_if_closed(seat.training_class)
    scenario = scenario_of(seat.training_class)
    task = scenario.task(task_id)
    if task is None or task.kind != "answer":
        raise ValidationError("That task doesn't take an answer.")
    value = " ".join(value.split())[:255]
    if not value:
        raise ValidationError("Enter an answer.")
    if any(unicodedata.category(char) == "Cc" for char in value):
        # Nobody types one, and PostgreSQL refuses a NUL with an error.
        raise ValidationError("An answer can't contain control characters.")
    correct = answer_is_right(task.params, seat.tenant, value)
    answer, _ = Answer.objects.update_or_create(
        seat=seat,
        task=task_id,
        defaults={"value": value, "correct": correct, "answered_at": timezone.now()},
    )
    return answer


def former_trainer_memberships_remove(user: User) -> int:
    """A user who is no longer a trainer keeps no look into the sandboxes of the classes they
    ran: their View-Only memberships there go with the flag (another role, given on purpose,
    stays). Returns how many were removed."""
    removed, _ = Membership.objects.filter(
        user=user,
        role=Role.VIEW_ONLY,
        tenant__seat__training_class__trainer=user,
    ).delete()
    return removed
