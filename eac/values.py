"""Parsers for the values an admin types into connector settings, with the rules of the
New-/Set-*Connector and *-AcceptedDomain cmdlets (https://learn.microsoft.com/en-us/powershell/module/exchange/new-outboundconnector).

Each parser takes the text as typed and returns its canonical form, or raises `InvalidValue`,
whose messages are shown next to the form field. Forms, models, commands and imports all call
these, so a value is stored the same way whichever door it came in by. Plain Python: the
selection engine and the explorer use these too, and they import no Django
(`eac.formfields.django_errors` turns a refusal into Django's ValidationError).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Literal, NoReturn, TypeVar

import idna

T = TypeVar("T", bound=Hashable)

MAX_LABEL_LENGTH = 63
MAX_DOMAIN_LENGTH = 253
MAX_LOCAL_PART_LENGTH = 64
MAX_CONNECTOR_NAME_LENGTH = 64
NARROWEST_SENDER_PREFIX = 24

# UTS #46 mapping may drop ignorable characters, so typed text can be longer than the domain it
# becomes; past this length it cannot be a domain and idna refuses to map it anyway.
_MAX_DOMAIN_INPUT = 1024

# Characters that can't be shown back to the admin or stored as text: control characters, lone
# surrogates (not encodable as UTF-8) and line/paragraph separators.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})

_ADDRESS_LIST_SEPARATORS = (",", ";")


@dataclass(frozen=True)
class Problem:
    message: str
    code: str  # names the rule, for tests and callers; the message is for people


class InvalidValue(ValueError):
    """A value Exchange would refuse, with one problem per refused entry."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self.problems]


def _fail(message: str, code: str) -> NoReturn:
    raise InvalidValue([Problem(message, code)])


