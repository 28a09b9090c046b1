"""How every benchmark starts Django: production settings (DEBUG off) on a scratch directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def start_django(prefix: str, database_url: str | None = None) -> Path:
    """A scratch directory for `var/`, and Django set up with DEBUG off, on `database_url` or
    else a SQLite file in the scratch directory."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    (scratch / "static").mkdir()  # STATIC_ROOT: the benchmarks never collect static files
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench-only-" + "k" * 40,
        SECURE_SSL_REDIRECT="0",
        EAC_VAR_DIR=str(scratch),
        DJANGO_SETTINGS_MODULE="console.settings",
        ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    return scratch


def recreate_database(url: str) -> None:
    """Drops and creates the scratch PostgreSQL database at `url` (the benchmarks' --postgres)."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
