from __future__ import annotations

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """Registered only so Django finds the site's management commands (runconsole, load_demo…)."""

    name = "console"
