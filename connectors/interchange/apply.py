"""Carrying out an import: plans it again (the tenant may have changed since the preview) and
writes everything through the audited services in one transaction, or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction

from connectors.interchange.documents import ImportSources
from connectors.interchange.errors import ImportRejected
from connectors.interchange.items import Item, model_errors
from connectors.interchange.plan import ImportPlan, plan_import
from connectors.services import (
    connector_update,
    inbound_connector_create,
    outbound_connector_create,
)
from eac.models import Tenant, User
from eac.services import accepted_domain_add, accepted_domain_update


@transaction.atomic
def import_configuration(
    *,
    tenant: Tenant,
    sources: ImportSources,
    actor: User | None,
    replace: bool = False,
    may_add_domains: bool = True,
    may_change_domains: bool = True,
    skip_refused: bool = False,
) -> ImportPlan:
    """Plans again and applies the plan through the audited services. Raises ImportRejected,
    and changes nothing, if any item is invalid, unless `skip_refused`: then the valid items
    are imported and the refused ones left out (the plan's changes say which)."""
    # Held to the end: no connector or domain can appear between the plan and the writes.
    Tenant.objects.select_for_update().get(pk=tenant.pk)
    plan = plan_import(
        tenant=tenant,
        sources=sources,
        replace=replace,
        may_add_domains=may_add_domains,
        may_change_domains=may_change_domains,
        skip_refused=skip_refused,
    )
    if plan.errors:
        raise ImportRejected(plan.errors)
    _apply(plan, tenant, actor)
    return plan


def _apply(plan: ImportPlan, tenant: Tenant, actor: User | None) -> None:
    for item in plan.domain_adds:
        with _about(item):
            accepted_domain_add(tenant=tenant, actor=actor, name=item.name, **item.fields)
    for domain, item in plan.domain_updates:
        with _about(item):
            accepted_domain_update(domain=domain, actor=actor, **item.fields)
    for current, item, changed in plan.replaces:
        with _about(item):
            connector_update(
                connector=current, actor=actor, fields=changed, expected_version=current.version
            )
    for item in plan.creates:
        create = outbound_connector_create if item.kind == "outbound" else inbound_connector_create
        with _about(item):
            create(tenant=tenant, actor=actor, **item.fields)


@contextmanager
def _about(item: Item) -> Iterator[None]:
    """Turns a service's refusal into an error about the item, which rolls everything back."""
    try:
        yield
    except ValidationError as exc:
        raise ImportRejected([f"{item.label}: {error}" for error in model_errors(exc)]) from exc
