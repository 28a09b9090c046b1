"""Exchange Online PowerShell equivalents of a tenant's connectors and accepted domains: the
details panel's lines and Export as PowerShell.

Which properties a line gives, and under what names, comes from the table in `properties.py`;
this file says how each kind of value is written as an argument. Pure rendering: every function
takes objects or plain values and returns text; none queries the database. Every value an admin
typed is written as a single-quoted PowerShell string, in which `$`, backticks and double quotes
are plain characters, so a name can never run code
(https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_quoting_rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, assert_never

from django.db.models import Model

from connectors.endpoints import ConnectorSource, ConnectorType
from connectors.interchange.properties import (
    CLOUD_SERVICES_MAIL_ENABLED,
    COMMENT,
    CONNECTOR_SOURCE,
    CONNECTOR_TYPE,
    DOMAIN,
    DOMAIN_TYPE,
    ENABLED,
    INBOUND,
    INITIAL_DOMAIN_SUFFIX,
    NAME,
    OUTBOUND_SETTINGS,
    OUTBOUND_VALIDATION,
    AddressSpaces,
    Choice,
    Flag,
    Guid,
    Property,
    Text,
    TextList,
    Timestamp,
    Write,
)
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant
from eac.values import parse_smart_host

MX_SUFFIX = ".mail.protection.outlook.com"
SEND_CONNECTOR_NAME = "My company to Office 365"

# PowerShell takes the typographic single quotes (‘ ’ ‚ ‛) as quote characters too, so each
# must be doubled like the ASCII one or it would end the string.
_SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


def quote(value: str) -> str:
    """A PowerShell single-quoted (verbatim) string."""
    for mark in _SINGLE_QUOTES:
        value = value.replace(mark, mark * 2)
    return f"'{value}'"


def bool_literal(value: bool) -> str:
    return "$true" if value else "$false"


def quote_list(values: Iterable[str]) -> str:
    """A PowerShell array argument: `'a','b'`."""
    return ",".join(quote(value) for value in values)


def _command(cmdlet: str, parameters: list[tuple[str, str]]) -> str:
    return " ".join([cmdlet, *(f"-{name} {value}" for name, value in parameters)])


def _parameters(instance: Model, props: Iterable[Property]) -> list[tuple[str, str]]:
    """The properties a line gives, each as (parameter, argument), per the table's `powershell`."""
    return [
        (prop.name, argument(prop, getattr(instance, prop.field)))
        for prop in props
        if _written(prop, getattr(instance, prop.field))
    ]


def _written(prop: Property, value: Any) -> bool:
    match prop.powershell:
        case Write.ALWAYS:
            return True
        case Write.IF_SET:
            return bool(value)
        case Write.UNLESS_DEFAULT:
            kind = prop.value
            assert isinstance(kind, Choice), prop.name  # the only kind with a default to leave out
            return value != kind.default and value not in kind.unsettable
        case Write.NEVER:
            return False
    assert_never(prop.powershell)


def argument(prop: Property, value: Any) -> str:
    """A model value as the property's PowerShell argument."""
    kind = prop.value
    match kind:
        case Flag():
            return bool_literal(value)
        case Text():
            return quote(value)
        case TextList() | AddressSpaces():
            return quote_list(value)
        case Choice():
            return str(value)  # the console's values are Exchange's enum names
        case Timestamp():
            return quote(iso_utc(value))
        case Guid():
            return quote(str(value))
    assert_never(kind)


def _new_connector_line(
    cmdlet: str, connector: OutboundConnector | InboundConnector, settings: tuple[Property, ...]
) -> str:
    # Name, type and state, then the direction's settings: the order these lines have always had.
    order = (
        NAME,
        CONNECTOR_TYPE,
        ENABLED,
        COMMENT,
        *settings,
        CLOUD_SERVICES_MAIL_ENABLED,
        CONNECTOR_SOURCE,
    )
    return _command(cmdlet, _parameters(connector, order))


