"""Tenants, their accepted domains, who may administer them, and the audit trail (docs/architecture.md, "eac")."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from eac.roles import Capability, Role, role_allows
from eac.values import InvalidValue, parse_domain


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An administrator, who signs in with an email address."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    is_active = models.BooleanField(default=True)
    is_trainer = models.BooleanField(
        default=False, help_text="May run training classes: a site-wide role, not a tenant's."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.email


class SelectionOrder(models.TextChoices):
    """How Office 365 picks an outbound connector (docs/routing.md, "Two orders"): the seed example's "most specific
    wins", or the order as the article literally lists it, for comparison."""

    MOST_SPECIFIC = "most_specific", "Most specific match first (as the article's example)"
    DOCUMENTED = "documented", "Exact match, then all accepted domains, then wildcards (as listed)"


class Tenant(models.Model):
    """An organization, known by its initial `<name>.onmicrosoft.com` domain."""

    name = models.CharField(max_length=128, unique=True)
    initial_domain = models.CharField(max_length=253, unique=True)
    connector_selection_order = models.CharField(
        max_length=16, choices=SelectionOrder.choices, default=SelectionOrder.MOST_SPECIFIC
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A new random value whenever its connectors, accepted domains or mailboxes change, so what
    # is worked out from them can be kept until then (connectors/mailflow/facts.py). Random, not
    # a counter: a change rolled back must not leave its value to be reused by the next one.
    configuration_stamp = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a tenant read earlier never puts back the stamp it was read with: only
        `connectors.mailflow.facts.configuration_changed` writes a new one."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "configuration_stamp"
            ]
        super().save(*args, **kwargs)

    @property
    def validation_sender(self) -> str:
        """The envelope sender of test messages: always the initial domain, as in Exchange Online."""
        return f"O365ConnectorValidation@{self.initial_domain}"


class DomainType(models.TextChoices):
    AUTHORITATIVE = "Authoritative", "Authoritative"
    INTERNAL_RELAY = "InternalRelay", "Internal relay"


class AcceptedDomain(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="accepted_domains")
    name = models.CharField(max_length=255)
    domain_type = models.CharField(
        max_length=16, choices=DomainType.choices, default=DomainType.AUTHORITATIVE
    )
    match_subdomains = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="accepted_domain_unique_per_tenant"
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_default=True),
                name="one_default_accepted_domain_per_tenant",
            ),
            models.CheckConstraint(
                condition=models.Q(match_subdomains=False)
                | models.Q(domain_type=DomainType.INTERNAL_RELAY),
                name="match_subdomains_needs_internal_relay",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_initial(self) -> bool:
        return self.name == self.tenant.initial_domain

    def clean(self) -> None:
        try:
            self.name = parse_domain(self.name)
        except InvalidValue as exc:
            raise ValidationError({"name": exc.messages}) from None
        if self.match_subdomains and self.domain_type != DomainType.INTERNAL_RELAY:
            raise ValidationError(
                {
                    "match_subdomains": "Subdomains can only be accepted for an Internal relay domain."
                }
            )


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=40, choices=Role.choices)

    class Meta:
        ordering = ["tenant__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "tenant"], name="one_membership_per_user_and_tenant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} as {self.role}"

    def can(self, capability: Capability) -> bool:
        return role_allows(self.role, capability)


class AuditEvent(models.Model):
    """Who did what to which object, with the values before and after. Rows are never changed."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the trail still says who it was after the account is deleted.
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_by_tenant_recent")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_label}"


class WorkerHeartbeat(models.Model):
    """Written by a worker on request (`manage.py ping_worker`), to prove the whole path works."""

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.token} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class MailboxLocation(models.TextChoices):
    OFFICE_365 = "office365", "Office 365"
    YOUR_ORG = "your_org", "Your organization's email server"
    INTERNET = "internet", "Internet (not in this organization)"


class Mailbox(models.Model):
    """Someone mail flows to or from, and where their mailbox lives (docs/routing.md, "The seed example": John on your
    server, Bob in Office 365, Sun on the internet)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="mailboxes")
    display_name = models.CharField(max_length=128)
    address = models.EmailField()
    location = models.CharField(max_length=16, choices=MailboxLocation.choices)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "address"], name="mailbox_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.address}>"
