"""Strict readers for settings that come from the environment.

Each reader names the variable in its error, so a bad value stops start-up with a message the
operator can act on instead of surfacing later as a confusing failure.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
BROKER_SCHEMES = frozenset({"filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp"})

Nameserver = tuple[str, int]


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return None if value is None else value.strip()


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}; got {number}.")
    return number


def env_seconds(
    name: str,
    default: float,
    *,
    maximum: float,
    environ: Mapping[str, str] | None = None,
) -> float:
    value = _raw(name, environ)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds; got {value!r}.") from None
    if not 0 < seconds <= maximum:  # also rejects NaN, which compares false both ways
        raise ImproperlyConfigured(f"{name} must be more than 0 and at most {maximum:g} seconds.")
    return seconds


def env_list(name: str, default: str, environ: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    text = default if value is None else value
    return [item.strip() for item in text.split(",") if item.strip()]


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of NAME, or the contents of the file named by NAME_FILE (for container secrets)."""
    value = _raw(name, environ)
    if value:
        return value
    path = _raw(f"{name}_FILE", environ)
    if not path:
        return None
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}_FILE names a file that cannot be read: {exc}."
        ) from None
    if not secret:
        raise ImproperlyConfigured(f"{name}_FILE names an empty file.")
    return secret


def env_broker_url(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    url = _raw(name, environ) or default
    scheme = urlsplit(url).scheme.split("+")[-1]
    if scheme not in BROKER_SCHEMES:
        allowed = ", ".join(sorted(BROKER_SCHEMES))
        raise ImproperlyConfigured(
            f"{name} must be a URL with one of the schemes {allowed}; got {url!r}."
        )
    return url


def parse_nameserver(name: str, item: str) -> Nameserver:
    """`ip`, `ip:port`, or `[ipv6]:port`, as EAC_DNS_NAMESERVERS lists them."""
    host, port_text = item, ""
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif item.count(":") == 1:
        host, port_text = item.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}: {item!r} is not an IP address (use ip, ip:port or [ipv6]:port)."
        ) from None
    port = 53
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ImproperlyConfigured(f"{name}: {item!r} has a port that is not 1-65535.")
        port = int(port_text)
    return str(address), port


def env_nameservers(name: str, environ: Mapping[str, str] | None = None) -> tuple[Nameserver, ...]:
    return tuple(parse_nameserver(name, item) for item in env_list(name, "", environ))


def env_networks(
    name: str, environ: Mapping[str, str] | None = None
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in env_list(name, "", environ):
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not a network in CIDR form ({exc})."
            ) from None
    return tuple(networks)


def env_ca_file(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    value = _raw(name, environ)
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise ImproperlyConfigured(f"{name}: {value!r} is not a readable file.")
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"{name}: {value!r} holds no usable PEM certificate ({exc})."
        ) from None
    return path
