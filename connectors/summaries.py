"""Plain-language sections describing a connector, as on the New EAC review page and details panel."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector, TlsSettings


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


def scenario_section(connector: OutboundConnector | InboundConnector) -> Section:
    return Section(
        "Mail flow scenario",
        (f"From: {connector.source_endpoint.label}", f"To: {connector.target_endpoint.label}"),
    )


def status_lines(
    connector: OutboundConnector | InboundConnector, *, unsaved: bool = False
) -> tuple[str, ...]:
    """A saved connector is On or Off; one being created or edited says what saving will do."""
    if unsaved:
        lines = ["Turn it on after saving" if connector.enabled else "Leave it off after saving"]
    else:
        lines = ["On" if connector.enabled else "Off"]
    if (
        connector.connector_type == ConnectorType.ON_PREMISES
        and connector.cloud_services_mail_enabled
    ):
        lines.append("Retain internal Exchange email headers (recommended)")
    return tuple(lines)


def use_lines(connector: OutboundConnector) -> tuple[str, ...]:
    if connector.is_transport_rule_scoped:
        return (
            "Use only when I have a transport rule set up that redirects messages to this connector.",
        )
    if connector.all_accepted_domains:
        return ("Use for email messages sent to all accepted domains in your organization.",)
    return (
        "Use only when email messages are sent to these domains: "
        + ", ".join(connector.recipient_domains),
    )


def routing_lines(connector: OutboundConnector) -> tuple[str, ...]:
    if connector.use_mx_record:
        return ("Use the MX record associated with the partner's domain.",)
    return ("Route email messages through these smart hosts: " + ", ".join(connector.smart_hosts),)


def outbound_security_lines(connector: OutboundConnector) -> tuple[str, ...]:
    match connector.tls_settings:
        case TlsSettings.ENCRYPTION_ONLY:
            return (
                "Always use Transport Layer Security (TLS) and connect with any digital certificate, "
                "including self-signed certificates.",
            )
        case TlsSettings.CERTIFICATE_VALIDATION:
            return (
                "Always use Transport Layer Security (TLS) and connect only if the recipient's email "
                "server certificate is issued by a trusted certificate authority (CA).",
            )
        case TlsSettings.DOMAIN_VALIDATION:
            return (
                "Always use Transport Layer Security (TLS) and connect only if the recipient's email "
                "server certificate is issued by a trusted certificate authority (CA), and the subject "
                f"name matches this domain: {connector.tls_domain}",
            )
    return ("Use TLS when the recipient's email server offers it (opportunistic TLS).",)


def identity_lines(connector: InboundConnector) -> tuple[str, ...]:
    if connector.connector_type == ConnectorType.ON_PREMISES:
        if connector.tls_sender_certificate_name:
            return (
                "Identify incoming messages from your email server by verifying that the subject name "
                f"on the connecting TLS certificate matches this domain: {connector.tls_sender_certificate_name}, "
                "and the sender's email address is an accepted domain for your organization.",
            )
        return (
            "Identify incoming messages from your email server by verifying that the sending server's "
            "IP address is one of these: " + ", ".join(connector.sender_ip_addresses),
        )
    if connector.sender_domains != ["*"] or not connector.sender_ip_addresses:
        return (
            "Identify the partner organization by verifying that messages are coming from these "
            "domains: " + ", ".join(connector.sender_domains),
        )
    return (
        "Identify the partner organization by verifying that messages are coming from these IP "
        "addresses: " + ", ".join(connector.sender_ip_addresses),
    )


def inbound_security_lines(connector: InboundConnector) -> tuple[str, ...]:
    lines = []
    if connector.require_tls:
        lines.append("Reject email messages if they aren't sent over TLS.")
    if connector.restrict_domains_to_certificate:
        lines.append(
            "Reject email messages if the subject name on the partner's certificate doesn't match "
            f"this domain: {connector.tls_sender_certificate_name}"
        )
    if connector.restrict_domains_to_ip_addresses:
        lines.append(
            "Reject email messages if they aren't sent from these IP addresses: "
            + ", ".join(connector.sender_ip_addresses)
        )
    return tuple(lines) or ("No security restrictions.",)


def connector_sections(
    connector: OutboundConnector | InboundConnector, *, unsaved: bool = False
) -> list[Section]:
    """The sections of the details panel, or with `unsaved` of the review page (the wizard's
    answers before Create or Save)."""
    sections = [
        scenario_section(connector),
        Section("Name", (connector.name,) + ((connector.comment,) if connector.comment else ())),
        Section("Status", status_lines(connector, unsaved=unsaved)),
    ]
    if isinstance(connector, OutboundConnector):
        sections += [
            Section("Use of connector", use_lines(connector)),
            Section("Routing", routing_lines(connector)),
            Section("Security restrictions", outbound_security_lines(connector)),
        ]
    elif connector.connector_type == ConnectorType.ON_PREMISES:
        sections.append(
            Section("How to identify email sent from your email server", identity_lines(connector))
        )
    else:
        sections += [
            Section("How to identify your partner organization", identity_lines(connector)),
            Section("Security restrictions", inbound_security_lines(connector)),
        ]
    return sections


# --- What the sections describe -------------------------------------------------------------
# The details panel's Advanced section lists every property the sections leave out, so each rule
# below mirrors the wording function of the same name (use_lines → use_fields …): a property
# counts as described only where its words appear, or where they say it is off or empty (as
# "No security restrictions." does). Change both together.


def use_fields(connector: OutboundConnector) -> frozenset[str]:
    if connector.is_transport_rule_scoped:
        return frozenset({"is_transport_rule_scoped"})
    if connector.all_accepted_domains:
        return frozenset({"is_transport_rule_scoped", "all_accepted_domains"})
    return frozenset({"is_transport_rule_scoped", "all_accepted_domains", "recipient_domains"})


def routing_fields(connector: OutboundConnector) -> frozenset[str]:
    if connector.use_mx_record:
        return frozenset({"use_mx_record"})
    return frozenset({"use_mx_record", "smart_hosts"})


def outbound_security_fields(connector: OutboundConnector) -> frozenset[str]:
    if connector.tls_settings == TlsSettings.DOMAIN_VALIDATION:
        return frozenset({"tls_settings", "tls_domain"})
    return frozenset({"tls_settings"})


def identity_fields(connector: InboundConnector) -> frozenset[str]:
    if connector.connector_type == ConnectorType.ON_PREMISES:
        if connector.tls_sender_certificate_name:
            return frozenset({"tls_sender_certificate_name"})
        return frozenset({"tls_sender_certificate_name", "sender_ip_addresses"})
    if connector.sender_domains != ["*"] or not connector.sender_ip_addresses:
        return frozenset({"sender_domains"})
    return frozenset({"sender_domains", "sender_ip_addresses"})


def inbound_security_fields(connector: InboundConnector) -> frozenset[str]:
    fields = {"require_tls", "restrict_domains_to_certificate", "restrict_domains_to_ip_addresses"}
    if connector.restrict_domains_to_certificate:
        fields.add("tls_sender_certificate_name")
    if connector.restrict_domains_to_ip_addresses:
        fields.add("sender_ip_addresses")
    return frozenset(fields)


def described_fields(connector: OutboundConnector | InboundConnector) -> frozenset[str]:
    """The model fields `connector_sections` puts into words for this connector."""
    fields = {"name", "comment", "enabled", "connector_type"}
    if connector.connector_type == ConnectorType.ON_PREMISES:
        fields.add("cloud_services_mail_enabled")  # "Retain internal …", or its absence
    if isinstance(connector, OutboundConnector):
        return frozenset(
            fields
            | use_fields(connector)
            | routing_fields(connector)
            | outbound_security_fields(connector)
        )
    if connector.connector_type == ConnectorType.ON_PREMISES:
        return frozenset(fields | identity_fields(connector))
    return frozenset(fields | identity_fields(connector) | inbound_security_fields(connector))


def validation_result(connector: OutboundConnector) -> str:
    if connector.last_validation_timestamp is None:
        return "Not validated yet"
    return "Validation succeeded" if connector.is_validated else "Validation failed"
