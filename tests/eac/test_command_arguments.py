"""Every command that takes `--tenant` reads it the same way (eac/management/arguments.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from eac.models import Tenant

COMMANDS = [
    ("route", ["john@contoso.com"]),
    ("import_tenant", []),
    ("validate_connector", ["--connector", "Nobody", "--recipient", "john@contoso.com"]),
]


@pytest.mark.parametrize(("command", "rest"), COMMANDS)
@pytest.mark.parametrize("tenant", ["nobody.onmicrosoft.com", "not a domain", "a..b", "\x00"])
def test_a_tenant_that_is_not_one_is_a_clear_error(
    contoso: Tenant, command: str, rest: list[str], tenant: str
) -> None:
    with pytest.raises(CommandError, match="No tenant has the initial domain"):
        call_command(command, "--tenant", tenant, *rest)


def test_the_tenant_may_be_typed_in_any_case_with_a_trailing_dot(contoso: Tenant) -> None:
    typed = contoso.initial_domain.upper() + "."
    # The tenant is found: what fails next is the connector's name, not the tenant.
    with pytest.raises(CommandError, match="has no outbound connector named Nobody"):
        call_command(
            "validate_connector",
            "--tenant",
            typed,
            "--connector",
            "Nobody",
            "--recipient",
            "john@contoso.com",
        )
