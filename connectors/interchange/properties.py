"""The one table of what the console keeps of each connector and accepted domain: model field ↔
the cmdlets' property name ↔ the kind of value ↔ whether a PowerShell line writes it.

The import (`items.py`) reads these properties from `Get-…Connector | ConvertTo-Json`, the JSON
export (`export.py`) writes them back under the same names, and `powershell.py` turns them into
the parameters of `New-OutboundConnector`, `New-InboundConnector`, `Set-OutboundConnector` and
`Set-AcceptedDomain`. Each of those files says once how a kind of value is read or written; a
property is added here, in one line. Messages name a property as the cmdlets do (its `label`),
because that is what the admin sees in the JSON.

The properties are listed in the order the import reads them, which is also the order of its
error messages and of "Changes …" in the preview. References:
https://learn.microsoft.com/en-us/powershell/module/exchange/new-outboundconnector and
https://learn.microsoft.com/en-us/powershell/module/exchange/new-inboundconnector.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from connectors.endpoints import ConnectorSource, ConnectorType
from connectors.models import MtaStsMode, SmtpDaneMode, TlsSettings
from eac.models import DomainType

Kind = Literal["domains", "outbound", "inbound"]
KINDS: tuple[Kind, ...] = ("domains", "outbound", "inbound")
KIND_LABELS: dict[Kind, str] = {
    "domains": "Accepted domain",
    "outbound": "Outbound connector",
    "inbound": "Inbound connector",
}

# --- Enumerations, as ConvertTo-Json writes them ---------------------------------------------
# By name, or by number where Windows PowerShell writes the enum's value (Exchange's
# AcceptedDomainType, TenantConnectorType, TlsAuthLevel). The console's values are Exchange's
# names, so the export and PowerShell lines write a value as it is.

DOMAIN_TYPES: dict[str | int, str] = {
    "Authoritative": DomainType.AUTHORITATIVE,
    "InternalRelay": DomainType.INTERNAL_RELAY,
    0: DomainType.AUTHORITATIVE,
    2: DomainType.INTERNAL_RELAY,
}
EXTERNAL_RELAY = (
    "ExternalRelay exists only in on-premises Exchange; Exchange Online domains are "
    "Authoritative or InternalRelay."
)
REFUSED_DOMAIN_TYPES: dict[str | int, str] = {"ExternalRelay": EXTERNAL_RELAY, 1: EXTERNAL_RELAY}
CONNECTOR_TYPES: dict[str | int, str] = {
    "OnPremises": ConnectorType.ON_PREMISES,
    "Partner": ConnectorType.PARTNER,
    1: ConnectorType.ON_PREMISES,
    2: ConnectorType.PARTNER,
}
# Exchange's TenantConnectorSource numbers Default 0, Migrated 1 and HybridWizard 2; AdminUI,
# which the EAC sets, is newer and only ever seen by name.
CONNECTOR_SOURCES: dict[str | int, str] = {
    "AdminUI": ConnectorSource.ADMIN_UI,
    "Default": ConnectorSource.DEFAULT,
    "HybridWizard": ConnectorSource.HYBRID_WIZARD,
    "Migrated": ConnectorSource.MIGRATED,
    0: ConnectorSource.DEFAULT,
    1: ConnectorSource.MIGRATED,
    2: ConnectorSource.HYBRID_WIZARD,
}
TLS_SETTINGS: dict[str | int, str] = {
    "EncryptionOnly": TlsSettings.ENCRYPTION_ONLY,
    "CertificateValidation": TlsSettings.CERTIFICATE_VALIDATION,
    "DomainValidation": TlsSettings.DOMAIN_VALIDATION,
    1: TlsSettings.ENCRYPTION_ONLY,
    2: TlsSettings.CERTIFICATE_VALIDATION,
    4: TlsSettings.DOMAIN_VALIDATION,
}

# The MTA-STS and DANE modes are new (2025) and only ever seen by name.
MTA_STS_MODES: dict[str | int, str] = {mode.value: mode.value for mode in MtaStsMode}
SMTP_DANE_MODES: dict[str | int, str] = {mode.value: mode.value for mode in SmtpDaneMode}

# --- Kinds of value ------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """true or false; `default` when the JSON leaves it out."""

    default: bool


@dataclass(frozen=True)
class Text:
    """A string; `strip` drops the spaces around it. The name is kept as it is (its parser strips
    it), and so is the comment."""

    strip: bool = False


@dataclass(frozen=True)
class TextList:
    """A list of strings, each stripped."""


@dataclass(frozen=True)
class AddressSpaces:
    """Get-InboundConnector prints SenderDomains as SMTP address spaces with a cost,
    `smtp:contoso.com;1`; the console keeps the domain."""


@dataclass(frozen=True)
class Choice:
    """One of an enumeration's names (or numbers); `nullable`: null is a value of its own."""

    names: dict[str | int, str]
    default: str | None
    nullable: bool = False
    refused: dict[str | int, str] | None = None
    # Values a cmdlet shows but doesn't take as a parameter (the EAC's AdminUI source).
    unsettable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Timestamp:
    """A date and time, in either of PowerShell's JSON forms; kept in UTC."""


