"""`route`: which outbound connector Office 365 uses for a recipient, and why (docs/routing.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.endpoints import SHORT_NAMES, Endpoint, far_end
from connectors.mailflow.facts import router_for_tenant
from connectors.mailflow.routing import ORDERS, Decision
from eac.management.arguments import tenant_argument
from eac.models import SelectionOrder
from eac.values import InvalidValue, parse_domain, parse_validation_recipient


class Command(BaseCommand):
    # Django's system checks take about half a second and check nothing this command uses.
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django reads it, never changes it
    help = "Show the outbound connector Office 365 uses for a recipient, and why."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's initial domain.")
        parser.add_argument("address", help="A recipient address (john@contoso.com) or domain.")
        parser.add_argument(
            "--order",
            choices=ORDERS,
            default=None,
            help="Selection order; by default the tenant's setting.",
        )

    def handle(
        self, *args: Any, tenant: str, address: str, order: str | None, **options: Any
    ) -> None:
        found = tenant_argument(tenant)
        recipient = _recipient(address)
        router = router_for_tenant(found, order)
        self.stdout.write(_describe(router.decide(recipient)))
        self.stdout.write(f"Selection order: {SelectionOrder(router.order).label}")


def _recipient(text: str) -> str:
    """The address or domain in canonical form; an address's local part is checked too, so a typo
    there is reported rather than routed."""
    try:
        return parse_validation_recipient(text) if "@" in text else parse_domain(text)
    except InvalidValue as exc:
        raise CommandError(f"{text.strip()}: {' '.join(exc.messages)}") from None


def _describe(decision: Decision) -> str:
    connector = decision.connector
    if connector is None:
        return f"No connector is needed: Office 365 delivers to {decision.domain} by its MX record."
    ends = f"{SHORT_NAMES[Endpoint.OFFICE_365]} → {SHORT_NAMES[far_end(connector.connector_type)]}"
    return f"Connector: {connector.name} ({ends})\nWhy: {decision.reason}"
