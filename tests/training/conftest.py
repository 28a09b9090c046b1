"""A trainer and a class of trainees, each with a sandbox built from a scenario."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import User
from tests.conftest import PASSWORD
from training.models import TrainingClass
from training.scenarios import get_scenario
from training.services import Credential, class_create


@pytest.fixture
def trainer(db: None) -> User:
    return User.objects.create_user("trainer@lab.test", PASSWORD, is_trainer=True)


@pytest.fixture
def trainer_client(trainer: User) -> Client:
    client = Client()
    client.force_login(trainer)
    return client


MakeClass = Callable[..., tuple[TrainingClass, list[Credential]]]


@pytest.fixture
def make_class(trainer: User) -> MakeClass:
    def make(
        scenario: str = "eop-in-front", trainees: int = 2, name: str = "Monday"
    ) -> tuple[TrainingClass, list[Credential]]:
        found = get_scenario(scenario)
        assert found is not None, scenario
        return class_create(trainer=trainer, name=name, scenario=found, trainees=trainees)

    return make


def sign_in(email: str, password: str) -> tuple[Client, bool]:
    """Signs in through the sign-in page, as a trainee would; whether it worked."""
    client = Client()
    client.post(reverse("signin"), {"username": email, "password": password})
    return client, "_auth_user_id" in client.session