def _shown(text: str, limit: int = 40) -> str:
    """The admin's text as it can safely appear in a message: short, and with every
    unprintable character (including lone surrogates, which would break the response) spelled
    as its code point."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(char if char.isprintable() else _code_point(char) for char in text)


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def _describe_character(char: str) -> str:
    if char.isprintable():
        return f"“{char}” ({_code_point(char)})"
    return _code_point(char)


def _first_unprintable(text: str) -> str | None:
    return next((c for c in text if unicodedata.category(c) in _UNPRINTABLE_CATEGORIES), None)


def _reject_unprintable(text: str, subject: str) -> None:
    char = _first_unprintable(text)
    if char is not None:
        _fail(
            f"{subject} can't contain control characters, line breaks or broken characters "
            f"(found {_code_point(char)}).",
            "control_character",
        )


def _reject_spaces(text: str, subject: str) -> None:
    if any(char.isspace() for char in text):
        _fail(f"{subject} can't contain spaces.", "space")


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# --- domains ---------------------------------------------------------------------------------


def parse_domain(text: str) -> str:
    """A fully qualified domain name in lower-case A-label form, without a trailing dot."""
    return _canonical_domain(text.strip(), min_labels=2)


def _canonical_domain(text: str, *, min_labels: int) -> str:
    _reject_malformed_domain_text(text)
    mapped = _uts46_map(text)
    # One trailing dot marks an absolute name; it means the same domain.
    labels = mapped.removesuffix(".").split(".")
    if "" in labels:
        _fail(
            "Domain names can't contain empty labels (two dots together, or a dot at the start).",
            "empty_label",
        )
    domain = ".".join(_a_label(label) for label in labels)
    if len(domain) > MAX_DOMAIN_LENGTH:
        _fail(
            f"Domain names can be at most {MAX_DOMAIN_LENGTH} characters; "
            f"this one has {len(domain)}.",
            "domain_too_long",
        )
    _require_label_count(domain, labels, min_labels)
    return domain


def _reject_malformed_domain_text(text: str) -> None:
    if not text:
        _fail("Enter a domain name, such as contoso.com.", "required")
    if _is_ip_address(text):
        _fail("Enter a domain name, not an IP address.", "ip_address")
    _reject_spaces(text, "Domain names")
    _reject_unprintable(text, "Domain names")
    if "*" in text:
        _fail(
            "A wildcard (*) isn't allowed here; enter a domain name such as contoso.com.",
            "wildcard",
        )
    if "@" in text:
        _fail("Enter a domain name, not an email address.", "email_address")
    if "/" in text or ":" in text:
        _fail("Enter just the domain name, without a port, path or URL.", "not_a_domain")
    if "_" in text:
        _fail("Underscores aren't allowed in domain names.", "underscore")
    if len(text) > _MAX_DOMAIN_INPUT:
        _fail(f"Domain names can be at most {MAX_DOMAIN_LENGTH} characters.", "domain_too_long")


def _uts46_map(text: str) -> str:
    """Case-fold and normalise as browsers and mail clients do before IDNA encoding."""
    try:
        return idna.uts46_remap(text, std3_rules=True, transitional=False)
    except idna.IDNAError as error:
        _fail(_disallowed_character_message(text, error), "invalid_character")


def _disallowed_character_message(text: str, error: idna.IDNAError) -> str:
    codepoint = getattr(error, "codepoint", None)
    if isinstance(codepoint, int):
        return f"Domain names can't contain the character {_describe_character(chr(codepoint))}."
    return f"“{_shown(text)}” contains characters that aren't allowed in domain names."


def _a_label(label: str) -> str:
    if len(label) > MAX_LABEL_LENGTH:
        # A U-label's A-label is never shorter than the U-label, so this is already too long.
        _label_too_long(label)
    if label.startswith("-") or label.endswith("-"):
        _fail(f"Labels can't start or end with a hyphen (“{_shown(label)}”).", "hyphen")
    if label.isascii():
        if label.startswith("xn--"):
            _check_idna(label, idna.ulabel)
        return label
    _check_idna(label, idna.check_label)
    encoded = "xn--" + label.encode("punycode").decode("ascii")
    if len(encoded) > MAX_LABEL_LENGTH:
        _label_too_long(label)
    return encoded


def _label_too_long(label: str) -> NoReturn:
    size = f"has {len(label)}" if label.isascii() else "is longer once encoded for DNS"
    _fail(
        f"Labels can be at most {MAX_LABEL_LENGTH} characters; “{_shown(label)}” {size}.",
        "label_too_long",
    )


def _check_idna(label: str, check: Callable[[str], object]) -> None:
    try:
        check(label)
    except idna.IDNABidiError:
        _fail(
            f"“{_shown(label)}” mixes right-to-left and left-to-right text in a way "
            "domain names don't allow.",
            "invalid_idn",
        )
    # IDNAError is a ValueError, and idna raises plain ValueError for characters Unicode
    # doesn't know.
    except ValueError:
        _fail(f"“{_shown(label)}” isn't a valid internationalized domain label.", "invalid_idn")


def _require_label_count(domain: str, labels: list[str], min_labels: int) -> None:
    if len(labels) < min_labels:
        _fail("Enter a full domain name with at least one dot, such as contoso.com.", "incomplete")
    last = labels[-1]
    if last.isascii() and last.isdigit():
        if _is_ip_address(domain):
            _fail("Enter a domain name, not an IP address.", "ip_address")
        _fail("The last label of a domain name can't be all digits.", "numeric_tld")


# --- domain patterns (recipient and sender domains) ------------------------------------------


@dataclass(frozen=True)
class DomainPattern:
    """`*` (every domain), `*.contoso.com` (contoso.com and its subdomains) or `contoso.com`."""

    kind: Literal["any", "wildcard", "exact"]
    domain: str = ""

    def __str__(self) -> str:
        if self.kind == "any":
            return "*"
        if self.kind == "wildcard":
            return f"*.{self.domain}"
        return self.domain

    def matches(self, domain: str) -> bool:
        """Whether the canonical `domain` is covered. `*.contoso.com` covers contoso.com itself
        too, as New-OutboundConnector's first example documents."""
        if self.kind == "any":
            return True
        if self.kind == "wildcard":
            return domain == self.domain or domain.endswith("." + self.domain)
        return domain == self.domain


def parse_domain_pattern(text: str) -> DomainPattern:
    pattern = text.strip()
    if pattern == "*":
        return DomainPattern("any")
    # `*.com` is a valid pattern (the EAC's own placeholder shows it), unlike a certificate name.
    return _parse_wildcard_or_domain(pattern, allow_top_level_wildcard=True)


def parse_tls_certificate_domain(text: str) -> str:
    name = text.strip()
    if name == "*":
        _fail(
            "A certificate name needs a domain: enter contoso.com or *.contoso.com, not * alone.",
            "wildcard_alone",
        )
    return str(_parse_wildcard_or_domain(name, allow_top_level_wildcard=False))