@dataclass(frozen=True)
class Guid:
    """A GUID, as ConvertTo-Json prints one: a string, or null."""


Value = Flag | Text | TextList | AddressSpaces | Choice | Timestamp | Guid


class Write(Enum):
    """When a PowerShell line gives the property as a parameter."""

    ALWAYS = "always"
    IF_SET = "if set"  # true or not empty; left out, the cmdlet takes false, empty or $null
    UNLESS_DEFAULT = "unless default"  # a choice other than the cmdlet's default (and settable)
    NEVER = "never"


@dataclass(frozen=True)
class Property:
    field: str  # the model's
    name: str  # the cmdlets': ConvertTo-Json's key and the PowerShell parameter
    value: Value
    powershell: Write = Write.ALWAYS

    @property
    def label(self) -> str:
        """How messages name it: as the admin sees it in the JSON."""
        return self.name


# --- The table -----------------------------------------------------------------------------

NAME = Property("name", "Name", Text())
COMMENT = Property("comment", "Comment", Text(), Write.IF_SET)
ENABLED = Property("enabled", "Enabled", Flag(True))
CONNECTOR_TYPE = Property("connector_type", "ConnectorType", Choice(CONNECTOR_TYPES, None))
CONNECTOR_SOURCE = Property(
    "connector_source",
    "ConnectorSource",
    Choice(
        CONNECTOR_SOURCES,
        ConnectorSource.DEFAULT,
        unsettable=frozenset({ConnectorSource.ADMIN_UI.value}),
    ),
    # A hybrid wizard's or migrated connector stays one; an EAC-made one (AdminUI) can't be
    # given that source in PowerShell, so Exchange records Default.
    Write.UNLESS_DEFAULT,
)
CLOUD_SERVICES_MAIL_ENABLED = Property(
    "cloud_services_mail_enabled", "CloudServicesMailEnabled", Flag(False)
)

# Every connector's, after its name.
COMMON = (COMMENT, ENABLED, CONNECTOR_TYPE, CONNECTOR_SOURCE, CLOUD_SERVICES_MAIL_ENABLED)

