"""Import a real organization's configuration, and the JSON export it round-trips with.

Input is what `Get-AcceptedDomain | ConvertTo-Json`, `Get-OutboundConnector | ConvertTo-Json` and
`Get-InboundConnector | ConvertTo-Json` print (a single object or an array; property names as the
cmdlets output them, matched case-insensitively as PowerShell does), or this console's own
export, which holds all three. Properties the console doesn't model are ignored; a known property
of the wrong type is an error about that item. Values then go through the models' `full_clean()`,
so the shared parsers judge them exactly as they judge a value typed into the wizard.

`plan_import` says what would change (the preview) without writing; `import_configuration`
plans again and applies everything through the audited services in one transaction, or nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from connectors.endpoints import ConnectorSource, ConnectorType
from connectors.models import InboundConnector, OutboundConnector, TlsSettings
from connectors.services import (
    AnyConnector,
    connector_update,
    inbound_connector_create,
    outbound_connector_create,
)
from eac.models import AcceptedDomain, DomainType, Tenant, User
from eac.services import accepted_domain_add, accepted_domain_update

MAX_JSON_BYTES = 1024 * 1024  # all documents together, counted as UTF-8
MAX_ITEMS = 1_000  # accepted domains and connectors together
MAX_LIST_ENTRIES = 1_000  # entries in one multi-valued property
MAX_ERRORS_SHOWN = 100
# A UTF-16 file (what Windows PowerShell's `>` writes) takes twice the bytes of its UTF-8 text.
MAX_FILE_BYTES = 2 * MAX_JSON_BYTES + 2
_MAX_NUMBER_DIGITS = 20  # no property takes a longer number; Python would refuse 4,300+ anyway

Kind = Literal["domains", "outbound", "inbound"]
KINDS: tuple[Kind, ...] = ("domains", "outbound", "inbound")
KIND_LABELS: dict[Kind, str] = {
    "domains": "Accepted domain",
    "outbound": "Outbound connector",
    "inbound": "Inbound connector",
}
DOCUMENT_LABELS = {
    "domains": "Accepted domains (Get-AcceptedDomain)",
    "outbound": "Outbound connectors (Get-OutboundConnector)",
    "inbound": "Inbound connectors (Get-InboundConnector)",
    "bundle": "Console export",
}
# The console's export: one object holding what each of the three cmdlets prints.
BUNDLE_KEYS: dict[str, Kind] = {
    "AcceptedDomains": "domains",
    "OutboundConnectors": "outbound",
    "InboundConnectors": "inbound",
}
INITIAL_DOMAIN_SUFFIX = ".onmicrosoft.com"


class ImportRejected(Exception):
    """Nothing was imported, for these reasons (each names the document or item it is about)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors[:3]))


class ImportTooLarge(ImportRejected):
    """Over the size or item limit: refused before any item is read."""


def too_large_message(size: int) -> str:
    return (
        f"The JSON is {size_text(size)} in all; at most {size_text(MAX_JSON_BYTES)} can be "
        "imported at once. Import the accepted domains and each kind of connector separately."
    )


@dataclass(frozen=True)
class ImportSources:
    """The JSON texts, as pasted or uploaded; an empty one is simply not imported."""

    domains: str = ""
    outbound: str = ""
    inbound: str = ""
    bundle: str = ""

    def texts(self) -> dict[str, str]:
        return {
            "domains": self.domains,
            "outbound": self.outbound,
            "inbound": self.inbound,
            "bundle": self.bundle,
        }


# --- Reading the documents -----------------------------------------------------------------


def decode_upload(data: bytes, label: str) -> str:
    """Text of an uploaded file: UTF-8 (with or without a BOM) or UTF-16 with a BOM, which is
    what Windows PowerShell 5.1 writes with `>` or Out-File."""
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportRejected(
            [
                f"{label}: the file isn't UTF-8 or UTF-16 text. Save it with Set-Content -Encoding utf8."
            ]
        ) from None


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} isn't a JSON number")


