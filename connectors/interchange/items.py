"""One accepted domain or connector of an import: its JSON object read through the property table
(`properties.py`), then judged by the model's `full_clean()`, so the shared parsers judge each
value exactly as they judge one typed into the wizard.

Property names match in any case, as PowerShell's do; properties the console doesn't model are
ignored; a known property of the wrong type is an error about the item. Every error of an item
is kept, so the admin can fix them all at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, assert_never

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from connectors.effects import inert_settings, not_simulated
from connectors.interchange.limits import MAX_LIST_ENTRIES
from connectors.interchange.properties import (
    COMMON,
    CONNECTOR_TYPE,
    DOMAIN,
    INBOUND,
    IS_DEFAULT,
    KIND_LABELS,
    LABELS,
    NAME,
    OUTBOUND,
    AddressSpaces,
    Choice,
    Flag,
    Guid,
    Kind,
    Property,
    Text,
    TextList,
    Timestamp,
)
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain
from eac.reader import Reader, ReadError, code_point, shown, type_name

T = TypeVar("T")

# Properties that show an item was pasted in the wrong box.
_TELLTALES: dict[Kind, tuple[str, ...]] = {
    "outbound": ("SmartHosts", "RecipientDomains", "UseMXRecord"),
    "inbound": ("SenderDomains", "SenderIPAddresses"),
    "domains": ("DomainName", "DomainType"),
}


@dataclass(frozen=True)
class Item:
    """One domain or connector of the import, its values canonical once `errors` is empty."""

    kind: Kind
    label: str  # "Outbound connector 'To Contoso'": how errors and the preview name it
    name: str
    fields: dict[str, Any]
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # for the preview: what is kept without effect, or not kept
    order: int = 0  # its place among all the import's items


def read_item(kind: Kind, raw: object, position: int) -> Item:
    if not isinstance(raw, dict):
        return Item(
            kind,
            _label(kind, None, position),
            "",
            {},
            (f"expected an object with properties such as Name, found {type_name(raw)}.",),
        )
    item = _ItemReader(Reader(raw, ignore_case=True))
    if kind == "domains":
        return _read_domain(item, position)
    connector = _read_connector(kind, item, position)
    if connector.errors:
        return connector
    return replace(connector, notes=_not_kept(raw, item.json) + connector.notes)


class _ItemReader:
    """Reads an item's properties one at a time, keeping each refusal as an error."""

    def __init__(self, json: Reader) -> None:
        self.json = json
        self.errors: list[str] = []

    def attempt(self, read: Callable[[], T], refused: T) -> T:
        """What `read` returns, or `refused` (and the error kept) if it refuses the value."""
        try:
            return read()
        except ReadError as error:
            self.errors.append(str(error))
            return refused

    def value(self, prop: Property) -> Any:
        return self.attempt(lambda: read_value(self.json, prop), None)

    def values(self, props: tuple[Property, ...]) -> dict[str, Any]:
        return {prop.field: self.value(prop) for prop in props}

    def fail(self, key: str, message: str) -> None:
        self.errors.append(str(self.json.error(key, message)))

    def about(self, key: str) -> bool:
        """Whether an error about this property was already recorded."""
        return any(error.startswith(f"{key}: ") for error in self.errors)


def read_value(json: Reader, prop: Property) -> Any:
    """The property's value in the model's terms; ReadError if the JSON holds something else."""
    kind, key = prop.value, prop.name
    match kind:
        case Flag():
            return json.flag(key, kind.default)
        case Text():
            text = _storable(json, key, json.text(key))
            return text.strip() if kind.strip else text
        case TextList():
            return [entry.strip() for entry in _storable_texts(json, key)]
        case AddressSpaces():
            return [sender_domain(entry) for entry in _storable_texts(json, key)]
        case Choice():
            return json.choice(
                key, kind.names, kind.default, nullable=kind.nullable, refused=kind.refused
            )
        case Timestamp():
            return _timestamp(json, key)
        case Guid():
            return _guid(json, key)
    assert_never(kind)