OUTBOUND_SETTINGS = (
    Property("all_accepted_domains", "AllAcceptedDomains", Flag(False), Write.IF_SET),
    Property("is_transport_rule_scoped", "IsTransportRuleScoped", Flag(False), Write.IF_SET),
    Property("recipient_domains", "RecipientDomains", TextList(), Write.IF_SET),
    Property("use_mx_record", "UseMXRecord", Flag(True)),
    Property("smart_hosts", "SmartHosts", TextList(), Write.IF_SET),
    Property(
        "tls_settings", "TlsSettings", Choice(TLS_SETTINGS, None, nullable=True), Write.IF_SET
    ),
    # Kept with any TLS level, as Exchange keeps it; only DomainValidation uses it.
    Property("tls_domain", "TlsDomain", Text(strip=True), Write.IF_SET),
    Property(
        "route_all_messages_via_on_premises",
        "RouteAllMessagesViaOnPremises",
        Flag(False),
        Write.IF_SET,
    ),
    Property("sender_rewriting_enabled", "SenderRewritingEnabled", Flag(False), Write.IF_SET),
    Property("test_mode", "TestMode", Flag(False), Write.IF_SET),
    Property(
        "mta_sts_mode",
        "MtaStsMode",
        Choice(MTA_STS_MODES, MtaStsMode.OPPORTUNISTIC),
        Write.UNLESS_DEFAULT,
    ),
    Property(
        "smtp_dane_mode",
        "SmtpDaneMode",
        Choice(SMTP_DANE_MODES, SmtpDaneMode.OPPORTUNISTIC),
        Write.UNLESS_DEFAULT,
    ),
    # Reserved for Microsoft's internal use: kept and exported, never given to a cmdlet.
    Property("link_for_modified_connector", "LinkForModifiedConnector", Guid(), Write.NEVER),
)
# What a validation recorded. PowerShell gives them in a Set-OutboundConnector line of their own,
# after the New- line, and only once the connector was validated.
OUTBOUND_VALIDATION = (
    Property("validation_recipients", "ValidationRecipients", TextList(), Write.IF_SET),
    Property("is_validated", "IsValidated", Flag(False)),
    Property("last_validation_timestamp", "LastValidationTimestamp", Timestamp()),
)
OUTBOUND = OUTBOUND_SETTINGS + OUTBOUND_VALIDATION

INBOUND = (
    Property("sender_domains", "SenderDomains", AddressSpaces()),
    Property("sender_ip_addresses", "SenderIPAddresses", TextList(), Write.IF_SET),
    Property("require_tls", "RequireTls", Flag(False)),
    Property("restrict_domains_to_certificate", "RestrictDomainsToCertificate", Flag(False)),
    Property("restrict_domains_to_ip_addresses", "RestrictDomainsToIPAddresses", Flag(False)),
    Property(
        "tls_sender_certificate_name",
        "TlsSenderCertificateName",
        Text(strip=True),
        Write.IF_SET,
    ),
    Property("associated_accepted_domains", "AssociatedAcceptedDomains", TextList(), Write.IF_SET),
    Property("treat_messages_as_internal", "TreatMessagesAsInternal", Flag(False), Write.IF_SET),
    Property("trusted_organizations", "TrustedOrganizations", TextList(), Write.IF_SET),
    Property("ef_skip_last_ip", "EFSkipLastIP", Flag(False), Write.IF_SET),
    Property("ef_skip_ips", "EFSkipIPs", TextList(), Write.IF_SET),
    Property("ef_users", "EFUsers", TextList(), Write.IF_SET),
    Property("ef_test_mode", "EFTestMode", Flag(False), Write.IF_SET),
    Property("ef_skip_mail_gateway", "EFSkipMailGateway", TextList(), Write.IF_SET),
    Property("scan_and_drop_recipients", "ScanAndDropRecipients", TextList(), Write.IF_SET),
    Property("client_host_names", "ClientHostNames", TextList(), Write.IF_SET),
)

DOMAIN_TYPE = Property(
    "domain_type",
    "DomainType",
    Choice(DOMAIN_TYPES, DomainType.AUTHORITATIVE, refused=REFUSED_DOMAIN_TYPES),
)
MATCH_SUBDOMAINS = Property("match_subdomains", "MatchSubDomains", Flag(False), Write.IF_SET)
# An accepted domain's name comes from DomainName (or Name); see items.py.
INITIAL_DOMAIN_SUFFIX = ".onmicrosoft.com"  # of the domain Microsoft gives each organization
DOMAIN = (DOMAIN_TYPE, MATCH_SUBDOMAINS)
# Exported as Get-AcceptedDomain prints it; the import checks its type but never takes it: each
# organization keeps its own default domain.
IS_DEFAULT = Property("is_default", "Default", Flag(False), Write.NEVER)

SETTINGS: dict[Kind, tuple[Property, ...]] = {
    "domains": DOMAIN,
    "outbound": (NAME, *COMMON, *OUTBOUND),
    "inbound": (NAME, *COMMON, *INBOUND),
}
# Model field → how messages name it, for the model's own validation errors.
LABELS = {prop.field: prop.label for props in SETTINGS.values() for prop in props}
