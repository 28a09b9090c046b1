"""Reads for the lab: the domains it serves, which tenant a message is for, the mailbox."""

from __future__ import annotations

from django.db.models import QuerySet

from eac.models import AcceptedDomain, Tenant
from lab.ca import LAB_ZONE
from lab.models import LabDomain, LabMessage


def lab_domain_names() -> set[str]:
    """Every tenant's accepted domains and lab domains: the names the lab DNS answers for."""
    accepted = AcceptedDomain.objects.values_list("name", flat=True).distinct()
    return set(accepted) | set(LabDomain.objects.values_list("name", flat=True).distinct())


def lab_messages(tenant: Tenant) -> QuerySet[LabMessage]:
    """The tenant's lab mailbox, newest first."""
    return LabMessage.objects.filter(tenant=tenant).order_by("-received_at", "-id")


def tenant_for_sender(sender: str) -> int | None:
    """The id of the tenant whose initial domain is the envelope sender's domain, else None.

    The probe always sends from O365ConnectorValidation@<its tenant's initial domain>, so the
    sender says whose test message it is, whatever the recipients: Fabrikam validating a partner
    connector with john@contoso.com is Fabrikam's test, though Contoso (and every sandbox of a
    class) accepts contoso.com. Initial domains are unique; no other domain may claim a message.
    """
    domain = sender.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return None
    return Tenant.objects.filter(initial_domain=domain).values_list("id", flat=True).first()


def lab_example_domain(tenant: Tenant) -> str:
    """A domain to show the lab's host names with: the tenant's own, else the lab's."""
    names = AcceptedDomain.objects.filter(tenant=tenant).exclude(name__endswith=".onmicrosoft.com")
    name = names.order_by("-is_default", "name").values_list("name", flat=True).first()
    return name or LAB_ZONE
