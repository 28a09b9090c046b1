"""Typed reading of parsed structured input (JSON, TOML): nested objects and lists, read key by
key, each wrong value refused with a message that says where it is.

Plain Python, no Django: the import of cmdlet output and the training scenarios both use it, and
pure code can too. Every refusal is a `ReadError` carrying the path to the value (the labels of
the enclosing objects, then the key) and what is wrong with it. A caller that wants all of an
object's problems at once reads each key in its own `try`; one that stops at the first lets the
error rise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import TypeVar

T = TypeVar("T")

Path = tuple[str, ...]


class ReadError(Exception):
    """A value that isn't what the reader expected: where it is, and why."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(": ".join((*path, message)))


def type_name(value: object) -> str:
    """What a parsed value is, in the words a message uses: "found a number"."""
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
    if isinstance(value, date | time):  # TOML has dates and times of its own
        return "a date or time"
    return "an object"


def code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def shown(text: str, limit: int = 40) -> str:
    """Text from the input as it can safely appear in a message: short and printable."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(char if char.isprintable() else code_point(char) for char in text)


class Reader:
    """One object of the input. Getters take a key and return its value checked for type.

    With `ignore_case`, keys and choice names match in any case, as PowerShell's do. A key that
    is absent gets the getter's default; a key whose value is null is absent only for `text`,
    `texts` and a `nullable` choice (ConvertTo-Json writes an unset string or list as null).
    """

    def __init__(
        self, data: Mapping[str, object], path: Path = (), *, ignore_case: bool = False
    ) -> None:
        self.path = path
        self.ignore_case = ignore_case
        self._data = {self._key(str(key)): value for key, value in data.items()}
        self._unread = dict.fromkeys(self._data)  # in the input's order, for `unread`

    def _key(self, key: str) -> str:
        return key.lower() if self.ignore_case else key

    def has(self, key: str) -> bool:
        return self._key(key) in self._data

    def get(self, key: str) -> object:
        """The value as parsed, unchecked; None if the key is absent."""
        self._unread.pop(self._key(key), None)
        return self._data.get(self._key(key))

    def error(self, key: str, message: str) -> ReadError:
        """A refusal of this key's value, to raise."""
        return ReadError((*self.path, key), message)

    def text(self, key: str, default: str | None = "") -> str:
        """A string; absent or null gives `default`, or, if that is None, a refusal."""
        value = self.get(key)
        if value is None and default is not None:
            return default
        return self.check_text(key, value)

    def check_text(self, key: str, value: object) -> str:
        """`value`, found under `key`, if it is a string."""
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, found {type_name(value)}.")
        return value

    def flag(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self.get(key)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, found {type_name(value)}.")
        return value

    def number(self, key: str, default: int) -> int:
        if not self.has(key):
            return default
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, found {type_name(value)}.")
        return value

    def texts(self, key: str, *, max_entries: int) -> list[str]:
        """A list of strings, of at most `max_entries`; absent or null is an empty list."""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of strings, found {type_name(value)}.")
        if len(value) > max_entries:
            raise self.error(key, f"at most {max_entries:,} entries; found {len(value):,}.")
        for position, entry in enumerate(value, 1):
            if not isinstance(entry, str):
                raise self.error(
                    key, f"entry {position} is {type_name(entry)}; expected a list of strings."
                )
        return value

    def choice(
        self,
        key: str,
        choices: Mapping[str | int, T],
        default: T,
        *,
        nullable: bool = False,
        refused: Mapping[str | int, str] | None = None,
    ) -> T | None:
        """The value `choices` gives for a name (or a number) found under `key`. `refused`
        holds names that are known but not accepted, each with the reason."""
        if not self.has(key):
            return default
        value = self.get(key)
        if value is None and nullable:
            return None
        valid = ", ".join(name for name in choices if isinstance(name, str))
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(key, f"expected one of {valid}; found {type_name(value)}.")
        for name, reason in (refused or {}).items():
            if self._same(name, value):
                raise self.error(key, reason)
        for name, result in choices.items():
            if self._same(name, value):
                return result
        found = f"“{shown(value)}”" if isinstance(value, str) else str(value)
        raise self.error(key, f"{found} isn't one of {valid}.")

    def _same(self, name: str | int, value: str | int) -> bool:
        if isinstance(name, str) and isinstance(value, str):
            return self._key(name) == self._key(value)
        return type(name) is type(value) and name == value

    def table(self, key: str, label: str | None = None) -> Reader:
        """The object under `key`, to read in turn; its errors name it `label` (else `key`)."""
        value = self.get(key)
        if not isinstance(value, Mapping):
            raise self.error(key, f"expected an object, found {type_name(value)}.")
        return self._child(value, label or key)

    def tables(self, key: str) -> list[Reader]:
        """The objects of the list under `key` (absent is none), named `key #1`, `key #2`…"""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of objects, found {type_name(value)}.")
        readers = []
        for position, entry in enumerate(value, 1):
            if not isinstance(entry, Mapping):
                raise self.error(
                    key, f"entry {position} is {type_name(entry)}; expected an object."
                )
            readers.append(self._child(entry, f"{key} #{position}"))
        return readers

    def _child(self, data: Mapping[str, object], label: str) -> Reader:
        return Reader(data, (*self.path, label), ignore_case=self.ignore_case)

    def unread(self) -> dict[str, object]:
        """The keys no getter has read yet, with their values; they count as read from now on."""
        rest = {key: self._data[key] for key in self._unread}
        self._unread.clear()
        return rest

    def done(self) -> None:
        """Refuses keys no getter has read: in a file a person writes, they are typing errors."""
        if self._unread:
            raise ReadError(self.path, f"unknown key(s): {', '.join(sorted(self._unread))}.")
