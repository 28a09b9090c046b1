"""Outbound and inbound connectors, with the properties of New-/Set-OutboundConnector and
New-/Set-InboundConnector (https://learn.microsoft.com/en-us/powershell/module/exchange/new-outboundconnector,
https://learn.microsoft.com/en-us/powershell/module/exchange/new-inboundconnector). `clean()` runs the shared value parsers and stores their
canonical forms, so every entry point (forms, commands, admin, import) saves the same values."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower

from connectors.endpoints import MADE_BY, ConnectorSource, ConnectorType, Endpoint, far_end
from eac.models import Tenant
from eac.values import (
    InvalidValue,
    parse_connector_name,
    parse_domain,
    parse_domain_pattern,
    parse_each,
    parse_email_address,
    parse_sender_ip,
    parse_skip_ip,
    parse_smart_host,
    parse_tls_certificate_domain,
    parse_validation_recipient,
)


class MtaStsMode(models.TextChoices):
    OPPORTUNISTIC = "Opportunistic", "Opportunistic"
    NONE = "None", "None"


class SmtpDaneMode(models.TextChoices):
    OPPORTUNISTIC = "Opportunistic", "Opportunistic"
    MANDATORY = "Mandatory", "Mandatory"
    NONE = "None", "None"


class TlsSettings(models.TextChoices):
    ENCRYPTION_ONLY = (
        "EncryptionOnly",
        "Any digital certificate, including self-signed certificates",
    )
    CERTIFICATE_VALIDATION = (
        "CertificateValidation",
        "Issued by a trusted certificate authority (CA)",
    )
    DOMAIN_VALIDATION = "DomainValidation", "Issued by a trusted CA, with a matching subject name"


def _canonical(parser: Callable[[str], Any], values: list[str]) -> list[str]:
    return [str(value) for value in parse_each(parser, values)]


# The cmdlet pages give -Comment no limit; Exchange keeps it in an Active Directory attribute
# (adminDescription), which holds at most 1,024 characters (its Range-Upper in
# https://learn.microsoft.com/windows/win32/adschema/a-admindescription). Without a limit, 2 MB
# was saved.
COMMENT_MAX_LENGTH = 1024


class Connector(models.Model):
    """What both directions share."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="%(class)ss")
    name = models.CharField(max_length=64)
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)])
    enabled = models.BooleanField(default=True)
    connector_type = models.CharField(max_length=16, choices=ConnectorType.choices)
    connector_source = models.CharField(
        max_length=16, choices=ConnectorSource.choices, default=ConnectorSource.ADMIN_UI
    )
    cloud_services_mail_enabled = models.BooleanField(default=False)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by every save (optimistic locking)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def made_by(self) -> str:
        """ "Created by the Hybrid Configuration Wizard", or "" for an EAC's or an admin's."""
        return MADE_BY.get(ConnectorSource(self.connector_source), "")

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        self._clean_field(errors, "name", lambda: parse_connector_name(self.name))
        self._clean_rules(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_rules(self, errors: dict[str, list[str]]) -> None:
        raise NotImplementedError

    def _clean_field(
        self, errors: dict[str, list[str]], field: str, parse: Callable[[], Any]
    ) -> None:
        try:
            setattr(self, field, parse())
        except InvalidValue as exc:
            errors.setdefault(field, []).extend(exc.messages)


class OutboundConnector(Connector):
    """Office 365 → your organization's email server (OnPremises) or a partner (Partner)."""

    direction = "outbound"

    all_accepted_domains = models.BooleanField(default=False)
    is_transport_rule_scoped = models.BooleanField(default=False)
    recipient_domains = models.JSONField(default=list, blank=True)
    use_mx_record = models.BooleanField(default=True)
    smart_hosts = models.JSONField(default=list, blank=True)
    # NULL is a value of its own ($null: opportunistic TLS), distinct from any chosen level.
    tls_settings = models.CharField(  # noqa: DJ001
        max_length=24, choices=TlsSettings.choices, null=True, blank=True
    )
    tls_domain = models.CharField(max_length=255, blank=True)
    validation_recipients = models.JSONField(default=list, blank=True)
    is_validated = models.BooleanField(default=False)
    last_validation_timestamp = models.DateTimeField(null=True, blank=True)
    # Not in the wizard: set with PowerShell or by the Hybrid Configuration Wizard, and kept so an
    # import and its export round-trip (docs/import.md says which the console acts on).
    route_all_messages_via_on_premises = models.BooleanField(default=False)
    sender_rewriting_enabled = models.BooleanField(default=False)
    test_mode = models.BooleanField(default=False)
    mta_sts_mode = models.CharField(
        max_length=16, choices=MtaStsMode.choices, default=MtaStsMode.OPPORTUNISTIC
    )
    smtp_dane_mode = models.CharField(
        max_length=16, choices=SmtpDaneMode.choices, default=SmtpDaneMode.OPPORTUNISTIC
    )
    link_for_modified_connector = models.UUIDField(null=True, blank=True)  # Microsoft's own

    class Meta(Connector.Meta):
        # The list sorts by status, then name, in the database (connectors/selectors.py); the
        # name constraint's index serves the sort by name.
        indexes = [models.Index("tenant", "enabled", Lower("name"), name="outbound_by_status")]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="outbound_connector_name_unique"),
            models.CheckConstraint(
                condition=models.Q(all_accepted_domains=False)
                | models.Q(connector_type=ConnectorType.ON_PREMISES),
                name="all_accepted_domains_needs_onpremises",
            ),
        ]

    @property
    def source_endpoint(self) -> Endpoint:
        return Endpoint.OFFICE_365

    @property
    def target_endpoint(self) -> Endpoint:
        return far_end(self.connector_type)

    def _clean_rules(self, errors: dict[str, list[str]]) -> None:
        self._clean_field(
            errors,
            "recipient_domains",
            lambda: _canonical(parse_domain_pattern, self.recipient_domains),
        )
        self._clean_field(
            errors, "smart_hosts", lambda: _canonical(parse_smart_host, self.smart_hosts)
        )
        self._clean_field(
            errors,
            "validation_recipients",
            lambda: _canonical(parse_validation_recipient, self.validation_recipients),
        )
        if self.all_accepted_domains and self.connector_type != ConnectorType.ON_PREMISES:
            errors.setdefault("all_accepted_domains", []).append(
                "Only a connector to your organization's email server can be used for all accepted domains."
            )
        if not self.use_mx_record and not self.smart_hosts:
            errors.setdefault("smart_hosts", []).append("Add at least one smart host.")
        for field in ON_PREMISES_ONLY_OUTBOUND:
            if getattr(self, field) and self.connector_type != ConnectorType.ON_PREMISES:
                errors.setdefault(field, []).append(
                    "Only a connector to your organization's email server can have this on."
                )
        if self.tls_settings == TlsSettings.DOMAIN_VALIDATION and not self.tls_domain:
            errors.setdefault("tls_domain", []).append(
                "Enter the domain name the certificate's subject or SAN must match."
            )
        elif self.tls_domain:
            # Kept with any TLS level, as Exchange keeps it; it is used only with
            # DomainValidation (connectors/effects.py says so where it shows).
            self._clean_field(
                errors, "tls_domain", lambda: parse_tls_certificate_domain(self.tls_domain)
            )


