"""Loaded with `-p` before pytest-django reads the settings: the suite runs with DEBUG off, as in
production, so it needs a SECRET_KEY of its own (a fresh random one, never a real secret)."""

from __future__ import annotations

import os
import secrets
import tempfile

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# Production settings otherwise, but the test client and the live server speak plain HTTP; the
# middleware reads this once, when the live server starts, so a per-test override is too late.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# The suite's own var/ (SQLite test database, queue folders), away from a `make run` beside it.
os.environ.setdefault("EAC_VAR_DIR", tempfile.mkdtemp(prefix="eac-tests-"))
