"""`manage.py lab`: the lab DNS and SMTP servers and the front door (Office 365, on
EAC_FRONT_DOOR_PORT) in the foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import shlex
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from lab.behaviours import LISTENING
from lab.runtime import start_lab
from lab.server import DEFAULT_DNS_PORT, DEFAULT_SMTP_PORT


def _port(text: str) -> int:
    # 0 picks free ports, and the settings printed say which.
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(text)
    return int(text)


class Command(BaseCommand):
    help = (
        "Run the training lab: a DNS server and SMTP servers on loopback that validation can reach."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dns-port", type=_port, default=DEFAULT_DNS_PORT)
        parser.add_argument("--smtp-port", type=_port, default=DEFAULT_SMTP_PORT)
        parser.add_argument(
            "--front-door-port",
            type=_port,
            default=None,
            help="where Office 365's front door listens on 127.0.0.1 (default EAC_FRONT_DOOR_PORT)",
        )
        parser.add_argument("--no-front-door", action="store_true", help="Don't start it.")

    def handle(
        self,
        *args: Any,
        dns_port: int,
        smtp_port: int,
        front_door_port: int | None,
        no_front_door: bool,
        **options: Any,
    ) -> None:
        stopping = threading.Event()

        def stop(signum: int, frame: object) -> None:
            stopping.set()

        # Both, even when started from a shell that made this process ignore SIGINT.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # aiosmtpd logs every connection at INFO; the lab logs each message it keeps instead.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        try:
            door = None if no_front_door else front_door_port
            if door is None and not no_front_door:
                door = settings.EAC_FRONT_DOOR_PORT
            lab = start_lab(dns_port=dns_port, smtp_port=smtp_port, front_door_port=door)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The lab serves the tenants' domains and couldn't read them: {exc}."
                " Is the database migrated (manage.py migrate)?"
            ) from exc
        try:
            first, last = LISTENING[0].address, LISTENING[-1].address
            self.stdout.write(
                self.style.SUCCESS(
                    f"Lab DNS on 127.0.0.1:{lab.dns_port} (UDP), lab SMTP on port {lab.smtp_port}"
                    f" of {first} to {last}; certificates in {lab.var_dir / 'lab'}"
                )
            )
            if lab.front_door_port is not None:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Front door (Office 365 for every organization) on "
                        f"127.0.0.1:{lab.front_door_port}: try "
                        f"swaks --server 127.0.0.1 --port {lab.front_door_port} --to bob@contoso.com"
                    )
                )
            self.stdout.write("A worker validates against the lab with these settings:")
            environment = " ".join(
                f"{key}={shlex.quote(value)}" for key, value in lab.environment().items()
            )
            self.stdout.write(environment)
            self.stdout.flush()  # a supervisor reading a pipe sees the ports now, not at exit
            while not stopping.wait(0.5):
                pass
        finally:
            lab.stop()
        self.stdout.write("Lab stopped.")