def _parse_int(text: str) -> int:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise ValueError("a number is too long")
    return int(text)


def _load(text: str, label: str) -> Any:
    try:
        return json.loads(
            text.removeprefix("\ufeff"), parse_constant=_refuse_constant, parse_int=_parse_int
        )
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            [
                f"{label}: this isn't valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
            ]
        ) from None
    except RecursionError:
        raise ImportRejected([f"{label}: the JSON is nested too deeply."]) from None
    except ValueError as exc:
        raise ImportRejected([f"{label}: this isn't valid JSON ({exc})."]) from None


def _items_of(document: Any, label: str) -> list[Any]:
    # Windows PowerShell wraps an array passed as one object: {"value": [...], "Count": n}.
    if isinstance(document, dict) and set(document) == {"value", "Count"}:
        document = document["value"]
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        return [document]
    raise ImportRejected(
        [
            f"{label}: expected a JSON object or an array of objects, as ConvertTo-Json writes them; "
            f"found {_type_name(document)}."
        ]
    )


def size_text(size: int) -> str:
    if size < 100 * 1024:
        return f"{size:,} bytes"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def read_documents(sources: ImportSources) -> dict[Kind, list[Any]]:
    """The raw items of each kind. Refuses, before any item is looked at, input that is too
    big, isn't JSON, isn't shaped as the cmdlets print it, or has too many items."""
    texts = sources.texts()
    size = sum(len(text.encode("utf-8", "surrogatepass")) for text in texts.values())
    if size > MAX_JSON_BYTES:
        raise ImportTooLarge([too_large_message(size)])
    items: dict[Kind, list[Any]] = {kind: [] for kind in KINDS}
    errors: list[str] = []
    for key, text in texts.items():
        if not text.strip():
            continue
        label = DOCUMENT_LABELS[key]
        try:
            document = _load(text, label)
            if key == "bundle":
                for kind, part, part_label in _bundle_parts(document, label):
                    items[kind] += _items_of(part, part_label)
            else:
                items[cast(Kind, key)] += _items_of(document, label)
        except ImportRejected as exc:
            errors += exc.errors
    if errors:
        raise ImportRejected(errors)
    count = sum(len(kind_items) for kind_items in items.values())
    if count > MAX_ITEMS:
        raise ImportTooLarge(
            [
                f"The import has {count:,} items; at most {MAX_ITEMS:,} accepted domains and "
                "connectors can be imported at once. Split it into smaller files."
            ]
        )
    return items


def _bundle_parts(document: Any, label: str) -> list[tuple[Kind, Any, str]]:
    """(kind, value, label) for each of the three lists the export holds."""
    if not isinstance(document, dict) or not set(BUNDLE_KEYS) & set(document):
        raise ImportRejected(
            [
                f"{label}: expected this console's export, an object with AcceptedDomains, "
                "OutboundConnectors and InboundConnectors. Paste a cmdlet's output in its own box."
            ]
        )
    return [
        (kind, document[key], f"{label}: {key}")
        for key, kind in BUNDLE_KEYS.items()
        if key in document
    ]


# --- Reading one item ----------------------------------------------------------------------


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def _shown(text: str, limit: int = 40) -> str:
    """Text from the JSON as it can safely appear in a message: short and printable."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(char if char.isprintable() else _code_point(char) for char in text)


def _unstorable(text: str) -> str | None:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (not UTF-8): JSON's \\u escapes
    can spell both."""
    return next((c for c in text if c == "\x00" or "\ud800" <= c <= "\udfff"), None)


