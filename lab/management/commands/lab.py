"""`manage.py lab`: the lab DNS and SMTP servers in the foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import shlex
import signal
import threading
from typing import Any

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

    def handle(self, *args: Any, dns_port: int, smtp_port: int, **options: Any) -> None:
        stopping = threading.Event()

        def stop(signum: int, frame: object) -> None:
            stopping.set()

        # Both, even when started from a shell that made this process ignore SIGINT.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # aiosmtpd logs every connection at INFO; the lab logs each message it keeps instead.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        try:
            lab = start_lab(dns_port=dns_port, smtp_port=smtp_port)
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