def _unstorable(text: str) -> str | None:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (not UTF-8): JSON's \\u escapes
    can spell both."""
    return next((c for c in text if c == "\x00" or "\ud800" <= c <= "\udfff"), None)


def _storable(json: Reader, key: str, text: str) -> str:
    bad = _unstorable(text)
    if bad is not None:
        raise json.error(key, f"contains a character that can't be stored ({code_point(bad)}).")
    return text


def _storable_texts(json: Reader, key: str) -> list[str]:
    texts = json.texts(key, max_entries=MAX_LIST_ENTRIES)
    for position, entry in enumerate(texts, 1):
        bad = _unstorable(entry)
        if bad is not None:
            raise json.error(
                key,
                f"entry {position} contains a character that can't be stored ({code_point(bad)}).",
            )
    return texts


def sender_domain(entry: str) -> str:
    """`smtp:*;1` (an address space with its type and cost, as Get-InboundConnector prints
    SenderDomains) → `*`."""
    value = entry.strip()
    if value[:5].lower() == "smtp:":
        value = value[5:]
    domain, semicolon, cost = value.rpartition(";")
    if semicolon and cost.strip().isdigit():
        value = domain
    return value.strip()


def _timestamp(json: Reader, key: str) -> datetime | None:
    value = json.get(key)
    # Windows PowerShell writes a DateTime it made itself as {"value": "/Date(…)/", …}.
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        value = value["value"]
    if value is None:
        return None
    if not isinstance(value, str):
        raise json.error(key, f"expected a date and time, found {type_name(value)}.")
    moment = parse_timestamp(value)
    if moment is None:
        raise json.error(
            key, f"“{shown(value)}” isn't a date and time such as 2026-07-24T18:59:12Z."
        )
    return moment


def _guid(json: Reader, key: str) -> uuid.UUID | None:
    value = json.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise json.error(key, f"expected a GUID, found {type_name(value)}.")
    try:
        guid = uuid.UUID(value.strip())
    except ValueError:
        raise json.error(
            key, f"“{shown(value)}” isn't a GUID such as 0b0f5d4e-8c1a-4f5e-9a47-3c1f2e6d7b80."
        ) from None
    return None if guid.int == 0 else guid  # Exchange prints the all-zero GUID for none


_MS_DATE = re.compile(r"^/Date\((-?\d{1,15})([+-]\d{4})?\)/$")


def parse_timestamp(text: str) -> datetime | None:
    """ISO 8601 (PowerShell 7) or `/Date(ms)/` (Windows PowerShell), as an aware UTC time. A
    time without an offset is taken as UTC: the cmdlets' timestamps are UTC."""
    match = _MS_DATE.match(text.strip())
    if match:
        # The offset only says which zone to display in; the milliseconds are already UTC.
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def model_errors(exc: ValidationError) -> list[str]:
    """A model's validation errors, each prefixed with the cmdlet property it is about."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    lines = []
    for name, errors in exc.message_dict.items():
        messages = list(dict.fromkeys(errors))
        # Django's generic "blank" message adds nothing next to the model's own.
        if len(messages) > 1:
            messages = [m for m in messages if m != "This field cannot be blank."]
        prefix = "" if name == NON_FIELD_ERRORS else f"{LABELS.get(name, name)}: "
        lines += [f"{prefix}{message}" for message in messages]
    return lines


def _label(kind: Kind, name: str | None, position: int) -> str:
    return f"{KIND_LABELS[kind]} '{name}'" if name else f"{KIND_LABELS[kind]} #{position}"


def _shown_name(value: str) -> str | None:
    return shown(value.strip(), limit=64) if value.strip() else None


def _wrong_box_hint(json: Reader, kind: Kind) -> str | None:
    if any(json.has(p) for p in _TELLTALES[kind]):
        return None
    for other, properties in _TELLTALES.items():
        if other != kind and any(json.has(p) for p in properties):
            return f"this looks like {KIND_LABELS[other].lower()} output; paste it in that box."
    return None


def _read_domain(item: _ItemReader, position: int) -> Item:
    name = _domain_name(item)
    label = _label("domains", _shown_name(name), position)
    fields = item.values(DOMAIN)
    item.value(IS_DEFAULT)  # read for its type
    hint = _wrong_box_hint(item.json, "domains")
    if hint:
        return Item("domains", label, name, fields, (hint,))
    if not name and not item.about("DomainName"):
        item.fail("DomainName", "required: the domain, such as contoso.com.")
    if item.errors:
        return Item("domains", label, name, fields, tuple(item.errors))
    domain = AcceptedDomain(name=name, **fields)
    try:
        domain.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return Item("domains", label, name, fields, tuple(model_errors(exc)))
    canonical = {prop.field: getattr(domain, prop.field) for prop in DOMAIN}
    return Item("domains", _label("domains", domain.name, position), domain.name, canonical)


def _domain_name(item: _ItemReader) -> str:
    """DomainName, which some shells write as an object with its Domain; else Name."""
    value = item.json.get("DomainName")
    if isinstance(value, dict):
        value = value.get("Domain", value.get("Address"))
    if value is None:
        name: str = item.value(NAME) or ""
        return name.strip()
    json = item.json
    text = item.attempt(
        lambda: _storable(json, "DomainName", json.check_text("DomainName", value)), ""
    )
    return text.strip()


def _read_connector(kind: Kind, item: _ItemReader, position: int) -> Item:
    name: str = item.value(NAME) or ""
    label = _label(kind, _shown_name(name), position)
    hint = _wrong_box_hint(item.json, kind)
    if hint:
        return Item(kind, label, name, {}, (hint,))
    fields = {NAME.field: name} | item.values(COMMON)
    if fields[CONNECTOR_TYPE.field] is None and not item.about(CONNECTOR_TYPE.name):
        item.fail(CONNECTOR_TYPE.name, "required: OnPremises or Partner.")
    model: type[OutboundConnector] | type[InboundConnector]
    if kind == "outbound":
        model = OutboundConnector
        fields |= item.values(OUTBOUND)
    else:
        model = InboundConnector
        fields |= item.values(INBOUND)
    if item.errors:
        return Item(kind, label, name, fields, tuple(item.errors))
    connector = model(**fields)
    try:
        connector.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return Item(kind, label, name, fields, tuple(model_errors(exc)))
    canonical = {key: getattr(connector, key) for key in fields}
    notes = [f"{e.property}: {e.why}" for e in inert_settings(connector) + not_simulated(connector)]
    return Item(
        kind, _label(kind, connector.name, position), connector.name, canonical, notes=tuple(notes)
    )


# What Get-OutboundConnector and Get-InboundConnector print around every object's settings: its
# identity, place in the directory and history. Exchange gives a connector new ones when it is
# made, so the import leaves them without saying so.
EXCHANGE_METADATA = frozenset(
    name.lower()
    for name in (
        "Identity",
        "Id",
        "Guid",
        "ExchangeObjectId",
        "DistinguishedName",
        "ObjectCategory",
        "ObjectClass",
        "ObjectState",
        "OrganizationId",
        "OrganizationalUnitRoot",
        "OriginatingServer",
        "AdminDisplayName",
        "ExchangeVersion",
        "IsValid",
        "WhenChanged",
        "WhenCreated",
        "WhenChangedUTC",
        "WhenCreatedUTC",
        "PSComputerName",
        "PSShowComputerName",
        "RunspaceId",
        "PSSourceJobInstanceId",
    )
)


def _not_kept(raw: dict[Any, Any], json: Reader) -> tuple[str, ...]:
    """A note for each property of the item the console has no place for: the export won't
    have it, so the admin should know before importing."""
    spelled = {str(key).lower(): str(key) for key in raw}
    unknown = [spelled[key] for key in json.unread() if key not in EXCHANGE_METADATA]
    return tuple(
        f"{name}: not kept; this console doesn't know this property, so it won't be exported."
        for name in unknown
    )