class _Reader:
    """Typed access to one item's properties, collecting an error per wrongly typed property."""

    def __init__(self, data: dict[str, Any]) -> None:
        # PowerShell property names are case-insensitive.
        self.data = {str(key).lower(): value for key, value in data.items()}
        self.errors: list[str] = []

    def has(self, key: str) -> bool:
        return key.lower() in self.data

    def _get(self, key: str) -> Any:
        return self.data.get(key.lower())

    def fail(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}")

    def about(self, key: str) -> bool:
        """Whether an error about this property was already recorded."""
        return any(error.startswith(f"{key}: ") for error in self.errors)

    def text(self, key: str) -> str:
        return self.string(key, self._get(key))

    def string(self, key: str, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(key, f"expected a string, found {_type_name(value)}.")
            return ""
        bad = _unstorable(value)
        if bad is not None:
            self.fail(key, f"contains a character that can't be stored ({_code_point(bad)}).")
            return ""
        return value

    def boolean(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self._get(key)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, found {_type_name(value)}.")
            return default
        return value

    def texts(self, key: str, clean: Callable[[str], str] = str.strip) -> list[str]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f"expected a list of strings, found {_type_name(value)}.")
            return []
        if len(value) > MAX_LIST_ENTRIES:
            self.fail(key, f"at most {MAX_LIST_ENTRIES:,} entries; found {len(value):,}.")
            return []
        wrong = [i for i, entry in enumerate(value, 1) if not isinstance(entry, str)]
        if wrong:
            self.fail(
                key,
                f"entry {wrong[0]} is {_type_name(value[wrong[0] - 1])}; expected a list of strings.",
            )
            return []
        for position, entry in enumerate(value, 1):
            bad = _unstorable(entry)
            if bad is not None:
                self.fail(
                    key,
                    f"entry {position} contains a character that can't be stored ({_code_point(bad)}).",
                )
                return []
        return [clean(entry) for entry in value]

    def choice(
        self,
        key: str,
        choices: dict[str | int, str],
        *,
        default: str | None,
        nullable: bool = False,
        refused: dict[str | int, str] | None = None,
    ) -> str | None:
        if not self.has(key):
            return default
        value = self._get(key)
        if value is None and nullable:
            return None
        valid = ", ".join(str(name) for name in choices if isinstance(name, str))
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(key, f"expected one of {valid}; found {_type_name(value)}.")
            return default
        lookup = value.lower() if isinstance(value, str) else value
        for known, message in (refused or {}).items():
            if lookup == (known.lower() if isinstance(known, str) else known):
                self.fail(key, message)
                return default
        for known, result in choices.items():
            if lookup == (known.lower() if isinstance(known, str) else known):
                return result
        shown = f"“{_shown(value)}”" if isinstance(value, str) else str(value)
        self.fail(key, f"{shown} isn't one of {valid}.")
        return default

    def timestamp(self, key: str) -> datetime | None:
        value = self._get(key)
        # Windows PowerShell writes a DateTime it made itself as {"value": "/Date(…)/", …}.
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            value = value["value"]
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, f"expected a date and time, found {_type_name(value)}.")
            return None
        moment = parse_timestamp(value)
        if moment is None:
            self.fail(key, f"“{_shown(value)}” isn't a date and time such as 2026-07-24T18:59:12Z.")
        return moment


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


# Enumerations as ConvertTo-Json writes them: by name, or by number where Windows PowerShell
# writes the enum's value (Exchange's AcceptedDomainType, TenantConnectorType, TlsAuthLevel).
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
# The console keeps two sources; Exchange's others (hybrid wizard, migration) are not the EAC's.
CONNECTOR_SOURCES: dict[str | int, str] = {
    "AdminUI": ConnectorSource.ADMIN_UI,
    "Default": ConnectorSource.DEFAULT,
    "HybridWizard": ConnectorSource.DEFAULT,
    "Migrated": ConnectorSource.DEFAULT,
    0: ConnectorSource.DEFAULT,
    1: ConnectorSource.DEFAULT,
    2: ConnectorSource.DEFAULT,
}
TLS_SETTINGS: dict[str | int, str] = {
    "EncryptionOnly": TlsSettings.ENCRYPTION_ONLY,
    "CertificateValidation": TlsSettings.CERTIFICATE_VALIDATION,
    "DomainValidation": TlsSettings.DOMAIN_VALIDATION,
    1: TlsSettings.ENCRYPTION_ONLY,
    2: TlsSettings.CERTIFICATE_VALIDATION,
    4: TlsSettings.DOMAIN_VALIDATION,
}

