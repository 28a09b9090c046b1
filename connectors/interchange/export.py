"""Export as JSON: what `Get-AcceptedDomain`, `Get-OutboundConnector` and `Get-InboundConnector`
would print for the organization, piped to ConvertTo-Json, in one object. The import reads it
back as the "Console export".

Each record holds the properties of the table (`properties.py`) and, around them, what Exchange
prints with every object: its identity and when it was created and changed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, assert_never

from django.db.models import Model

from connectors.interchange.properties import (
    CLOUD_SERVICES_MAIL_ENABLED,
    COMMENT,
    CONNECTOR_SOURCE,
    CONNECTOR_TYPE,
    DOMAIN,
    ENABLED,
    INBOUND,
    IS_DEFAULT,
    NAME,
    OUTBOUND,
    AddressSpaces,
    Choice,
    Flag,
    Guid,
    Property,
    Text,
    TextList,
    Timestamp,
)
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain

# Get-…Connector prints Enabled before Comment: not the order the import reads them in.
_CONNECTOR_HEAD = (ENABLED, COMMENT, CONNECTOR_TYPE, CONNECTOR_SOURCE, CLOUD_SERVICES_MAIL_ENABLED)


def tenant_export(
    domains: Iterable[AcceptedDomain],
    outbound: Iterable[OutboundConnector],
    inbound: Iterable[InboundConnector],
) -> dict[str, list[dict[str, Any]]]:
    """What the three Get- cmdlets would print, together: the import's "Console export"."""
    return {
        "AcceptedDomains": [domain_record(d) for d in domains],
        "OutboundConnectors": [connector_record(c) for c in outbound],
        "InboundConnectors": [connector_record(c) for c in inbound],
    }


def tenant_export_text(
    domains: Iterable[AcceptedDomain],
    outbound: Iterable[OutboundConnector],
    inbound: Iterable[InboundConnector],
) -> str:
    """The export file's text: indented, and non-ASCII names written as they are."""
    document = tenant_export(domains, outbound, inbound)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def domain_record(domain: AcceptedDomain) -> dict[str, Any]:
    names = {"Name": domain.name, "Identity": domain.name, "DomainName": domain.name}
    return names | _properties(domain, (*DOMAIN, IS_DEFAULT)) | _timestamps(domain)


def connector_record(connector: OutboundConnector | InboundConnector) -> dict[str, Any]:
    settings = OUTBOUND if isinstance(connector, OutboundConnector) else INBOUND
    return (
        _properties(connector, (NAME,))
        | {"Identity": connector.name, "Guid": str(connector.pk)}
        | _properties(connector, _CONNECTOR_HEAD + settings)
        | _timestamps(connector)
    )


def _properties(instance: Model, props: tuple[Property, ...]) -> dict[str, Any]:
    return {prop.name: json_value(prop, getattr(instance, prop.field)) for prop in props}


def json_value(prop: Property, value: Any) -> Any:
    """A model value as ConvertTo-Json prints the property."""
    kind = prop.value
    match kind:
        case Flag():
            return value
        case Text() | Choice():
            return str(value) if value else None  # an unset string property prints as null
        case TextList():
            return list(value)
        case AddressSpaces():
            # SMTP address spaces with a cost, as Get-InboundConnector prints SenderDomains.
            return [f"smtp:{domain};1" for domain in value]
        case Timestamp():
            return _utc(value)
        case Guid():
            return str(value or uuid.UUID(int=0))  # Get-…Connector prints none as all zeros
    assert_never(kind)


def _timestamps(instance: AcceptedDomain | OutboundConnector | InboundConnector) -> dict[str, Any]:
    return {
        "WhenCreatedUTC": _utc(instance.created_at),
        "WhenChangedUTC": _utc(instance.changed_at),
    }


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
