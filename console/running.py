"""What a running `make run` tells the commands typed beside it.

`make run` sets `DEBUG=1` (and whatever database and broker the person chose) for the processes it
starts. A command typed in another shell, `python manage.py validate_connector …` say, doesn't
have that environment and would stop at "SECRET_KEY must be set when DEBUG is off". So
`runconsole` writes those settings to `var/console.env` while it runs, and `manage.py` takes each
one the shell doesn't set itself. The file goes away when the console stops; production, which
never runs `runconsole`, never has one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# What decides which console a command talks to, and how it starts.
SHARED = ("DEBUG", "DATABASE_URL", "CELERY_BROKER_URL")


def var_dir(base_dir: Path, environ: Mapping[str, str]) -> Path:
    """The console's var/ directory, as the settings work it out."""
    return Path(environ.get("EAC_VAR_DIR") or base_dir / "var")


def environment_file(base_dir: Path, environ: Mapping[str, str]) -> Path:
    return var_dir(base_dir, environ) / "console.env"


def write_environment(path: Path, environ: Mapping[str, str]) -> None:
    lines = [f"{name}={environ[name]}" for name in SHARED if name in environ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)  # a database URL may hold a password


def load_environment(path: Path, environ: dict[str, str] | os._Environ[str]) -> None:
    """Sets each shared setting the environment doesn't already have (the shell's own win)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name in SHARED:
            environ.setdefault(name, value)