def _parse_wildcard_or_domain(text: str, *, allow_top_level_wildcard: bool) -> DomainPattern:
    _reject_spaces(text, "Domain names")
    if text.startswith("*."):
        return _parse_wildcard(text.removeprefix("*."), allow_top_level=allow_top_level_wildcard)
    if text.startswith("**"):
        _fail("Use a single wildcard, as in * or *.contoso.com.", "double_wildcard")
    if text.startswith("*"):
        _fail_missing_wildcard_dot(text.removeprefix("*"))
    if "*" in text:
        _fail_embedded_wildcard()
    return DomainPattern("exact", parse_domain(text))


def _parse_wildcard(base: str, *, allow_top_level: bool) -> DomainPattern:
    if not base:
        _fail("Add a domain after *., as in *.contoso.com.", "wildcard_without_domain")
    if "*" in base:
        _fail_embedded_wildcard()
    domain = _canonical_domain(base, min_labels=1)
    if "." not in domain and not allow_top_level:
        _fail("A wildcard needs a domain of two or more labels, as in *.contoso.com.", "incomplete")
    return DomainPattern("wildcard", domain)


def _fail_embedded_wildcard() -> NoReturn:
    _fail(
        "A wildcard can only be the first label, followed by a dot, as in *.contoso.com.",
        "embedded_wildcard",
    )


def _fail_missing_wildcard_dot(rest: str) -> NoReturn:
    try:
        suggestion = f"*.{_canonical_domain(rest, min_labels=1)}"
    except InvalidValue:
        suggestion = "*.contoso.com"
    _fail(f"Put a dot after the wildcard: use {suggestion}.", "wildcard_without_dot")


# --- smart hosts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmartHost:
    kind: Literal["fqdn", "ipv4", "ipv6", "ipv4_network"]
    value: str

    def __str__(self) -> str:
        return self.value


def parse_smart_host(text: str) -> SmartHost:
    """A host name, IPv4 address, IPv6 literal or IPv4 CIDR range, as New-OutboundConnector's
    SmartHosts accepts."""
    host = text.strip()
    if not host:
        _fail("Enter a host name such as mail.contoso.com, or an IP address.", "required")
    _reject_spaces(host, "Smart hosts")
    _reject_unprintable(host, "Smart hosts")
    if "://" in host:
        _fail("Enter a host name or IP address, not a URL.", "url")
    if "@" in host:
        _fail("Enter a host name, not an email address.", "email_address")
    if host.startswith("["):
        return _parse_bracketed_ipv6(host)
    if "/" in host:
        return _parse_smart_host_range(host)
    if ":" in host:
        return _parse_ipv6_smart_host(host)
    if _is_dotted_number(host):
        return _ipv4_smart_host(_parse_ipv4_address(host))
    return SmartHost("fqdn", parse_domain(host))


def _fail_port() -> NoReturn:
    _fail("Don't include a port; connectors always deliver on port 25.", "port")


def _is_dotted_number(text: str) -> bool:
    return all(char in "0123456789." for char in text)


def _parse_bracketed_ipv6(host: str) -> SmartHost:
    inside, closed, after = host.removeprefix("[").partition("]")
    if not closed:
        _fail("Close the IPv6 address with ], as in [2001:db8::25].", "invalid_ipv6")
    if after.startswith(":"):
        _fail_port()
    if after:
        _fail("Nothing may follow the closing ] of an IPv6 address.", "invalid_ipv6")
    if _is_ip_address(inside) and ipaddress.ip_address(inside).version == 4:
        _fail("Write IPv4 addresses without brackets.", "bracketed_ipv4")
    return _parse_ipv6_smart_host(inside)


def _parse_ipv6_smart_host(text: str) -> SmartHost:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        if text.count(":") == 1:
            _fail_port()
        _fail(f"“{_shown(text)}” isn't a valid IPv6 address.", "invalid_ipv6")
    if address.scope_id is not None:
        _fail("Remove the zone (the part after %) from the IPv6 address.", "ipv6_zone")
    return SmartHost("ipv6", address.compressed)


