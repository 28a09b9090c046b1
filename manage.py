#!/usr/bin/env python
"""Django's command-line utility for the EAC console."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    from console.running import environment_file, load_environment

    # Beside a running `make run`, a command uses its settings (console/running.py).
    load_environment(environment_file(Path(__file__).resolve().parent, os.environ), os.environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings now to report a bad value cleanly
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
