"""Which of a connector's settings are kept but do nothing, here or in Exchange Online, and why.

Exchange keeps some values it never uses (a TlsDomain without DomainValidation, a partner-only
restriction on an OnPremises connector) and some only Microsoft uses; the console keeps them all
so an import exports unchanged, and says which are inert wherever it shows them: the import's
preview and the details flyout's Advanced section. The cmdlet pages are the source of each rule:
https://learn.microsoft.com/en-us/powershell/module/exchange/new-outboundconnector and
https://learn.microsoft.com/en-us/powershell/module/exchange/new-inboundconnector.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector, TlsSettings

INTERNAL = "reserved for Microsoft's internal use; kept as it is, and nothing here uses it."


@dataclass(frozen=True)
class Inert:
    """A setting that is kept but has no effect: the cmdlets' property name, and why."""

    property: str
    why: str


def inert_settings(connector: OutboundConnector | InboundConnector) -> list[Inert]:
    if isinstance(connector, OutboundConnector):
        return _outbound(connector)
    return _inbound(connector)


def _outbound(connector: OutboundConnector) -> list[Inert]:
    found = []
    if connector.tls_domain and connector.tls_settings != TlsSettings.DOMAIN_VALIDATION:
        found.append(
            Inert(
                "TlsDomain",
                "used only when TlsSettings is DomainValidation; this connector's is "
                f"{connector.tls_settings or '$null'}.",
            )
        )
    if connector.link_for_modified_connector:
        found.append(Inert("LinkForModifiedConnector", INTERNAL))
    return found


def _inbound(connector: InboundConnector) -> list[Inert]:
    found = []
    if connector.connector_type != ConnectorType.PARTNER:
        partner_only = [
            ("RestrictDomainsToCertificate", connector.restrict_domains_to_certificate),
            ("RestrictDomainsToIPAddresses", connector.restrict_domains_to_ip_addresses),
        ]
        found += [
            Inert(name, "takes effect only on partner connectors; this one is OnPremises.")
            for name, value in partner_only
            if value
        ]
    if connector.ef_skip_ips and connector.ef_skip_last_ip:
        found.append(Inert("EFSkipIPs", "used only when EFSkipLastIP is $false."))
    internal = [
        ("EFTestMode", connector.ef_test_mode),
        ("EFSkipMailGateway", connector.ef_skip_mail_gateway),
        ("ScanAndDropRecipients", connector.scan_and_drop_recipients),
    ]
    found += [Inert(name, INTERNAL) for name, value in internal if value]
    if connector.client_host_names:
        found.append(
            Inert("ClientHostNames", "undocumented; kept as it is, and nothing here uses it.")
        )
    return found


def not_simulated(connector: OutboundConnector | InboundConnector) -> list[Inert]:
    """Settings that change what Exchange Online does but that the explorer and validation
    don't act on: set here, they are kept and exported, and the explorer's answer ignores them."""
    if isinstance(connector, OutboundConnector):
        settings = [
            ("SenderRewritingEnabled", connector.sender_rewriting_enabled),
            ("TestMode", connector.test_mode),
            ("MtaStsMode", connector.mta_sts_mode != "Opportunistic"),
            ("SmtpDaneMode", connector.smtp_dane_mode != "Opportunistic"),
        ]
    else:
        settings = [
            ("TreatMessagesAsInternal", connector.treat_messages_as_internal),
            ("TrustedOrganizations", connector.trusted_organizations),
            ("EFSkipLastIP", connector.ef_skip_last_ip),
            ("EFSkipIPs", connector.ef_skip_ips and not connector.ef_skip_last_ip),
            ("EFUsers", connector.ef_users),
        ]
    return [
        Inert(name, "kept and exported; the mail flow explorer doesn't model it.")
        for name, value in settings
        if value
    ]
