"""Roles (https://learn.microsoft.com/en-us/exchange/permissions-exo/permissions-exo) and what each may do. Views and templates ask `role_allows`, never the role name."""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    ORGANIZATION_MANAGEMENT = "OrganizationManagement", "Organization Management"
    MAIL_FLOW_ADMINISTRATOR = "MailFlowAdministrator", "Mail Flow Administrator"
    VIEW_ONLY = "ViewOnlyOrganizationManagement", "View-Only Organization Management"


class Capability(StrEnum):
    MANAGE_CONNECTORS = "manage_connectors"  # add, edit, delete, turn on/off, validate
    CHANGE_ACCEPTED_DOMAINS = "change_accepted_domains"  # domain type, subdomains
    ADD_REMOVE_ACCEPTED_DOMAINS = "add_remove_accepted_domains"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ORGANIZATION_MANAGEMENT: frozenset(Capability),
    Role.MAIL_FLOW_ADMINISTRATOR: frozenset(
        {Capability.MANAGE_CONNECTORS, Capability.CHANGE_ACCEPTED_DOMAINS}
    ),
    Role.VIEW_ONLY: frozenset(),
}


def role_allows(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
