"""The value rules of the connector and accepted-domain cmdlets: what each parser accepts, the canonical form it returns, and the
message an admin sees for what it refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eac.values import (
    DomainPattern,
    InvalidValue,
    SmartHost,
    parse_connector_name,
    parse_count,
    parse_domain,
    parse_domain_pattern,
    parse_each,
    parse_sender_ip,
    parse_skip_ip,
    parse_smart_host,
    parse_tls_certificate_domain,
    parse_validation_recipient,
)

LABEL_63 = "a" * 63
LABEL_64 = "a" * 64
# Three 63-character labels, a fourth of 61 and three dots: exactly 253 characters.
DOMAIN_253 = f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 61}"
DOMAIN_254 = f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 62}"


def refusal(parse: Callable[..., Any], text: str, **kwargs: Any) -> str:
    with pytest.raises(InvalidValue) as caught:
        parse(text, **kwargs)
    return " ".join(caught.value.messages)


def test_the_boundary_domains_have_the_lengths_their_names_claim():
    assert len(DOMAIN_253) == 253
    assert len(DOMAIN_254) == 254


# --- domains ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("contoso.com", "contoso.com"),
        ("Contoso.COM", "contoso.com"),
        ("contoso.com.", "contoso.com"),
        ("  contoso.com\t", "contoso.com"),
        ("mail.sales.contoso.com", "mail.sales.contoso.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("straße.de", "xn--strae-oqa.de"),
        ("contoso。com", "contoso.com"),
        ("ab--cd.contoso.com", "ab--cd.contoso.com"),
        ("123.contoso.com", "123.contoso.com"),
        (f"{LABEL_63}.com", f"{LABEL_63}.com"),
        (DOMAIN_253, DOMAIN_253),
        (DOMAIN_253.upper() + ".", DOMAIN_253),
    ],
)
def test_it_accepts_a_domain_in_its_canonical_form(text, canonical):
    assert parse_domain(text) == canonical


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "Enter a domain name"),
        ("   ", "Enter a domain name"),
        ("a..b", "empty labels"),
        (".contoso.com", "empty labels"),
        ("contoso.com..", "empty labels"),
        (f"{LABEL_64}.com", "at most 63 characters"),
        (f"{'ü' * 60}.com", "at most 63 characters"),
        (DOMAIN_254, "at most 253 characters"),
        ("x" * 5000, "at most 253 characters"),
        ("mail_server.contoso.com", "Underscores aren't allowed"),
        ("contoso .com", "can't contain spaces"),
        ("*.contoso.com", "wildcard"),
        ("a.*.com", "wildcard"),
        ("bob@contoso.com", "not an email address"),
        ("contoso.com:25", "without a port"),
        ("contoso.com/path", "without a port, path or URL"),
        ("-contoso.com", "start or end with a hyphen"),
        ("contoso-.com", "start or end with a hyphen"),
        ("contoso", "at least one dot"),
        ("192.168.0.1", "not an IP address"),
        ("2001:db8::1", "not an IP address"),
        ("contoso.123", "can't be all digits"),
        ("xn--zz.com", "isn't a valid internationalized domain label"),
        ("contoso!.com", "can't contain the character “!”"),
        ("contoso.com\x00", "control characters"),
        ("\ud800.com", "control characters"),
    ],
)
def test_it_rejects_a_malformed_domain_with_a_specific_message(text, phrase):
    assert phrase in refusal(parse_domain, text)


def test_it_names_the_label_that_is_too_long():
    assert f"“{LABEL_64[:39]}…” has 64" in refusal(parse_domain, f"{LABEL_64}.com")


# --- domain patterns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("*", DomainPattern("any")),
        (" * ", DomainPattern("any")),
        ("*.contoso.com", DomainPattern("wildcard", "contoso.com")),
        ("*.Contoso.COM.", DomainPattern("wildcard", "contoso.com")),
        ("*.com", DomainPattern("wildcard", "com")),
        ("*.bücher.example", DomainPattern("wildcard", "xn--bcher-kva.example")),
        ("contoso.com", DomainPattern("exact", "contoso.com")),
        ("BÜCHER.example", DomainPattern("exact", "xn--bcher-kva.example")),
    ],
)
def test_it_accepts_a_domain_pattern(text, pattern):
    assert parse_domain_pattern(text) == pattern


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (DomainPattern("any"), "*"),
        (DomainPattern("wildcard", "contoso.com"), "*.contoso.com"),
        (DomainPattern("exact", "contoso.com"), "contoso.com"),
    ],
)
def test_a_domain_pattern_reads_as_admins_write_it(pattern, text):
    assert str(pattern) == text


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("a.*.com", "can only be the first label"),
        ("*.*.contoso.com", "can only be the first label"),
        ("contoso.*", "can only be the first label"),
        ("*contoso.com", "use *.contoso.com"),
        ("*Contoso.COM", "use *.contoso.com"),
        ("**", "single wildcard"),
        ("**.contoso.com", "single wildcard"),
        ("*.", "Add a domain after *."),
        ("", "Enter a domain name"),
        ("*.a..b", "empty labels"),
        ("*.mail_server.com", "Underscores aren't allowed"),
        ("* .contoso.com", "can't contain spaces"),
    ],
)
def test_it_rejects_a_malformed_domain_pattern(text, phrase):
    assert phrase in refusal(parse_domain_pattern, text)


@pytest.mark.parametrize(
    ("pattern", "domain", "expected"),
    [
        ("*", "contoso.com", True),
        ("*", "anything.example", True),
        ("*.contoso.com", "contoso.com", True),
        ("*.contoso.com", "sales.contoso.com", True),
        ("*.contoso.com", "a.b.contoso.com", True),
        ("*.contoso.com", "notcontoso.com", False),
        ("*.contoso.com", "contoso.com.evil", False),
        ("*.contoso.com", "fabrikam.com", False),
        ("*.com", "contoso.com", True),
        ("contoso.com", "contoso.com", True),
        ("contoso.com", "sales.contoso.com", False),
        ("sales.contoso.com", "contoso.com", False),
    ],
)
def test_a_domain_pattern_matches_the_domains_it_covers(pattern, domain, expected):
    assert parse_domain_pattern(pattern).matches(domain) is expected


# --- TLS certificate domains -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("contoso.com", "contoso.com"),
        ("Mail.Contoso.com.", "mail.contoso.com"),
        ("*.contoso.com", "*.contoso.com"),
        ("*.bücher.example", "*.xn--bcher-kva.example"),
    ],
)
def test_it_accepts_a_certificate_domain(text, canonical):
    assert parse_tls_certificate_domain(text) == canonical


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("*", "not * alone"),
        ("*.com", "two or more labels"),
        ("a.*.com", "can only be the first label"),
        ("*contoso.com", "use *.contoso.com"),
        ("192.168.0.1", "not an IP address"),
        ("contoso", "at least one dot"),
        ("", "Enter a domain name"),
        ("mail.contoso.com:443", "without a port"),
        ("CN=mail.contoso.com", "can't contain the character “=”"),
    ],
)
def test_it_rejects_anything_but_a_domain_or_wildcard_domain_as_a_certificate_name(text, phrase):
    assert phrase in refusal(parse_tls_certificate_domain, text)


# --- smart hosts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "smart_host"),
    [
        ("mail.contoso.com", SmartHost("fqdn", "mail.contoso.com")),
        ("Mail.Contoso.com.", SmartHost("fqdn", "mail.contoso.com")),
        ("smtp.bücher.example", SmartHost("fqdn", "smtp.xn--bcher-kva.example")),
        ("10.10.1.1", SmartHost("ipv4", "10.10.1.1")),
        (" 192.168.3.2 ", SmartHost("ipv4", "192.168.3.2")),
        ("2001:DB8:0:0::25", SmartHost("ipv6", "2001:db8::25")),
        ("[2001:db8::25]", SmartHost("ipv6", "2001:db8::25")),
        ("192.168.0.1/25", SmartHost("ipv4_network", "192.168.0.1/25")),
        ("10.3.1.5/24", SmartHost("ipv4_network", "10.3.1.5/24")),
        ("192.168.0.1/255.255.255.128", SmartHost("ipv4_network", "192.168.0.1/25")),
        ("10.3.1.5/32", SmartHost("ipv4", "10.3.1.5")),
    ],
)
def test_it_accepts_a_smart_host(text, smart_host):
    assert parse_smart_host(text) == smart_host


def test_a_smart_host_reads_as_its_value():
    assert str(SmartHost("ipv4_network", "192.168.0.1/25")) == "192.168.0.1/25"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "Enter a host name"),
        ("mail.contoso.com:25", "Don't include a port"),
        ("mail.contoso.com:", "Don't include a port"),
        ("[2001:db8::25]:25", "Don't include a port"),
        ("[::1]:25", "Don't include a port"),
        ("1.2.3.4:25", "Don't include a port"),
        ("smtp://mail.contoso.com", "not a URL"),
        ("https://mail.contoso.com/", "not a URL"),
        ("mail.contoso.com/smtp", "without a path"),
        ("admin@mail.contoso.com", "not an email address"),
        ("2001:db8::/64", "IPv6 ranges aren't supported"),
        ("192.168.0.1/33", "doesn't have a valid mask"),
        ("192.168.0.1/", "doesn't have a valid mask"),
        ("mail contoso.com", "can't contain spaces"),
        ("256.1.1.1", "isn't a valid IPv4 address"),
        ("010.1.1.1", "isn't a valid IPv4 address"),
        ("2001:db8:::1", "isn't a valid IPv6 address"),
        ("[2001:db8::25", "Close the IPv6 address"),
        ("[1.2.3.4]", "without brackets"),
        ("fe80::1%eth0", "Remove the zone"),
        ("mail_1.contoso.com", "Underscores aren't allowed"),
        ("*.contoso.com", "wildcard"),
        ("localhost", "at least one dot"),
    ],
)
def test_it_rejects_a_malformed_smart_host(text, phrase):
    assert phrase in refusal(parse_smart_host, text)


# --- sender IP addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("203.0.113.10", "203.0.113.10"),
        (" 203.0.113.10 ", "203.0.113.10"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("10.3.1.5/24", "10.3.1.5/24"),
        ("203.0.113.8/29", "203.0.113.8/29"),
        ("203.0.113.10/32", "203.0.113.10"),
        ("203.0.113.0/255.255.255.0", "203.0.113.0/24"),
    ],
)
def test_it_accepts_a_sender_ip_or_a_range_of_24_to_32(text, canonical):
    assert parse_sender_ip(text) == canonical


def test_it_rejects_a_mask_wider_than_24():
    assert "/24 to /32" in refusal(parse_sender_ip, "203.0.112.0/23")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("10.0.0.0/8", "/24 to /32"),
        ("203.0.113.0/255.255.254.0", "/24 to /32"),
        ("203.0.113.0/33", "/24 to /32"),
        ("2001:db8::1", "IPv6 isn't supported"),
        ("2001:db8::/64", "IPv6 isn't supported"),
        ("1.2.3.4-1.2.3.9", "Ranges with a dash aren't supported"),
        ("", "Enter an IPv4 address"),
        ("mail.contoso.com", "isn't a valid IPv4 address"),
        ("256.0.0.1", "isn't a valid IPv4 address"),
        ("1.2.3.4:25", "isn't a valid IPv4 address"),
    ],
)
def test_it_rejects_what_sender_ip_addresses_cannot_hold(text, phrase):
    assert phrase in refusal(parse_sender_ip, text)


def test_it_says_which_mask_is_too_wide():
    assert "/23 is too wide" in refusal(parse_sender_ip, "203.0.112.0/23")


# --- validation recipients -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("admin@contoso.com", "admin@contoso.com"),
        (" admin@contoso.com ", "admin@contoso.com"),
        ("Admin.Smith@Contoso.COM", "Admin.Smith@contoso.com"),
        ("bob@bücher.example", "bob@xn--bcher-kva.example"),
        ("bob+test@contoso.com", "bob+test@contoso.com"),
        ("o'brien@contoso.com", "o'brien@contoso.com"),
        ("admin@contoso.com.", "admin@contoso.com"),
    ],
)
def test_it_accepts_one_mailbox_address_with_a_canonical_domain(text, canonical):
    assert parse_validation_recipient(text) == canonical


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Bob <bob@contoso.com>", "without a display name"),
        ("<bob@contoso.com>", "without a display name"),
        ("a@contoso.com, b@contoso.com", "one email address per entry"),
        ("a@contoso.com;b@contoso.com", "one email address per entry"),
        ("a@contoso.com b@contoso.com", "can't contain spaces"),
        ("", "Enter an email address"),
        ("bob", "needs an @"),
        ("@contoso.com", "before the @"),
        ("bob@", "after the @"),
        ("a@b@contoso.com", "only one @"),
        ("a..b@contoso.com", "isn't a valid mailbox name"),
        (".bob@contoso.com", "isn't a valid mailbox name"),
        ("(comment)bob@contoso.com", "isn't a valid mailbox name"),
        ('"bob"@contoso.com', "isn't a valid mailbox name"),
        ("x" * 65 + "@contoso.com", "at most 64 characters"),
        ("bob@[192.168.0.1]", "not an IP address"),
        ("bob@contoso", "at least one dot"),
        ("bob@mail_server.contoso.com", "Underscores aren't allowed"),
    ],
)
def test_it_rejects_anything_but_one_plain_mailbox_address(text, phrase):
    assert phrase in refusal(parse_validation_recipient, text)


def test_it_accepts_a_recipient_in_a_domain_the_connector_routes():
    routes = parse_domain_pattern("*.contoso.com").matches
    assert parse_validation_recipient("bob@Sales.Contoso.com", routes=routes) == (
        "bob@sales.contoso.com"
    )


def test_it_rejects_a_recipient_in_a_domain_the_connector_does_not_route():
    routes = parse_domain_pattern("*.contoso.com").matches
    message = refusal(parse_validation_recipient, "bob@Fabrikam.com", routes=routes)
    assert "doesn't route mail to fabrikam.com" in message


def test_it_asks_the_routes_predicate_about_the_canonical_domain():
    asked: list[str] = []

    def routes(domain: str) -> bool:
        asked.append(domain)
        return True

    parse_validation_recipient("bob@BÜCHER.example.", routes=routes)
    assert asked == ["xn--bcher-kva.example"]


# --- connector names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("To on-premises", "To on-premises"),
        ("  Contoso relay  ", "Contoso relay"),
        ("x" * 64, "x" * 64),
        ("Relais für Bücher", "Relais für Bücher"),
    ],
)
def test_it_accepts_a_connector_name_without_surrounding_space(text, canonical):
    assert parse_connector_name(text) == canonical


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "Enter a name."),
        ("   ", "Enter a name."),
        ("x" * 65, "at most 64 characters"),
        ("bad\x00name", "control characters"),
        ("two\nlines", "line breaks"),
    ],
)
def test_it_rejects_a_connector_name_that_is_missing_too_long_or_unprintable(text, phrase):
    assert phrase in refusal(parse_connector_name, text)


# --- lists -----------------------------------------------------------------------------------


def test_it_keeps_the_first_of_entries_that_mean_the_same_value():
    entries = ["contoso.com", "fabrikam.com", "Contoso.COM.", "fabrikam.com"]
    assert parse_each(parse_domain, entries) == ["contoso.com", "fabrikam.com"]


def test_it_drops_duplicate_patterns_after_canonicalisation():
    patterns = parse_each(parse_domain_pattern, ["*.Contoso.com", "*.contoso.com.", "*"])
    assert patterns == [DomainPattern("wildcard", "contoso.com"), DomainPattern("any")]


def test_it_parses_an_empty_list_to_an_empty_list():
    assert parse_each(parse_domain, []) == []


def test_it_reports_every_bad_entry_by_name():
    with pytest.raises(InvalidValue) as caught:
        parse_each(parse_domain, ["a..b", "contoso.com", "mail_server.com", " "])
    assert caught.value.messages == [
        "a..b: Domain names can't contain empty labels (two dots together, or a dot at the start).",
        "mail_server.com: Underscores aren't allowed in domain names.",
        "(empty entry): Enter a domain name, such as contoso.com.",
    ]


def test_it_keeps_the_code_of_each_failure():
    with pytest.raises(InvalidValue) as caught:
        parse_each(parse_sender_ip, ["10.0.0.0/8", "2001:db8::1"])
    assert [problem.code for problem in caught.value.problems] == ["mask_too_wide", "ipv6"]


def test_it_shows_unprintable_characters_of_a_bad_entry_as_code_points():
    with pytest.raises(InvalidValue) as caught:
        parse_each(parse_domain, ["bad\x00.com"])
    assert caught.value.messages[0].startswith("badU+0000.com: ")


# --- no input makes a parser fail any other way ----------------------------------------------

PARSERS: list[Callable[[str], object]] = [
    parse_domain,
    parse_domain_pattern,
    parse_tls_certificate_domain,
    parse_smart_host,
    parse_sender_ip,
    parse_skip_ip,
    parse_validation_recipient,
    parse_connector_name,
]

DOMAINISH = st.text(alphabet="abc.-*_@:/[]0123456789 ÜЖ\x00")
FRAGMENTS = st.lists(
    st.sampled_from(
        [
            "xn--",
            "a",
            "ü",
            "ß",
            "Ж",
            "٣",
            "\u200d",
            ".",
            "-",
            "*",
            "*.",
            "@",
            ":",
            "::",
            "/",
            "24",
            "[",
            "]",
            "%",
            "1.2.3.4",
            "2001:db8::",
            "contoso.com",
            "<",
            ">",
            ",",
            '"',
            "(",
            ")",
        ]
    ),
    max_size=12,
).map("".join)

# Text that often is a valid value, so the round-trip property below has values to check.
PLAUSIBLE = st.one_of(
    st.from_regex(r"\A(\*\.)?([a-zA-Z0-9ÜüßЖ-]{1,12}\.){1,3}[a-zA-Zü]{2,6}\.?\Z"),
    st.ip_addresses().map(str),
    st.ip_addresses(v=4)
    .map(str)
    .flatmap(lambda address: st.integers(0, 32).map(lambda prefix: f"{address}/{prefix}")),
    st.emails(),
)


def outcome(parse: Callable[[str], object], text: str) -> object | None:
    """The parsed value, or None once the parser refused the text with a message that can be
    shown on a page (encodable as UTF-8)."""
    try:
        return parse(text)
    except InvalidValue as error:
        for message in error.messages:
            message.encode("utf-8")
        return None


def parser_id(parse: Callable[[str], object]) -> str:
    return getattr(parse, "__name__", "parser")


@pytest.mark.parametrize("parse", PARSERS, ids=parser_id)
@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_it_refuses_any_text_only_with_a_validation_error(parse, text):
    outcome(parse, text)


@pytest.mark.parametrize("parse", PARSERS, ids=parser_id)
@settings(max_examples=300, deadline=None)
@given(text=DOMAINISH | FRAGMENTS)
def test_it_refuses_domain_like_text_only_with_a_validation_error(parse, text):
    outcome(parse, text)


@pytest.mark.parametrize("parse", PARSERS, ids=parser_id)
@settings(max_examples=300, deadline=None)
@given(text=PLAUSIBLE | DOMAINISH | FRAGMENTS)
def test_a_canonical_value_parses_to_itself(parse, text):
    value = outcome(parse, text)
    if value is not None:
        assert parse(str(value)) == value


@settings(max_examples=300, deadline=None)
@given(items=st.lists(DOMAINISH | FRAGMENTS | st.text(), max_size=5))
def test_a_list_is_refused_only_with_a_validation_error(items):
    outcome(lambda _: parse_each(parse_domain_pattern, items), "")


@pytest.mark.parametrize(
    ("text", "below", "number"),
    [
        ("3", 5, 3),
        ("0", 1, 0),
        ("5", 5, None),
        ("", 5, None),
        ("-1", 5, None),
        ("²", 5, None),
        ("٣", 5, None),
        ("1" * 40, 10**12, None),
        (" 3", 5, None),
    ],
)
def test_a_row_number_from_a_url_or_button_is_ascii_digits_below_the_bound(
    text: str, below: int, number: int | None
) -> None:
    """ "²" and "٣" are digits to str.isdigit: a row number made of them was a 500 in the
    Classic list's dialogs."""
    assert parse_count(text, below=below) == number


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("192.168.1.1", "192.168.1.1"),
        (" 192.168.3.1/24 ", "192.168.3.0/24"),
        ("192.168.0.1-192.168.0.254", "192.168.0.1-192.168.0.254"),
        ("2001:db8::1 - 2001:db8::ff", "2001:db8::1-2001:db8::ff"),
        ("2001:DB8::/32", "2001:db8::/32"),
    ],
)
def test_enhanced_filtering_skip_addresses_take_each_documented_form(text: str, kept: str) -> None:
    assert parse_skip_ip(text) == kept


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        ("10.0.0.9-10.0.0.1", "reversed_range"),
        ("10.0.0.1-::1", "mixed_range"),
        ("10.0.0.1-", "invalid_range"),
        ("mail.contoso.com", "invalid_ip"),
        ("10.0.0.0/33", "invalid_ip"),
    ],
)
def test_enhanced_filtering_skip_addresses_refuse_what_isnt_one(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_skip_ip(text)
    assert caught.value.problems[0].code == code