# Model field → the cmdlet property it came from, so errors name what the admin sees in the JSON.
PROPERTY_NAMES = {
    "name": "Name",
    "comment": "Comment",
    "enabled": "Enabled",
    "connector_type": "ConnectorType",
    "connector_source": "ConnectorSource",
    "cloud_services_mail_enabled": "CloudServicesMailEnabled",
    "all_accepted_domains": "AllAcceptedDomains",
    "is_transport_rule_scoped": "IsTransportRuleScoped",
    "recipient_domains": "RecipientDomains",
    "use_mx_record": "UseMXRecord",
    "smart_hosts": "SmartHosts",
    "tls_settings": "TlsSettings",
    "tls_domain": "TlsDomain",
    "validation_recipients": "ValidationRecipients",
    "is_validated": "IsValidated",
    "last_validation_timestamp": "LastValidationTimestamp",
    "sender_domains": "SenderDomains",
    "sender_ip_addresses": "SenderIPAddresses",
    "require_tls": "RequireTls",
    "restrict_domains_to_certificate": "RestrictDomainsToCertificate",
    "restrict_domains_to_ip_addresses": "RestrictDomainsToIPAddresses",
    "tls_sender_certificate_name": "TlsSenderCertificateName",
    "domain_type": "DomainType",
    "match_subdomains": "MatchSubDomains",
}

# Properties that show an item was pasted in the wrong box.
_OUTBOUND_ONLY = ("SmartHosts", "RecipientDomains", "UseMXRecord")
_INBOUND_ONLY = ("SenderDomains", "SenderIPAddresses")
_DOMAIN_ONLY = ("DomainName", "DomainType")


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
        prefix = "" if name == NON_FIELD_ERRORS else f"{PROPERTY_NAMES.get(name, name)}: "
        lines += [f"{prefix}{message}" for message in messages]
    return lines