def _parse_smart_host_range(host: str) -> SmartHost:
    address, _, _ = host.partition("/")
    if _is_ipv6_text(address):
        _fail("IPv6 ranges aren't supported; enter a single IPv6 address.", "ipv6_range")
    if not address or not _is_dotted_number(address):
        _fail("Enter just a host name or IP address, without a path or URL.", "url")
    _parse_ipv4_address(address)
    try:
        interface = ipaddress.IPv4Interface(host)
    except ValueError:
        _fail(
            f"“{_shown(host)}” doesn't have a valid mask; use /0 to /32, as in 192.168.0.1/25.",
            "invalid_mask",
        )
    if interface.network.prefixlen == 32:
        return _ipv4_smart_host(interface.ip)
    return SmartHost("ipv4_network", interface.with_prefixlen)


def _ipv4_smart_host(address: ipaddress.IPv4Address) -> SmartHost:
    return SmartHost("ipv4", str(address))


def _is_ipv6_text(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _parse_ipv4_address(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        _fail(f"“{_shown(text)}” isn't a valid IPv4 address.", "invalid_ipv4")


# --- sender IP addresses ---------------------------------------------------------------------


def parse_sender_ip(text: str) -> str:
    """An IPv4 address (`203.0.113.10`) or CIDR range (`10.3.1.5/24`) with a mask from /24 to
    /32, the only forms SenderIPAddresses accepts. A /32 range is stored as the single address
    it is."""
    value = text.strip()
    if not value:
        _fail(
            "Enter an IPv4 address such as 203.0.113.10 or a range such as 203.0.113.0/24.",
            "required",
        )
    if "-" in value:
        _fail(
            "Ranges with a dash aren't supported; enter a CIDR range such as 203.0.113.0/24.",
            "dash_range",
        )
    if _is_ipv6_sender(value):
        _fail("IPv6 isn't supported for sender IP addresses; enter an IPv4 address.", "ipv6")
    address, slash, _ = value.partition("/")
    single = _parse_ipv4_address(address)
    if not slash:
        return str(single)
    return _sender_range(value)


def _is_ipv6_sender(text: str) -> bool:
    try:
        ipaddress.IPv6Interface(text)
    except ValueError:
        return False
    return True


def _sender_range(text: str) -> str:
    try:
        interface = ipaddress.IPv4Interface(text)
    except ValueError:
        _fail(f"“{_shown(text)}” doesn't have a valid mask; use /24 to /32.", "invalid_mask")
    prefix = interface.network.prefixlen
    if prefix < NARROWEST_SENDER_PREFIX:
        _fail(f"Masks from /24 to /32 are supported; /{prefix} is too wide.", "mask_too_wide")
    if prefix == 32:
        return str(interface.ip)
    return interface.with_prefixlen


# --- Enhanced Filtering skip addresses -------------------------------------------------------


def parse_skip_ip(text: str) -> str:
    """One entry of an inbound connector's EFSkipIPs: an IP address, a CIDR range
    (`192.168.3.1/24`) or a range with a dash (`192.168.0.1-192.168.0.254`), IPv4 or IPv6
    (https://learn.microsoft.com/en-us/powershell/module/exchange/new-inboundconnector). Kept
    canonical: `192.168.3.0/24`, `10.0.0.1-10.0.0.9`."""
    value = text.strip()
    if not value:
        _fail("Enter an IP address, a CIDR range or a range such as 10.0.0.1-10.0.0.9.", "required")
    if "-" in value:
        return _skip_range(value)
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError:
        _fail(f"“{_shown(value)}” isn't an IP address or a CIDR range.", "invalid_ip")


def _skip_range(value: str) -> str:
    first_text, _, last_text = value.partition("-")
    try:
        first = ipaddress.ip_address(first_text.strip())
        last = ipaddress.ip_address(last_text.strip())
    except ValueError:
        _fail(f"“{_shown(value)}” isn't a range such as 10.0.0.1-10.0.0.9.", "invalid_range")
    if first.version != last.version:
        _fail("Both ends of a range must be IPv4, or both IPv6.", "mixed_range")
    if int(first) > int(last):  # same version, checked above
        _fail(f"The range {first}-{last} ends before it starts.", "reversed_range")
    return f"{first}-{last}"


# --- validation recipients -------------------------------------------------------------------


def parse_validation_recipient(text: str, *, routes: Callable[[str], bool] | None = None) -> str:
    """One mailbox address, `local@domain`, with the domain canonical and the local part as
    typed. With `routes`, the connector must deliver to the address's domain, or the test
    message could never travel through it."""
    address = text.strip()
    _reject_malformed_address_text(address)
    local, _, domain_text = address.rpartition("@")
    _check_local_part(local)
    if domain_text.startswith("["):
        _fail("Use a domain name after the @, not an IP address.", "domain_literal")
    domain = parse_domain(domain_text)
    if routes is not None and not routes(domain):
        _fail(
            f"This connector doesn't route mail to {domain}; "
            "enter an address in one of the connector's domains.",
            "not_routed",
        )
    return f"{local}@{domain}"


def parse_email_address(text: str) -> str:
    """An email address, as EFUsers lists them: the same rules as a validation recipient."""
    return parse_validation_recipient(text)


def _reject_malformed_address_text(address: str) -> None:
    if not address:
        _fail("Enter an email address, such as admin@contoso.com.", "required")
    if any(separator in address for separator in _ADDRESS_LIST_SEPARATORS):
        _fail("Enter one email address per entry.", "address_list")
    if "<" in address or ">" in address:
        _fail(
            "Enter just the email address (bob@contoso.com), without a display name or < >.",
            "display_name",
        )
    _reject_spaces(address, "Email addresses")
    _reject_unprintable(address, "Email addresses")
    if "@" not in address:
        _fail("An email address needs an @, as in admin@contoso.com.", "missing_at")
    if address.count("@") > 1:
        _fail("An email address has only one @.", "several_at")
    if address.startswith("@"):
        _fail("Enter the mailbox name before the @.", "missing_local_part")
    if address.endswith("@"):
        _fail("Enter the domain after the @.", "missing_domain")


def _check_local_part(local: str) -> None:
    if len(local) > MAX_LOCAL_PART_LENGTH:
        _fail(
            f"The part before the @ can be at most {MAX_LOCAL_PART_LENGTH} characters.",
            "local_part_too_long",
        )
    # The stdlib parser knows RFC 5322's dot-atom; a placeholder domain keeps its domain
    # checks out of the way (the real domain gets our own, clearer messages).
    try:
        parsed = Address(addr_spec=f"{local}@example.com")
    except (ValueError, HeaderParseError, IndexError):
        parsed = None
    # Quoted strings and comments parse, but change the text; Exchange addresses don't use them.
    if parsed is None or parsed.username != local:
        _fail(
            f"“{_shown(local)}” isn't a valid mailbox name: use unaccented letters, digits and "
            "! # $ % & ' * + - / = ? ^ _ ` { | } ~, with single dots between them.",
            "invalid_local_part",
        )


# --- connector names -------------------------------------------------------------------------


def parse_connector_name(text: str) -> str:
    name = text.strip()
    if not name:
        _fail("Enter a name.", "required")
    if len(name) > MAX_CONNECTOR_NAME_LENGTH:
        _fail(
            f"Names can be at most {MAX_CONNECTOR_NAME_LENGTH} characters; "
            f"this one has {len(name)}.",
            "too_long",
        )
    _reject_unprintable(name, "Names")
    return name


# --- lists -----------------------------------------------------------------------------------


def parse_each(parser: Callable[[str], T], items: Iterable[str]) -> list[T]:
    """Parse every item, keeping the first of any that mean the same value. All failures are
    reported together, each prefixed with the item it is about."""
    values: list[T] = []
    seen: set[T] = set()
    errors: list[Problem] = []
    for item in items:
        try:
            value = parser(item)
        except InvalidValue as error:
            errors.extend(_about_item(item, error))
            continue
        if value not in seen:
            seen.add(value)
            values.append(value)
    if errors:
        raise InvalidValue(errors)
    return values


def _about_item(item: str, error: InvalidValue) -> list[Problem]:
    label = _shown(item.strip()) or "(empty entry)"
    return [Problem(f"{label}: {p.message}", p.code) for p in error.problems]


def parse_count(text: str, *, below: int) -> int | None:
    """A row number or count sent in a URL or by a button: ASCII digits only ("²" is a digit to
    str.isdigit but not to int), and less than `below`; None for anything else, which the page
    answers as if nothing had been sent."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(below)):
        return None
    number = int(text)
    return number if number < below else None
