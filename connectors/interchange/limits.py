"""How much one import may hold, checked before anything is parsed or read, and how the refusal
says so. The limits keep a preview fast and its page readable."""

from __future__ import annotations

from collections.abc import Iterable

from connectors.interchange.errors import ImportTooLarge

MAX_JSON_BYTES = 1024 * 1024  # all documents together, counted as UTF-8
MAX_ITEMS = 1_000  # accepted domains and connectors together
MAX_LIST_ENTRIES = 1_000  # entries in one multi-valued property
MAX_ERRORS_SHOWN = 100
# A UTF-16 file (what Windows PowerShell's `>` writes) takes twice the bytes of its UTF-8 text.
MAX_FILE_BYTES = 2 * MAX_JSON_BYTES + 2
MAX_NUMBER_DIGITS = 20  # no property takes a longer number; Python would refuse 4,300+ anyway


def size_text(size: int) -> str:
    if size < 100 * 1024:
        return f"{size:,} bytes"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def too_large_message(size: int) -> str:
    return (
        f"The JSON is {size_text(size)} in all; at most {size_text(MAX_JSON_BYTES)} can be "
        "imported at once. Import the accepted domains and each kind of connector separately."
    )


def refuse_too_many_bytes(texts: Iterable[str]) -> None:
    size = sum(len(text.encode("utf-8", "surrogatepass")) for text in texts)
    if size > MAX_JSON_BYTES:
        raise ImportTooLarge([too_large_message(size)])


def refuse_too_many_items(count: int) -> None:
    if count > MAX_ITEMS:
        raise ImportTooLarge(
            [
                f"The import has {count:,} items; at most {MAX_ITEMS:,} accepted domains and "
                "connectors can be imported at once. Split it into smaller files."
            ]
        )