def new_outbound_connector_line(connector: OutboundConnector) -> str:
    return _new_connector_line("New-OutboundConnector", connector, OUTBOUND_SETTINGS)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_validation_line(connector: OutboundConnector) -> str | None:
    """What a validation recorded (ValidationRecipients, IsValidated, LastValidationTimestamp),
    as Set-OutboundConnector sets it
    (https://learn.microsoft.com/en-us/powershell/module/exchange/set-outboundconnector).
    None if the connector was never validated."""
    if connector.last_validation_timestamp is None:
        return None
    parameters = [("Identity", quote(connector.name))]
    parameters += _parameters(connector, OUTBOUND_VALIDATION)
    return _command("Set-OutboundConnector", parameters)


def new_inbound_connector_line(connector: InboundConnector) -> str:
    return _new_connector_line("New-InboundConnector", connector, INBOUND)


def connector_lines(connector: OutboundConnector | InboundConnector) -> list[str]:
    """The line that creates the connector, then the validation it recorded, if any."""
    if isinstance(connector, InboundConnector):
        return [new_inbound_connector_line(connector)]
    validation = set_validation_line(connector)
    return [new_outbound_connector_line(connector), *([validation] if validation else [])]


def tenant_label(tenant: Tenant) -> str:
    return tenant.initial_domain.removesuffix(INITIAL_DOMAIN_SUFFIX)


def mx_target(domain: str, tenant: Tenant) -> str:
    """The host a domain's MX record points to: contoso.com →
    contoso-com.mail.protection.outlook.com; an onmicrosoft.com domain → the tenant's own
    (https://learn.microsoft.com/en-us/microsoft-365/admin/get-help-with-domains/create-dns-records-at-any-dns-hosting-provider)."""
    name = domain.strip().lower().removesuffix(".")
    if name.endswith(INITIAL_DOMAIN_SUFFIX):
        return tenant_label(tenant) + MX_SUFFIX
    return name.replace(".", "-") + MX_SUFFIX


def needs_send_connector(
    connector: OutboundConnector | InboundConnector, accepted_domains: Iterable[str]
) -> bool:
    """Whether the Send connector hint helps: Office 365 → your organization's email server,
    where Microsoft's set-up article pairs the connector with a Send connector on that server.
    Not for one the Hybrid Configuration Wizard made (it made the Send connector too), nor one
    scoped to mail flow rules (how mail reaches an add-on service), nor one whose smart hosts are
    all another company's names: a server of yours has an IP address or a name in one of your
    accepted domains."""
    if not isinstance(connector, OutboundConnector):
        return False
    return (
        connector.connector_type == ConnectorType.ON_PREMISES
        and connector.connector_source != ConnectorSource.HYBRID_WIZARD
        and not connector.is_transport_rule_scoped
        and any(_is_yours(host, accepted_domains) for host in connector.smart_hosts)
    )


def _is_yours(smart_host: str, accepted_domains: Iterable[str]) -> bool:
    host = parse_smart_host(smart_host)
    if host.kind != "fqdn":
        return True
    return any(host.value == d or host.value.endswith(f".{d}") for d in accepted_domains)


def new_send_connector_line(tenant: Tenant, default_domain: str) -> str:
    """The on-premises Exchange Server line of Microsoft's article on connectors between Office
    365 and your own email servers
    (https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/set-up-connectors-to-route-mail).
    -Fqdn is a placeholder for the host name on your server's certificate."""
    return _command(
        "New-SendConnector",
        [
            ("Name", quote(SEND_CONNECTOR_NAME)),
            ("AddressSpaces", "*"),
            ("CloudServicesMailEnabled", "$true"),
            ("Fqdn", quote(f"mail.{default_domain}")),
            ("RequireTLS", "$true"),
            ("DNSRoutingEnabled", "$false"),
            ("SmartHosts", quote(mx_target(default_domain, tenant))),
            ("TlsAuthLevel", "CertificateValidation"),
        ],
    )


