"""How trainees' passwords are stored: hashed, with the cheap hasher kept for generated random
passwords (training.hashers), while every password a person sets gets Django's default, and a
trainee's first sign-in moves their hash to the default too."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client
from django.urls import reverse

from console import settings as project_settings
from eac.models import User
from tests.conftest import PASSWORD
from tests.training.conftest import MakeClass, sign_in
from training.apps import password_hashers_check
from training.hashers import GeneratedPasswordHasher
from training.models import Seat
from training.services import PASSWORD_LENGTH, generated_password_entropy_bits

pytestmark = pytest.mark.django_db

DEFAULT = "pbkdf2_sha256"  # the algorithm of Django's default hasher, PBKDF2PasswordHasher
GENERATED = GeneratedPasswordHasher.algorithm


@pytest.fixture
def project_hashers(settings: Any) -> None:
    """The console's own PASSWORD_HASHERS (the suite otherwise hashes with MD5, for speed)."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def stored(email: str) -> str:
    return User.objects.get(email=email).password


def test_the_consoles_default_hasher_is_djangos_and_the_cheap_one_comes_after() -> None:
    hashers = project_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert "training.hashers.GeneratedPasswordHasher" in hashers[1:]


def test_generated_passwords_are_random_enough_to_need_no_key_stretching() -> None:
    # The cheap hasher is safe only while guessing a generated password stays out of reach.
    assert PASSWORD_LENGTH >= 14
    assert generated_password_entropy_bits() > 80


def test_a_trainees_password_is_stored_hashed_with_the_generated_password_hasher(
    project_hashers: None, make_class: MakeClass
) -> None:
    _, credentials = make_class(trainees=2)
    for credential in credentials:
        encoded = stored(credential.email)
        assert credential.password not in encoded
        assert identify_hasher(encoded).algorithm == GENERATED
        assert encoded.startswith(f"{GENERATED}${GeneratedPasswordHasher.iterations}$")
        assert check_password(credential.password, encoded)
        assert not check_password(credential.password + "x", encoded)
    first, second = (stored(c.email) for c in credentials)
    assert first.split("$")[2] != second.split("$")[2]  # each has a salt of its own


def test_a_new_password_for_a_trainee_is_stored_the_same_way(
    project_hashers: None, make_class: MakeClass, trainer_client: Client
) -> None:
    training_class, credentials = make_class(trainees=1)
    response = trainer_client.post(reverse("training:seat_password", args=[training_class.pk, 1]))
    assert response.status_code == 200
    seat = Seat.objects.select_related("trainee").get(training_class=training_class)
    encoded = seat.trainee.password
    assert identify_hasher(encoded).algorithm == GENERATED
    assert not check_password(credentials[0].password, encoded)  # the old one stopped working


def test_a_password_a_person_sets_gets_the_default_hasher(project_hashers: None) -> None:
    person = User.objects.create_user("someone@contoso.com", PASSWORD)
    assert identify_hasher(person.password).algorithm == DEFAULT
    person.set_password("another one, chosen by a person")
    person.save()
    assert identify_hasher(stored("someone@contoso.com")).algorithm == DEFAULT


def test_a_trainees_first_sign_in_moves_their_hash_to_the_default_hasher(
    project_hashers: None, make_class: MakeClass
) -> None:
    _, credentials = make_class(trainees=1)
    email, password = credentials[0].email, credentials[0].password

    _, signed_in = sign_in(email, password)

    assert signed_in
    upgraded = stored(email)
    assert identify_hasher(upgraded).algorithm == DEFAULT
    assert check_password(password, upgraded)
    assert sign_in(email, password)[1]  # the same password still works
    assert stored(email) == upgraded  # and isn't hashed again


def test_a_wrong_password_leaves_the_trainees_hash_as_it_was(
    project_hashers: None, make_class: MakeClass
) -> None:
    _, credentials = make_class(trainees=1)
    before = stored(credentials[0].email)
    assert not sign_in(credentials[0].email, "not the password")[1]
    assert stored(credentials[0].email) == before


def test_without_the_generated_password_hasher_trainees_get_the_default_and_still_sign_in(
    settings: Any, make_class: MakeClass
) -> None:
    # A deployment whose PASSWORD_HASHERS leaves it out: a hash Django can't check would lock
    # the trainees out, so their passwords get the default hasher instead.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _, credentials = make_class(trainees=1)
    assert identify_hasher(stored(credentials[0].email)).algorithm == "md5"
    assert sign_in(credentials[0].email, credentials[0].password)[1]


def test_a_system_check_reports_the_cheap_hasher_listed_first(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "training.hashers.GeneratedPasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    assert [e.id for e in password_hashers_check()] == ["training.E002"]
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert password_hashers_check() == []
