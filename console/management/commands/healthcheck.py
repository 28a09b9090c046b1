"""Prints what /healthz reports, for container health checks and operators: exit 0 only if all is well."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from console.health import health_report


class Command(BaseCommand):
    help = (
        "Report database, broker and worker reachability as JSON (exit 1 unless all are reachable)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = health_report()
        self.stdout.write(json.dumps(report, indent=2))
        if report["status"] != "ok":
            raise CommandError(
                "Not healthy: "
                + ", ".join(k for k, v in report.items() if k != "status" and not v["ok"])
            )