# "This setting requires OnPremises for the ConnectorType value" (New-OutboundConnector).
ON_PREMISES_ONLY_OUTBOUND = ("route_all_messages_via_on_premises", "sender_rewriting_enabled")


class InboundConnector(Connector):
    """Your organization's email server (OnPremises) or a partner (Partner) → Office 365."""

    direction = "inbound"

    sender_domains = models.JSONField(default=list)
    sender_ip_addresses = models.JSONField(default=list, blank=True)
    require_tls = models.BooleanField(default=False)
    restrict_domains_to_certificate = models.BooleanField(default=False)
    restrict_domains_to_ip_addresses = models.BooleanField(default=False)
    tls_sender_certificate_name = models.CharField(max_length=255, blank=True)
    # Not in the wizard: set with PowerShell, by the Hybrid Configuration Wizard or in the
    # Defender portal (Enhanced Filtering), and kept so an import and its export round-trip.
    associated_accepted_domains = models.JSONField(default=list, blank=True)
    treat_messages_as_internal = models.BooleanField(default=False)
    trusted_organizations = models.JSONField(default=list, blank=True)
    ef_skip_last_ip = models.BooleanField(default=False)
    ef_skip_ips = models.JSONField(default=list, blank=True)
    ef_users = models.JSONField(default=list, blank=True)
    ef_test_mode = models.BooleanField(default=False)  # Microsoft's own
    ef_skip_mail_gateway = models.JSONField(default=list, blank=True)  # Microsoft's own
    scan_and_drop_recipients = models.JSONField(default=list, blank=True)  # Microsoft's own
    client_host_names = models.JSONField(default=list, blank=True)  # undocumented

    class Meta(Connector.Meta):
        indexes = [models.Index("tenant", "enabled", Lower("name"), name="inbound_by_status")]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="inbound_connector_name_unique"),
        ]

    @property
    def source_endpoint(self) -> Endpoint:
        return far_end(self.connector_type)

    @property
    def target_endpoint(self) -> Endpoint:
        return Endpoint.OFFICE_365

    def _clean_rules(self, errors: dict[str, list[str]]) -> None:
        self._clean_field(
            errors, "sender_domains", lambda: _canonical(parse_domain_pattern, self.sender_domains)
        )
        self._clean_field(
            errors,
            "sender_ip_addresses",
            lambda: _canonical(parse_sender_ip, self.sender_ip_addresses),
        )
        if self.tls_sender_certificate_name:
            self._clean_field(
                errors,
                "tls_sender_certificate_name",
                lambda: parse_tls_certificate_domain(self.tls_sender_certificate_name),
            )
        self._clean_field(
            errors,
            "associated_accepted_domains",
            lambda: _canonical(parse_domain, self.associated_accepted_domains),
        )
        self._clean_field(
            errors,
            "trusted_organizations",
            lambda: _canonical(parse_domain, self.trusted_organizations),
        )
        self._clean_field(
            errors, "ef_skip_ips", lambda: _canonical(parse_skip_ip, self.ef_skip_ips)
        )
        self._clean_field(
            errors, "ef_users", lambda: _canonical(parse_email_address, self.ef_users)
        )
        for field in ("ef_skip_mail_gateway", "scan_and_drop_recipients", "client_host_names"):
            # Microsoft's own or undocumented: kept as given, each entry trimmed.
            setattr(self, field, [str(entry).strip() for entry in getattr(self, field)])
        if not self.sender_domains:
            errors.setdefault("sender_domains", []).append("Add at least one sender domain, or *.")
        # RestrictDomainsToCertificate and RestrictDomainsToIPAddresses take effect only on
        # partner connectors, but Exchange keeps them on any (Microsoft's add-on service article
        # sets the first on an OnPremises connector); connectors/effects.py says so.
        if self.restrict_domains_to_certificate and not self.tls_sender_certificate_name:
            errors.setdefault("tls_sender_certificate_name", []).append(
                "Enter the domain name the partner's certificate subject must match."
            )
        if self.restrict_domains_to_ip_addresses and not self.sender_ip_addresses:
            errors.setdefault("sender_ip_addresses", []).append("Add at least one IP address.")
        if self.treat_messages_as_internal:
            self._clean_treat_as_internal(errors)

    def _clean_treat_as_internal(self, errors: dict[str, list[str]]) -> None:
        """New-InboundConnector: "You can't set this parameter to the value $true if" the
        connector retains internal headers or isn't from your organization's email server."""
        if self.connector_type != ConnectorType.ON_PREMISES:
            errors.setdefault("treat_messages_as_internal", []).append(
                "Only a connector from your organization's email server can treat messages as internal."
            )
        if self.cloud_services_mail_enabled:
            errors.setdefault("treat_messages_as_internal", []).append(
                "A connector that retains internal Exchange email headers (CloudServicesMailEnabled) "
                "can't also treat messages as internal."
            )


