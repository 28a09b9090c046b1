"""From the pasted or uploaded JSON texts to the raw items of each kind, refusing a document that
is too big, isn't JSON, or isn't shaped as the cmdlets print it, before any item is looked at.

Input is what `Get-AcceptedDomain | ConvertTo-Json`, `Get-OutboundConnector | ConvertTo-Json`
and `Get-InboundConnector | ConvertTo-Json` print (a single object or an array), or this
console's own export, which holds all three
(https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.utility/convertto-json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from connectors.interchange.errors import ImportRejected, ImportTooLarge
from connectors.interchange.limits import (
    MAX_FILE_BYTES,
    MAX_NUMBER_DIGITS,
    refuse_too_many_bytes,
    refuse_too_many_items,
    too_large_message,
)
from connectors.interchange.properties import KINDS, Kind
from eac.reader import type_name

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


class BinaryFile(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_file(file: BinaryFile, size: int, label: str) -> str:
    """The text of an uploaded file of `size` bytes, reading no more than the limit allows."""
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImportTooLarge([too_large_message(size or len(data))])
    return decode_upload(data, label)


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


def read_documents(sources: ImportSources) -> dict[Kind, list[object]]:
    """The raw items of each kind, in the order of the documents and of their items."""
    texts = sources.texts()
    refuse_too_many_bytes(texts.values())
    items: dict[Kind, list[object]] = {kind: [] for kind in KINDS}
    errors: list[str] = []
    for key, text in texts.items():
        if not text.strip():
            continue
        try:
            for kind, found in _items_by_kind(key, text):
                items[kind] += found
        except ImportRejected as exc:
            errors += exc.errors
    if errors:
        raise ImportRejected(errors)
    refuse_too_many_items(sum(len(kind_items) for kind_items in items.values()))
    return items


def _items_by_kind(key: str, text: str) -> list[tuple[Kind, list[object]]]:
    label = DOCUMENT_LABELS[key]
    document = _load(text, label)
    if key == "bundle":
        return [
            (kind, _items_of(part, part_label))
            for kind, part, part_label in _bundle_parts(document, label)
        ]
    return [(_BOX_KINDS[key], _items_of(document, label))]


_BOX_KINDS: dict[str, Kind] = {kind: kind for kind in KINDS}  # each cmdlet's own box


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} isn't a JSON number")


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise ValueError("a number is too long")
    return int(text)


def _load(text: str, label: str) -> object:
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


def _items_of(document: object, label: str) -> list[object]:
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
            f"found {type_name(document)}."
        ]
    )


def _bundle_parts(document: object, label: str) -> list[tuple[Kind, object, str]]:
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
