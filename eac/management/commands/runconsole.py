"""`make run`: the web server and a Celery worker together, both stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the console with one Celery worker beside it (development and demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, host: str, port: str, **options: Any) -> None:
        # Ctrl-C or a TERM from a supervisor both stop the pair, even when started from a shell
        # that made this process ignore SIGINT (background jobs of a non-interactive shell).
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "eac",
                "worker",
                "--loglevel=INFO",
            ]
        )
        web = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
        )
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            self.style.SUCCESS(f"EAC console: http://{shown_host}:{port}/  (Ctrl-C stops it)")
        )
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in (web, worker):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