class ConnectorDraft(models.Model):
    """A connector being added with the wizard. Kept in the database, keyed by its URL, so a reload,
    Back/Forward or a second tab resume it, and a worker can validate its settings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="connector_drafts")
    created_by = models.ForeignKey(
        "eac.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)  # step key → that step's cleaned values
    completed = models.JSONField(default=list, blank=True)  # step keys whose values passed
    validation_run = models.ForeignKey(
        "validation.ValidationRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proceed_without_validation = models.BooleanField(default=False)  # "Are you sure" → Yes, proceed
    created_connector_id = models.UUIDField(null=True, blank=True)
    created_direction = models.CharField(max_length=8, blank=True)
    # A Classic EAC edit (the pencil) walks the same pages over a saved connector's answers; Save
    # then updates that connector, if nobody saved it since `editing_version`.
    editing_connector_id = models.UUIDField(null=True, blank=True)
    editing_direction = models.CharField(max_length=8, blank=True)
    editing_version = models.PositiveIntegerField(null=True, blank=True)
    editing_opened = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Draft {self.data.get('name', {}).get('name', self.id)}"

    def created_connector(self) -> OutboundConnector | InboundConnector | None:
        """The connector this draft became, if it did and that connector still exists."""
        if self.created_connector_id is None:
            return None
        model = OutboundConnector if self.created_direction == "outbound" else InboundConnector
        return model.objects.filter(pk=self.created_connector_id).first()
