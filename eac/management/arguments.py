"""What the console's commands take on their command lines, read one way for every command."""

from __future__ import annotations

from django.core.management.base import CommandError

from eac.models import Tenant
from eac.values import InvalidValue, parse_domain


def tenant_argument(initial_domain: str) -> Tenant:
    """The tenant whose initial domain this is, in any case or with a trailing dot; a clear
    CommandError for anything else."""
    try:
        canonical = parse_domain(initial_domain)
    except InvalidValue:
        canonical = None
    found = Tenant.objects.filter(initial_domain=canonical).first() if canonical else None
    if found is None:
        raise CommandError(f"No tenant has the initial domain {initial_domain}.")
    return found
