"""Loaded with `-p` before pytest-django reads the settings: the suite runs with DEBUG off, as in
production, so it needs a SECRET_KEY of its own (a fresh random one, never a real secret)."""

from __future__ import annotations

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
