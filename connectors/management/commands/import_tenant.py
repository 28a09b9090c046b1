"""`import_tenant`: the Import page's import from the command line, for files the cmdlets wrote."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.interchange.apply import import_configuration
from connectors.interchange.documents import DOCUMENT_LABELS, ImportSources, read_file
from connectors.interchange.errors import ImportRejected
from connectors.interchange.plan import ImportPlan, plan_import
from eac.management.arguments import tenant_argument

FILE_OPTIONS = {
    "domains": "Get-AcceptedDomain | ConvertTo-Json output",
    "outbound": "Get-OutboundConnector | ConvertTo-Json output",
    "inbound": "Get-InboundConnector | ConvertTo-Json output",
    "bundle": "this console's export.json (all three)",
}


class Command(BaseCommand):
    help = "Import accepted domains and connectors from the cmdlets' ConvertTo-Json output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's initial domain.")
        for key, text in FILE_OPTIONS.items():
            parser.add_argument(f"--{key}", type=Path, metavar="FILE", help=f"A file with {text}.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the settings of connectors that have the same name.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change, change nothing."
        )
        parser.add_argument(
            "--skip-refused",
            action="store_true",
            help="Import the valid items and leave out those refused (each named on stderr). "
            "Without it, one refused item means nothing is imported.",
        )

    def handle(
        self,
        *args: Any,
        tenant: str,
        replace: bool,
        dry_run: bool,
        skip_refused: bool,
        **options: Any,
    ) -> None:
        found = tenant_argument(tenant)
        try:
            sources = ImportSources(
                **{key: _read(options[key], key) for key in FILE_OPTIONS if options[key]}
            )
            if dry_run:
                plan = plan_import(
                    tenant=found, sources=sources, replace=replace, skip_refused=skip_refused
                )
                if plan.errors:
                    raise ImportRejected(plan.errors)
            else:
                plan = import_configuration(
                    tenant=found,
                    sources=sources,
                    actor=None,
                    replace=replace,
                    skip_refused=skip_refused,
                )
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError("Nothing was imported.") from None
        self._show(plan)
        verb = "Would make" if dry_run else "Made"
        self.stdout.write(f"{verb} these changes in {found.name}: {plan.summary()}.")

    def _show(self, plan: ImportPlan) -> None:
        for change in plan.changes:
            if change.problems:
                for problem in change.problems:
                    self.stderr.write(f"Skipped {change.kind} {change.name}: {problem}")
                continue
            self.stdout.write(
                f"{change.action:<12} {change.kind:<20} {change.name}  {change.detail}"
            )
            for note in change.notes:
                self.stdout.write(f"{'':<12} {'':<20} note: {note}")


def _read(path: Path, key: str) -> str:
    label = DOCUMENT_LABELS[key]
    try:
        with path.open("rb") as file:
            return read_file(file, os.fstat(file.fileno()).st_size, label)
    except OSError as exc:
        raise CommandError(f"{label}: can't read {path}: {exc.strerror}.") from None
