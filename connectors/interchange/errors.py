"""The import's two refusals. Either means nothing was imported."""

from __future__ import annotations


class ImportRejected(Exception):
    """Nothing was imported, for these reasons (each names the document or item it is about)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors[:3]))


class ImportTooLarge(ImportRejected):
    """Over the size or item limit: refused before any item is read."""
