"""`validate_connector`: like Validate-OutboundConnector, but through the queue and recorded.
Prints one line per task; exits 0 when every task succeeded, 1 otherwise."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.models import OutboundConnector
from eac.management.arguments import tenant_argument
from validation import progress, recording, services
from validation.models import ValidationRun, ValidationTask


class Command(BaseCommand):
    help = "Validate an outbound connector by sending test messages (runs on a Celery worker)."
    # Django's system checks take about half a second and check nothing this command uses.
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django reads it, never changes it

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's initial domain.")
        parser.add_argument("--connector", required=True, help="The outbound connector's name.")
        parser.add_argument(
            "--recipient", required=True, action="append", help="Repeat for several."
        )
        parser.add_argument(
            "--wait", type=float, default=None, help="Seconds to wait for a worker."
        )

    def handle(
        self,
        *args: Any,
        tenant: str,
        connector: str,
        recipient: list[str],
        wait: float | None,
        **options: Any,
    ) -> None:
        found_tenant = tenant_argument(tenant)
        found = OutboundConnector.objects.filter(
            tenant=found_tenant, name__iexact=connector.strip()
        ).first()
        if found is None:
            raise CommandError(f"{found_tenant.name} has no outbound connector named {connector}.")
        try:
            run = services.validation_start(
                tenant=found_tenant, actor=None, connector=found, recipients=recipient
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except services.ValidationUnavailable as exc:
            raise CommandError(str(exc)) from None
        run = self._wait(run, wait if wait is not None else settings.EAC_PROBE_TIMEOUT_SECONDS + 60)
        if run.succeeded:
            self.stdout.write(f"Validation succeeded ({run.pk}).")
            return
        raise CommandError(
            f"Validation {run.get_status_display().lower()}: {run.note or 'see the tasks above'} ({run.pk})."
        )

    def _wait(self, run: ValidationRun, seconds: float) -> ValidationRun:
        """Prints each task as the worker records it, until the run is finished. The worker's
        word (validation.progress) says when to read again; what is printed is read here."""
        deadline = time.monotonic() + seconds
        shown = 0
        with progress.watch(run.pk) as watch:
            while True:
                tasks = list(ValidationTask.objects.filter(run=run, seq__gt=shown).order_by("seq"))
                for task in tasks:
                    self.stdout.write(self._line(task))
                    shown = task.seq
                recording.sweep_interrupted(run_id=run.pk)
                run.refresh_from_db()
                if (
                    run.is_finished
                    and not ValidationTask.objects.filter(run=run, seq__gt=shown).exists()
                ):
                    return run
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CommandError(
                        f"No result after {seconds:g} seconds: is a worker running? (run {run.pk})"
                    )
                watch.wait(left)

    @staticmethod
    def _line(task: ValidationTask) -> str:
        target = task.detail if task.name == "Send test email" and task.detail else task.host
        line = f"{task.name:<16} {target:<40} {task.status}"
        if task.error:
            line += f"  {task.error}"
        if task.cause:
            line += f"\n{'':<16} {task.cause}"
        return line