def _comment(text: str) -> str:
    """Text safe inside a `#` comment line: a line break would end the comment."""
    return "".join(char if char.isprintable() else " " for char in text)


def _set_accepted_domain_line(domain: AcceptedDomain) -> str:
    parameters = [("Identity", quote(domain.name)), *_parameters(domain, DOMAIN)]
    return _command("Set-AcceptedDomain", parameters)


def _new_accepted_domain_line(domain: AcceptedDomain) -> str:
    names = [("Name", quote(domain.name)), ("DomainName", quote(domain.name))]
    return _command("New-AcceptedDomain", names + _parameters(domain, (DOMAIN_TYPE,)))


def _domain_section(domains: list[AcceptedDomain]) -> list[str]:
    lines = [
        "# --- Accepted domains ---",
        "# Exchange Online doesn't add domains with PowerShell: add and verify each one in the",
        "# Microsoft 365 admin center (Settings > Domains) first. The lines below then give each",
        "# domain its type. New-AcceptedDomain is for on-premises Exchange; it is listed, commented",
        "# out, for reference only.",
    ]
    for domain in domains:
        note = " (default domain)" if domain.is_default else ""
        lines.append(f"# {_comment(domain.name)}{note}")
        lines.append(f"# {_new_accepted_domain_line(domain)}")
        if domain.name.endswith(INITIAL_DOMAIN_SUFFIX):
            # Microsoft creates it with the organization; it is always Authoritative.
            lines.append("# (a Microsoft-managed onmicrosoft.com domain: nothing to set)")
        else:
            lines.append(_set_accepted_domain_line(domain))
    if not domains:
        lines.append("# (none)")
    return lines


def tenant_script(
    tenant: Tenant,
    domains: Iterable[AcceptedDomain],
    outbound: Iterable[OutboundConnector],
    inbound: Iterable[InboundConnector],
    *,
    generated_at: datetime | None = None,
) -> str:
    """A script that recreates the tenant's accepted-domain types and connectors."""
    domains, outbound, inbound = list(domains), list(outbound), list(inbound)
    lines = [
        f"# Mail flow connectors of {_comment(tenant.name)} ({tenant.initial_domain})",
        "# Run in Exchange Online PowerShell (Connect-ExchangeOnline) as an Exchange administrator.",
    ]
    if generated_at is not None:
        lines.append(f"# Exported {iso_utc(generated_at)}")
    lines += [
        "",
        "# Stop at the first error rather than leave the organization half configured.",
        "$ErrorActionPreference = 'Stop'",
        "",
        *_domain_section(domains),
        "",
        "# --- Outbound connectors (from Office 365) ---",
    ]
    for outbound_connector in outbound:
        lines += connector_lines(outbound_connector)
    if not outbound:
        lines.append("# (none)")
    lines += ["", "# --- Inbound connectors (to Office 365) ---"]
    for inbound_connector in inbound:
        lines += connector_lines(inbound_connector)
    if not inbound:
        lines.append("# (none)")
    names = [d.name for d in domains]
    yours = [c for c in outbound if needs_send_connector(c, names)]
    if yours:
        default = next((d.name for d in domains if d.is_default), tenant.initial_domain)
        lines += [
            "",
            "# --- A hint for your own email server ---",
            f"# {_comment(', '.join(c.name for c in yours))} "
            f"{'delivers' if len(yours) == 1 else 'deliver'} to a server of yours. If it is an",
            "# Exchange Server, it sends to Office 365 with a Send connector such as the one below.",
            "# Not for Exchange Online: run it in that server's Exchange Management Shell, with",
            "# -Fqdn set to the host name on its certificate.",
            f"# {new_send_connector_line(tenant, default)}",
        ]
    return "\n".join(lines) + "\n"