def _shown_name(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return _shown(value.strip(), limit=64)
    return None


@dataclass(frozen=True)
class Item:
    """One domain or connector of the import, its values canonical once `errors` is empty."""

    kind: Kind
    label: str  # "Outbound connector 'To Contoso'": how errors and the preview name it
    name: str
    fields: dict[str, Any]
    errors: tuple[str, ...] = ()


def _label(kind: Kind, name: str | None, position: int) -> str:
    return f"{KIND_LABELS[kind]} '{name}'" if name else f"{KIND_LABELS[kind]} #{position}"


def _wrong_box_hint(reader: _Reader, kind: Kind) -> str | None:
    looks_like: dict[Kind, tuple[str, ...]] = {
        "outbound": _OUTBOUND_ONLY,
        "inbound": _INBOUND_ONLY,
        "domains": _DOMAIN_ONLY,
    }
    if any(reader.has(p) for p in looks_like[kind]):
        return None
    for other, properties in looks_like.items():
        if other != kind and any(reader.has(p) for p in properties):
            return f"this looks like {KIND_LABELS[other].lower()} output; paste it in that box."
    return None


def read_item(kind: Kind, raw: Any, position: int) -> Item:
    if not isinstance(raw, dict):
        label = _label(kind, None, position)
        return Item(
            kind,
            label,
            "",
            {},
            (f"expected an object with properties such as Name, found {_type_name(raw)}.",),
        )
    reader = _Reader(raw)
    if kind == "domains":
        return _read_domain(reader, position)
    return _read_connector(kind, reader, position)


def _read_domain(reader: _Reader, position: int) -> Item:
    name = _domain_name(reader)
    label = _label("domains", _shown_name(name), position)
    fields = {
        "domain_type": reader.choice(
            "DomainType",
            DOMAIN_TYPES,
            default=DomainType.AUTHORITATIVE,
            refused=REFUSED_DOMAIN_TYPES,
        ),
        "match_subdomains": reader.boolean("MatchSubDomains", False),
    }
    reader.boolean("Default", False)  # read for its type; the default domain isn't imported
    hint = _wrong_box_hint(reader, "domains")
    if hint:
        return Item("domains", label, name, fields, (hint,))
    if not name and not reader.about("DomainName"):
        reader.fail("DomainName", "required: the domain, such as contoso.com.")
    if reader.errors:
        return Item("domains", label, name, fields, tuple(reader.errors))
    domain = AcceptedDomain(name=name, **fields)
    try:
        domain.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return Item("domains", label, name, fields, tuple(model_errors(exc)))
    fields = {"domain_type": domain.domain_type, "match_subdomains": domain.match_subdomains}
    return Item("domains", _label("domains", domain.name, position), domain.name, fields)


def _domain_name(reader: _Reader) -> str:
    """DomainName, which some shells write as an object with its Domain; else Name."""
    value = reader.data.get("domainname")
    if isinstance(value, dict):
        value = value.get("Domain", value.get("Address"))
    if value is None:
        return reader.text("Name").strip()
    return reader.string("DomainName", value).strip()


def _read_connector(kind: Kind, reader: _Reader, position: int) -> Item:
    name = reader.text("Name")
    label = _label(kind, _shown_name(name), position)
    hint = _wrong_box_hint(reader, kind)
    if hint:
        return Item(kind, label, name, {}, (hint,))
    fields: dict[str, Any] = {
        "name": name,
        "comment": reader.text("Comment"),
        "enabled": reader.boolean("Enabled", True),
        "connector_type": reader.choice("ConnectorType", CONNECTOR_TYPES, default=None),
        "connector_source": reader.choice(
            "ConnectorSource", CONNECTOR_SOURCES, default=ConnectorSource.DEFAULT
        ),
        "cloud_services_mail_enabled": reader.boolean("CloudServicesMailEnabled", False),
    }
    if fields["connector_type"] is None and not reader.about("ConnectorType"):
        reader.fail("ConnectorType", "required: OnPremises or Partner.")
    model: type[OutboundConnector] | type[InboundConnector]
    if kind == "outbound":
        model = OutboundConnector
        fields |= _outbound_fields(reader)
    else:
        model = InboundConnector
        fields |= _inbound_fields(reader)
    if reader.errors:
        return Item(kind, label, name, fields, tuple(reader.errors))
    connector = model(**fields)
    try:
        connector.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return Item(kind, label, name, fields, tuple(model_errors(exc)))
    canonical = {key: getattr(connector, key) for key in fields}
    return Item(kind, _label(kind, connector.name, position), connector.name, canonical)


def _outbound_fields(reader: _Reader) -> dict[str, Any]:
    return {
        "all_accepted_domains": reader.boolean("AllAcceptedDomains", False),
        "is_transport_rule_scoped": reader.boolean("IsTransportRuleScoped", False),
        "recipient_domains": reader.texts("RecipientDomains"),
        "use_mx_record": reader.boolean("UseMXRecord", True),
        "smart_hosts": reader.texts("SmartHosts"),
        "tls_settings": reader.choice("TlsSettings", TLS_SETTINGS, default=None, nullable=True),
        "tls_domain": reader.text("TlsDomain").strip(),
        "validation_recipients": reader.texts("ValidationRecipients"),
        "is_validated": reader.boolean("IsValidated", False),
        "last_validation_timestamp": reader.timestamp("LastValidationTimestamp"),
    }


def _inbound_fields(reader: _Reader) -> dict[str, Any]:
    return {
        "sender_domains": reader.texts("SenderDomains", sender_domain),
        "sender_ip_addresses": reader.texts("SenderIPAddresses"),
        "require_tls": reader.boolean("RequireTls", False),
        "restrict_domains_to_certificate": reader.boolean("RestrictDomainsToCertificate", False),
        "restrict_domains_to_ip_addresses": reader.boolean("RestrictDomainsToIPAddresses", False),
        "tls_sender_certificate_name": reader.text("TlsSenderCertificateName").strip(),
    }


# --- The plan (preview) --------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A row of the preview."""

    kind: str
    name: str
    action: str  # Add, Change type, Create, Replace, No change, Skip
    detail: str


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    domain_adds: list[Item] = field(default_factory=list)
    domain_updates: list[tuple[AcceptedDomain, Item]] = field(default_factory=list)
    creates: list[Item] = field(default_factory=list)
    replaces: list[tuple[AnyConnector, Item, dict[str, Any]]] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return (
            len(self.domain_adds)
            + len(self.domain_updates)
            + len(self.creates)
            + len(self.replaces)
        )

    def summary(self) -> str:
        parts = [
            (len(self.domain_adds), "accepted domain added", "accepted domains added"),
            (len(self.domain_updates), "domain type changed", "domain types changed"),
            (len(self.creates), "connector created", "connectors created"),
            (len(self.replaces), "connector replaced", "connectors replaced"),
        ]
        said = [f"{n} {one if n == 1 else many}" for n, one, many in parts if n]
        return ", ".join(said) if said else "nothing to change"


def _type_text(domain_type: str, match_subdomains: bool) -> str:
    text = DomainType(domain_type).label
    return f"{text}, accepts mail for all subdomains" if match_subdomains else text


def _scenario_text(item: Item) -> str:
    other = (
        "Your organization's email server"
        if item.fields["connector_type"] == ConnectorType.ON_PREMISES
        else "Partner organization"
    )
    if item.kind == "outbound":
        return f"Office 365 → {other}"
    return f"{other} → Office 365"


def plan_import(
    *,
    tenant: Tenant,
    sources: ImportSources,
    replace: bool = False,
    may_add_domains: bool = True,
    may_change_domains: bool = True,
) -> ImportPlan:
    """What the import would do to the tenant, and every item's problems. Writes nothing.

    With `replace`, a connector whose name is taken by one of the same direction has its
    settings replaced (same object, audited as an update); without it the name is an error."""
    documents = read_documents(sources)
    plan = ImportPlan()
    items = [
        read_item(kind, raw, position)
        for kind in KINDS
        for position, raw in enumerate(documents[kind], 1)
    ]
    for item in items:
        plan.errors += [f"{item.label}: {error}" for error in item.errors]
    valid = [item for item in items if not item.errors]
    _plan_domains(
        plan, tenant, [i for i in valid if i.kind == "domains"], may_add_domains, may_change_domains
    )
    _plan_connectors(plan, tenant, [i for i in valid if i.kind != "domains"], replace)
    return plan


def _plan_domains(
    plan: ImportPlan, tenant: Tenant, items: list[Item], may_add: bool, may_change: bool
) -> None:
    existing = {d.name: d for d in AcceptedDomain.objects.filter(tenant=tenant)}
    seen: set[str] = set()
    for item in items:
        domain_type, match = item.fields["domain_type"], item.fields["match_subdomains"]
        wanted = _type_text(domain_type, match)
        if item.name in seen:
            plan.errors.append(f"{item.label}: the import lists this domain twice.")
            continue
        seen.add(item.name)
        current = existing.get(item.name)
        if current is None and item.name.endswith(INITIAL_DOMAIN_SUFFIX):
            # Microsoft gives every organization its own; another's can't be added to this one.
            plan.changes.append(
                Change(
                    KIND_LABELS["domains"],
                    item.name,
                    "Skip",
                    "Another organization's onmicrosoft.com domain",
                )
            )
        elif current is None:
            if not may_add:
                plan.errors.append(
                    f"{item.label}: your role can't add accepted domains (Organization Management can). "
                    "Remove it from the import, or ask an Organization Management admin."
                )
                continue
            plan.domain_adds.append(item)
            plan.changes.append(Change(KIND_LABELS["domains"], item.name, "Add", wanted))
        elif (current.domain_type, current.match_subdomains) == (domain_type, match):
            plan.changes.append(Change(KIND_LABELS["domains"], item.name, "No change", wanted))
        elif current.name == tenant.initial_domain and domain_type != DomainType.AUTHORITATIVE:
            plan.errors.append(f"{item.label}: the initial domain is always Authoritative.")
        elif not may_change:
            plan.errors.append(f"{item.label}: your role can't change accepted domain types.")
        else:
            before = _type_text(current.domain_type, current.match_subdomains)
            plan.domain_updates.append((current, item))
            plan.changes.append(
                Change(KIND_LABELS["domains"], item.name, "Change type", f"{before} → {wanted}")
            )


def _plan_connectors(plan: ImportPlan, tenant: Tenant, items: list[Item], replace: bool) -> None:
    existing: dict[str, AnyConnector] = {}
    for model in (OutboundConnector, InboundConnector):
        for connector in model.objects.filter(tenant=tenant):
            existing[connector.name.lower()] = connector
    seen: set[str] = set()
    for item in items:
        key = item.name.lower()
        if key in seen:
            plan.errors.append(
                f"{item.label}: the import has another connector with this name "
                "(inbound and outbound connectors share one set of names)."
            )
            continue
        seen.add(key)
        current = existing.get(key)
        if current is None:
            plan.creates.append(item)
            plan.changes.append(
                Change(KIND_LABELS[item.kind], item.name, "Create", _scenario_text(item))
            )
        elif not replace:
            plan.errors.append(
                f"{item.label}: a connector with this name already exists. Rename it in the JSON, "
                "or tick “Replace connectors that have the same name”."
            )
        elif current.direction != item.kind:
            plan.errors.append(
                f"{item.label}: an {current.direction} connector has this name, and only a "
                "connector of the same direction can be replaced. Rename or delete it first."
            )
        else:
            changed = {k: v for k, v in item.fields.items() if getattr(current, k) != v}
            if not changed:
                plan.changes.append(
                    Change(KIND_LABELS[item.kind], item.name, "No change", _scenario_text(item))
                )
                continue
            plan.replaces.append((current, item, changed))
            names = ", ".join(PROPERTY_NAMES.get(k, k) for k in changed)
            plan.changes.append(
                Change(KIND_LABELS[item.kind], item.name, "Replace", f"Changes {names}")
            )


# --- Applying it ---------------------------------------------------------------------------


@transaction.atomic
def import_configuration(
    *,
    tenant: Tenant,
    sources: ImportSources,
    actor: User | None,
    replace: bool = False,
    may_add_domains: bool = True,
    may_change_domains: bool = True,
) -> ImportPlan:
    """Plans again (the tenant may have changed since the preview) and applies the plan through
    the audited services. Raises ImportRejected, and changes nothing, if any item is invalid."""
    # Held to the end: no connector or domain can appear between the plan and the writes.
    Tenant.objects.select_for_update().get(pk=tenant.pk)
    plan = plan_import(
        tenant=tenant,
        sources=sources,
        replace=replace,
        may_add_domains=may_add_domains,
        may_change_domains=may_change_domains,
    )
    if plan.errors:
        raise ImportRejected(plan.errors)
    for item in plan.domain_adds:
        with _about(item):
            accepted_domain_add(tenant=tenant, actor=actor, name=item.name, **item.fields)
    for domain, item in plan.domain_updates:
        with _about(item):
            accepted_domain_update(domain=domain, actor=actor, **item.fields)
    for current, item, changed in plan.replaces:
        with _about(item):
            connector_update(
                connector=current, actor=actor, fields=changed, expected_version=current.version
            )
    for item in plan.creates:
        create = outbound_connector_create if item.kind == "outbound" else inbound_connector_create
        with _about(item):
            create(tenant=tenant, actor=actor, **item.fields)
    return plan


@contextmanager
def _about(item: Item) -> Iterator[None]:
    """Turns a service's refusal into an error about the item, which rolls everything back."""
    try:
        yield
    except ValidationError as exc:
        raise ImportRejected([f"{item.label}: {error}" for error in model_errors(exc)]) from exc


# --- The export it round-trips with --------------------------------------------------------


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def domain_record(domain: AcceptedDomain) -> dict[str, Any]:
    """As `Get-AcceptedDomain | ConvertTo-Json` prints it (the properties the console keeps)."""
    return {
        "Name": domain.name,
        "Identity": domain.name,
        "DomainName": domain.name,
        "DomainType": str(domain.domain_type),
        "MatchSubDomains": domain.match_subdomains,
        "Default": domain.is_default,
        "WhenCreatedUTC": _utc(domain.created_at),
        "WhenChangedUTC": _utc(domain.changed_at),
    }


def _connector_head(connector: AnyConnector) -> dict[str, Any]:
    return {
        "Name": connector.name,
        "Identity": connector.name,
        "Guid": str(connector.pk),
        "Enabled": connector.enabled,
        "Comment": connector.comment or None,
        "ConnectorType": str(connector.connector_type),
        "ConnectorSource": str(connector.connector_source),
        "CloudServicesMailEnabled": connector.cloud_services_mail_enabled,
    }


def _connector_tail(connector: AnyConnector) -> dict[str, Any]:
    return {
        "WhenCreatedUTC": _utc(connector.created_at),
        "WhenChangedUTC": _utc(connector.changed_at),
    }


def outbound_record(connector: OutboundConnector) -> dict[str, Any]:
    return (
        _connector_head(connector)
        | {
            "AllAcceptedDomains": connector.all_accepted_domains,
            "IsTransportRuleScoped": connector.is_transport_rule_scoped,
            "RecipientDomains": list(connector.recipient_domains),
            "UseMXRecord": connector.use_mx_record,
            "SmartHosts": list(connector.smart_hosts),
            "TlsSettings": connector.tls_settings or None,
            "TlsDomain": connector.tls_domain or None,
            "ValidationRecipients": list(connector.validation_recipients),
            "IsValidated": connector.is_validated,
            "LastValidationTimestamp": _utc(connector.last_validation_timestamp),
        }
        | _connector_tail(connector)
    )


def inbound_record(connector: InboundConnector) -> dict[str, Any]:
    return (
        _connector_head(connector)
        | {
            # As Get-InboundConnector prints them: SMTP address spaces with a cost.
            "SenderDomains": [f"smtp:{domain};1" for domain in connector.sender_domains],
            "SenderIPAddresses": list(connector.sender_ip_addresses),
            "RequireTls": connector.require_tls,
            "RestrictDomainsToCertificate": connector.restrict_domains_to_certificate,
            "RestrictDomainsToIPAddresses": connector.restrict_domains_to_ip_addresses,
            "TlsSenderCertificateName": connector.tls_sender_certificate_name or None,
        }
        | _connector_tail(connector)
    )


def tenant_export(
    domains: Iterable[AcceptedDomain],
    outbound: Iterable[OutboundConnector],
    inbound: Iterable[InboundConnector],
) -> dict[str, list[dict[str, Any]]]:
    """What the three Get- cmdlets would print, together: the import's "Console export"."""
    return {
        "AcceptedDomains": [domain_record(d) for d in domains],
        "OutboundConnectors": [outbound_record(c) for c in outbound],
        "InboundConnectors": [inbound_record(c) for c in inbound],
    }
