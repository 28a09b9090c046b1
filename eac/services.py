"""Writes to tenants and accepted domains. Each is atomic and leaves an AuditEvent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from eac.audit import audit_record, snapshot
from eac.formfields import django_errors
from eac.models import AcceptedDomain, DomainType, Membership, Tenant, User
from eac.roles import Role
from eac.values import parse_domain

DOMAIN_FIELDS = ["name", "domain_type", "match_subdomains", "is_default"]


def initial_domain_for(label: str) -> str:
    with django_errors():
        return parse_domain(f"{label}.onmicrosoft.com")


@transaction.atomic
def tenant_create(*, name: str, initial_label: str) -> Tenant:
    """A tenant and its initial domain, which is Authoritative, the default, and never removable."""
    tenant = Tenant.objects.create(name=name, initial_domain=initial_domain_for(initial_label))
    AcceptedDomain.objects.create(
        tenant=tenant,
        name=tenant.initial_domain,
        domain_type=DomainType.AUTHORITATIVE,
        is_default=True,
    )
    return tenant


def membership_grant(*, tenant: Tenant, user: User, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def accepted_domain_add(
    *,
    tenant: Tenant,
    actor: User | None,
    name: str,
    domain_type: str = DomainType.AUTHORITATIVE,
    match_subdomains: bool = False,
) -> AcceptedDomain:
    domain = AcceptedDomain(
        tenant=tenant, name=name, domain_type=domain_type, match_subdomains=match_subdomains
    )
    domain.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    if AcceptedDomain.objects.filter(tenant=tenant, name=domain.name).exists():
        raise ValidationError({"name": f"{domain.name} is already an accepted domain."})
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:  # added by someone else a moment ago
        raise ValidationError({"name": f"{domain.name} is already an accepted domain."}) from None
    audit_record(
        tenant=tenant,
        actor=actor,
        action="accepted_domain.add",
        target=domain,
        after=snapshot(domain, DOMAIN_FIELDS),
    )
    return domain


@transaction.atomic
def accepted_domain_update(
    *, domain: AcceptedDomain, actor: User | None, domain_type: str, match_subdomains: bool
) -> AcceptedDomain:
    before = snapshot(domain, DOMAIN_FIELDS)
    domain.domain_type = domain_type
    domain.match_subdomains = match_subdomains
    if domain.is_initial and domain_type != DomainType.AUTHORITATIVE:
        raise ValidationError({"domain_type": "The initial domain is always Authoritative."})
    domain.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    domain.save(update_fields=["domain_type", "match_subdomains", "changed_at"])
    after = snapshot(domain, DOMAIN_FIELDS)
    if after != before:
        audit_record(
            tenant=domain.tenant,
            actor=actor,
            action="accepted_domain.update",
            target=domain,
            before=before,
            after=after,
        )
    return domain


@transaction.atomic
def accepted_domain_make_default(*, domain: AcceptedDomain, actor: User | None) -> AcceptedDomain:
    previous = AcceptedDomain.objects.filter(tenant=domain.tenant, is_default=True).exclude(
        pk=domain.pk
    )
    before = {"default": ", ".join(previous.values_list("name", flat=True))}
    previous.update(is_default=False)
    domain.is_default = True
    domain.save(update_fields=["is_default", "changed_at"])
    audit_record(
        tenant=domain.tenant,
        actor=actor,
        action="accepted_domain.make_default",
        target=domain,
        before=before,
        after={"default": domain.name},
    )
    return domain


@transaction.atomic
def accepted_domain_remove(*, domain: AcceptedDomain, actor: User | None) -> None:
    if domain.is_initial:
        raise ValidationError("The initial domain can't be removed.")
    if domain.is_default:
        raise ValidationError("Make another domain the default before removing this one.")
    audit_record(
        tenant=domain.tenant,
        actor=actor,
        action="accepted_domain.remove",
        target=domain,
        before=snapshot(domain, DOMAIN_FIELDS),
    )
    domain.delete()
