"""The lab wired to this project: its domains are every tenant's accepted domains, and what it
receives is kept as LabMessage rows. Used by `manage.py lab` and by tests.

    lab = start_lab(dns_port=0, smtp_port=0)  # free ports; lab.dns_port, lab.smtp_port
    ...
    lab.stop()
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import connection

from lab import selectors, services
from lab.server import DEFAULT_DNS_PORT, DEFAULT_SMTP_PORT, Lab
from lab.smtp import Delivery

P = ParamSpec("P")
R = TypeVar("R")


def start_lab(
    *,
    var_dir: Path | str | None = None,
    dns_port: int = DEFAULT_DNS_PORT,
    smtp_port: int = DEFAULT_SMTP_PORT,
    refresh_seconds: float = 10.0,
) -> Lab:
    """The lab, started: certificates under `<var_dir>/lab/` (default settings.VAR_DIR)."""
    return Lab(
        var_dir if var_dir is not None else settings.VAR_DIR,
        domains=_own_connection(selectors.lab_domain_names),
        deliver=_own_connection(_deliver),
        dns_port=dns_port,
        smtp_port=smtp_port,
        refresh_seconds=refresh_seconds,
    ).start()


def _deliver(delivery: Delivery) -> None:
    services.lab_message_store(delivery)


def _own_connection(function: Callable[P, R]) -> Callable[P, R]:
    """The lab's threads touch the database every few seconds at most: they close the connection
    after each use rather than keep one open per thread for as long as the lab runs."""

    @wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return call
