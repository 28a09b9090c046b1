"""Sends a heartbeat task and waits for a worker to record it: exit 0 if one did, 1 if none."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from kombu.exceptions import OperationalError

from eac.models import WorkerHeartbeat
from eac.tasks import record_worker_heartbeat


class Command(BaseCommand):
    help = "Check that a Celery worker takes tasks from the broker and writes to this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=15.0, help="Seconds to wait (default 15)."
        )

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        token = uuid.uuid4().hex
        try:
            record_worker_heartbeat.delay(token)
        except OperationalError as exc:
            raise CommandError(f"The broker can't be reached: {exc}") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            beat = WorkerHeartbeat.objects.filter(token=token).first()
            if beat is not None:
                WorkerHeartbeat.objects.filter(token=token).delete()
                self.stdout.write(f"Worker {beat.hostname} answered.")
                return
            time.sleep(0.2)
        raise CommandError(f"No worker answered within {timeout:g} seconds.")
