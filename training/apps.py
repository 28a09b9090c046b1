from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core import checks
from django.db.models.signals import post_save

from training.hashers import GeneratedPasswordHasher


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training classes"

    def ready(self) -> None:
        checks.register(scenario_files_check)
        checks.register(password_hashers_check, checks.Tags.security)
        post_save.connect(
            trainer_flag_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="trainer_flag"
        )


def trainer_flag_saved(sender: type, instance: Any, **kwargs: Any) -> None:
    """Taking the trainer flag away (the Django admin, a script) takes away the View-Only
    memberships it brought: one per sandbox of every class the user ran."""
    update_fields = kwargs.get("update_fields")
    if instance.is_trainer or (update_fields is not None and "is_trainer" not in update_fields):
        return
    from training.services import former_trainer_memberships_remove

    former_trainer_memberships_remove(instance)


def scenario_files_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A scenario file that can't be read is reported when the console starts (`make run`,
    `manage.py check`), with the file and the reason, rather than as an error page later."""
    from training.scenarios import SCENARIO_DIR, ScenarioError, load_scenario

    problems: list[checks.CheckMessage] = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            load_scenario(path)
        except ScenarioError as exc:
            problems.append(
                checks.Error(str(exc), hint=f"Fix or remove {path}.", id="training.E001")
            )
    return problems


def password_hashers_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The hasher for generated passwords (training.hashers) does no key stretching: listed
    first in PASSWORD_HASHERS, it would hash every password a person sets."""
    if get_hasher("default").algorithm != GeneratedPasswordHasher.algorithm:
        return []
    return [
        checks.Error(
            "GeneratedPasswordHasher is first in PASSWORD_HASHERS, so it would hash the "
            "passwords people choose, without key stretching.",
            hint="List it after Django's default hasher (see docs/training.md).",
            id="training.E002",
        )
    ]
