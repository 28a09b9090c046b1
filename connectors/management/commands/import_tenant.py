"""`import_tenant`: the Import page's importer from the command line (issue 6, item 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.interchange import importer
from connectors.interchange.importer import ImportPlan, ImportRejected, ImportSources
from eac.models import Tenant
from eac.values import parse_domain

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

    def handle(self, *args: Any, tenant: str, replace: bool, dry_run: bool, **options: Any) -> None:
        found = _tenant(tenant)
        try:
            sources = ImportSources(
                **{key: _read(options[key], key) for key in FILE_OPTIONS if options[key]}
            )
            if dry_run:
                plan = importer.plan_import(tenant=found, sources=sources, replace=replace)
                if plan.errors:
                    raise ImportRejected(plan.errors)
            else:
                plan = importer.import_configuration(
                    tenant=found, sources=sources, actor=None, replace=replace
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
            self.stdout.write(
                f"{change.action:<12} {change.kind:<20} {change.name}  {change.detail}"
            )


def _tenant(initial_domain: str) -> Tenant:
    try:
        canonical = parse_domain(initial_domain)
    except ValidationError:
        canonical = None
    found = Tenant.objects.filter(initial_domain=canonical).first() if canonical else None
    if found is None:
        raise CommandError(f"No tenant has the initial domain {initial_domain}.")
    return found


def _read(path: Path, key: str) -> str:
    label = importer.DOCUMENT_LABELS[key]
    try:
        with path.open("rb") as file:
            data = file.read(importer.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"{label}: can't read {path}: {exc.strerror}.") from None
    if len(data) > importer.MAX_FILE_BYTES:
        raise importer.ImportTooLarge([importer.too_large_message(path.stat().st_size)])
    return importer.decode_upload(data, label)
