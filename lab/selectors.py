"""Reads for the lab: the domains it serves, which tenants a message is for, the mailbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

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


def tenants_for_recipients(recipients: Iterable[str], sender: str) -> dict[int | None, list[str]]:
    """The recipients grouped by the tenant each belongs to (None: no tenant's).

    A recipient belongs to the tenants with its domain as an accepted domain or a lab domain, or
    a parent of it accepted with subdomains. Sandbox tenants of one class all accept the same
    domains, so when several match, the ones the sender belongs to win: the probe always sends
    from its tenant's own initial domain, so a trainee's test message lands in that trainee's
    mailbox only.
    """
    recipients = list(recipients)
    domains = {_domain_of(r) for r in recipients} | {_domain_of(sender)}
    accepted = AcceptedDomain.objects.filter(
        Q(name__in=domains) | Q(name__in=_parents(domains), match_subdomains=True)
    ).values_list("tenant_id", "name", "match_subdomains")
    played = LabDomain.objects.filter(name__in=domains).values_list("tenant_id", "name")
    rows = [*accepted, *((tenant_id, name, False) for tenant_id, name in played)]
    owners: dict[str, set[int]] = {}
    exact: dict[str, set[int]] = {}
    for tenant_id, name, match_subdomains in rows:
        exact.setdefault(name, set()).add(tenant_id)
        if match_subdomains:
            owners.setdefault(f".{name}", set()).add(tenant_id)
    senders = exact.get(_domain_of(sender), set())
    groups: dict[int | None, list[str]] = {}
    for recipient in recipients:
        domain = _domain_of(recipient)
        candidates = set(exact.get(domain, set()))
        for parent in _parents({domain}):
            candidates |= owners.get(f".{parent}", set())
        if len(candidates) > 1 and candidates & senders:
            candidates &= senders
        if not candidates:
            groups.setdefault(None, []).append(recipient)
        for tenant_id in sorted(candidates):
            groups.setdefault(tenant_id, []).append(recipient)
    return groups


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def _parents(domains: Iterable[str]) -> set[str]:
    """`a.b.contoso.com` → b.contoso.com, contoso.com, com."""
    parents: set[str] = set()
    for domain in domains:
        labels = domain.split(".")
        parents.update(".".join(labels[i:]) for i in range(1, len(labels)))
    return parents


def lab_example_domain(tenant: Tenant) -> str:
    """A domain to show the lab's host names with: the tenant's own, else the lab's."""
    names = AcceptedDomain.objects.filter(tenant=tenant).exclude(name__endswith=".onmicrosoft.com")
    name = names.order_by("-is_default", "name").values_list("name", flat=True).first()
    return name or LAB_ZONE
