"""The lab wired to this project: its domains are every tenant's accepted domains, what it
receives is kept as LabMessage rows, and its front door plays Office 365 from the connectors in
the database (lab.office). Used by `manage.py lab` and by tests.

    lab = start_lab(dns_port=0, smtp_port=0)  # free ports; lab.dns_port, lab.smtp_port
    lab = start_lab(dns_port=0, smtp_port=0, front_door_port=0)  # and lab.front_door_port
    ...
    lab.stop()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import connection

from lab import relay, selectors, services
from lab.front_door import Admission, Connection
from lab.office import LabOffice
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
    front_door_port: int | None = None,
) -> Lab:
    """The lab, started: certificates under `<var_dir>/lab/` (default settings.VAR_DIR). With
    `front_door_port` (0: a free one), the front door too."""
    lab = Lab(
        var_dir if var_dir is not None else settings.VAR_DIR,
        domains=_own_connection(selectors.lab_domain_names),
        deliver=_own_connection(_deliver),
        dns_port=dns_port,
        smtp_port=smtp_port,
        refresh_seconds=refresh_seconds,
    ).start()
    if front_door_port is not None:
        try:
            lab.open_front_door(_OfficeInThreads(office_for(lab)), front_door_port)
        except BaseException:
            lab.stop()
            raise
    return lab


def office_for(lab: Lab) -> LabOffice:
    """Office 365 as the front door of `lab` plays it: relays reach only this lab's servers."""
    assert lab.files is not None
    where = relay.Lab(dns_port=lab.dns_port, smtp_port=lab.smtp_port, ca_file=str(lab.files.ca))
    return LabOffice(where, lab.serves)


class _OfficeInThreads:
    """The office as the front door's threads call it: each call closes its database connection
    after use, as the lab's other threads do, and each delivery too."""

    def __init__(self, office: LabOffice) -> None:
        self.office = office

    def check_login(self, tenant_token: str, login: str) -> str:
        return _own_connection(self.office.check_login)(tenant_token, login)

    def admit(self, connection: Connection, sender: str, recipient: str) -> Admission:
        return _own_connection(self.office.admit)(connection, sender, recipient)

    def receive(
        self, connection: Connection, sender: str, admitted: Sequence[Admission], content: bytes
    ) -> Sequence[Callable[[], None]]:
        deliveries = _own_connection(self.office.receive)(connection, sender, admitted, content)
        return [_own_connection(delivery) for delivery in deliveries]


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
