from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training classes"

    def ready(self) -> None:
        checks.register(scenario_files_check)


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
