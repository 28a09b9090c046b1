"""eac/reader.py: typed reading of parsed JSON or TOML, each refusal naming where it is."""

from __future__ import annotations

from datetime import date

import pytest

from eac.reader import Reader, ReadError, shown, type_name


def refusal(read: object) -> str:
    assert callable(read)
    with pytest.raises(ReadError) as caught:
        read()
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "a number"),
        (1.5, "a number"),
        ("", "a string"),
        ([], "a list"),
        ({}, "an object"),
        (date(2026, 1, 1), "a date or time"),
    ],
)
def test_type_names(value: object, name: str) -> None:
    assert type_name(value) == name


def test_shown_text_is_short_and_printable() -> None:
    assert shown("a\nb\ud800") == "aU+000AbU+D800"
    assert shown("x" * 50, limit=10) == "x" * 9 + "…"


def test_an_error_names_the_path_then_the_problem() -> None:
    reader = Reader({"inner": {"flag": "yes"}}, ("file.toml",))
    inner = reader.table("inner")
    with pytest.raises(ReadError) as caught:
        inner.flag("flag", False)
    assert caught.value.path == ("file.toml", "inner", "flag")
    assert caught.value.message == "expected true or false, found a string."
    assert str(caught.value) == "file.toml: inner: flag: expected true or false, found a string."


def test_absent_keys_take_the_default_and_null_is_absent_only_for_text() -> None:
    reader = Reader({"text": None, "flag": None})
    assert reader.text("text") == ""
    assert reader.text("missing", "x") == "x"
    assert reader.flag("missing", True) is True
    assert reader.number("missing", 7) == 7
    assert reader.texts("missing", max_entries=3) == []
    assert (
        refusal(lambda: reader.flag("flag", False)) == "flag: expected true or false, found null."
    )
    assert (
        refusal(lambda: reader.text("missing", None)) == "missing: expected a string, found null."
    )


def test_numbers_are_whole_and_not_booleans() -> None:
    reader = Reader({"n": 3, "b": True, "f": 1.5})
    assert reader.number("n", 0) == 3
    assert refusal(lambda: reader.number("b", 0)) == "b: expected a whole number, found true."
    assert refusal(lambda: reader.number("f", 0)) == "f: expected a whole number, found a number."


def test_lists_of_text_check_their_length_then_each_entry() -> None:
    reader = Reader({"ok": ["a", "b"], "long": ["a"] * 4, "mixed": ["a", 2], "one": "a"})
    assert reader.texts("ok", max_entries=3) == ["a", "b"]
    assert refusal(lambda: reader.texts("long", max_entries=3)) == (
        "long: at most 3 entries; found 4."
    )
    assert refusal(lambda: reader.texts("mixed", max_entries=3)) == (
        "mixed: entry 2 is a number; expected a list of strings."
    )
    assert refusal(lambda: reader.texts("one", max_entries=3)) == (
        "one: expected a list of strings, found a string."
    )


def test_choices_match_names_and_numbers_and_say_what_is_valid() -> None:
    choices: dict[str | int, str] = {"On": "on", "Off": "off", 1: "on"}
    reader = Reader(
        {"a": "on", "b": 1, "c": "1", "d": True, "e": "Gone", "f": None, "g": "Maybe\n"},
        ignore_case=True,
    )
    assert reader.choice("a", choices, "off") == "on"
    assert reader.choice("b", choices, "off") == "on"
    assert reader.choice("missing", choices, "off") == "off"
    assert reader.choice("f", choices, "off", nullable=True) is None
    assert refusal(lambda: reader.choice("c", choices, "off")) == "c: “1” isn't one of On, Off."
    assert refusal(lambda: reader.choice("d", choices, "off")) == (
        "d: expected one of On, Off; found true."
    )
    assert refusal(lambda: reader.choice("f", choices, "off")) == (
        "f: expected one of On, Off; found null."
    )
    assert refusal(
        lambda: reader.choice("e", choices, "off", refused={"gone": "Not any more."})
    ) == ("e: Not any more.")
    assert refusal(lambda: reader.choice("g", choices, "off")) == (
        "g: “MaybeU+000A” isn't one of On, Off."
    )


def test_case_matters_unless_told_otherwise() -> None:
    assert Reader({"Name": "x"}).has("name") is False
    assert Reader({"Name": "x"}, ignore_case=True).text("NAME") == "x"
    choices: dict[str | int, str] = {"On": "on"}
    assert refusal(lambda: Reader({"k": "on"}).choice("k", choices, "on")) == (
        "k: “on” isn't one of On."
    )


def test_tables_are_read_in_turn_and_named_by_position() -> None:
    reader = Reader({"items": [{"a": 1}, {"a": "x"}], "bad": [{}, 3], "one": {"a": 1}}, ("f",))
    first, second = reader.tables("items")
    assert first.number("a", 0) == 1
    assert refusal(lambda: second.number("a", 0)) == (
        "f: items #2: a: expected a whole number, found a string."
    )
    assert reader.tables("missing") == []
    assert (
        refusal(lambda: reader.tables("bad")) == "f: bad: entry 2 is a number; expected an object."
    )
    assert (
        refusal(lambda: reader.tables("one"))
        == "f: one: expected a list of objects, found an object."
    )
    assert refusal(lambda: reader.table("items")) == "f: items: expected an object, found a list."


def test_unread_keys_are_handed_over_or_refused() -> None:
    reader = Reader({"kind": "x", "limit": 3, "extra": True}, ("check",))
    reader.text("kind")
    assert reader.unread() == {"limit": 3, "extra": True}
    reader.done()

    strict = Reader({"name": "x", "colour": "red", "size": 1}, ("file.toml",))
    strict.text("name")
    assert refusal(strict.done) == "file.toml: unknown key(s): colour, size."
