"""Which addresses a validation probe may connect to (docs/validation.md, "Egress policy").

The probe resolves an admin-supplied smart host and asks `EgressPolicy.refusal` about every
address before connecting to it. Only public unicast addresses pass, unless an operator's lab
allowance (EAC_PROBE_ALLOWED_NETWORKS) covers them; cloud metadata endpoints never pass.

`ipaddress`'s own flags aren't enough on their own: on CPython 3.11.7 `is_global` is True for
192.0.0.8, for NAT64 and 6to4 forms of 127.0.0.1, and for unallocated IPv6 space, while
`::ffff:127.0.0.1` isn't `is_loopback`. So IPv6 disguises are unwrapped first, and an address
must be `is_global` AND outside an explicit deny table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import TypeAlias

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# One message for every refusal, so the probe can't be used to map internal networks.
REFUSED = "This console doesn't connect to that address."

# Endpoints that hand out cloud credentials. Refused even inside an operator's allowance: a lab
# allowance of 169.254.0.0/16 or 0.0.0.0/0 must not turn the probe into a credential fetcher.
CLOUD_METADATA: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, Azure, GCP, Oracle, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS Pod Identity agent
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "fd00:ec2::23",  # AWS EKS Pod Identity agent over IPv6
    )
)

# Special-purpose ranges (IANA registries) that aren't the public internet. Explicit because
# `is_global` misses some of them on the Python we run.
DENIED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(text)
    for text in (
        "0.0.0.0/8",  # "this network", including the unspecified 0.0.0.0
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT, shared address space
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments (is_global gets 192.0.0.8 wrong on 3.11.7)
        "192.0.2.0/24",  # documentation, TEST-NET-1
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation, TEST-NET-2
        "203.0.113.0/24",  # documentation, TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, including the broadcast 255.255.255.255
        "::/8",  # reserved by IETF: unspecified, loopback, IPv4-compatible, NAT64 local-use...
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo is unwrapped before this applies)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing SIDs
        "fc00::/7",  # unique local addresses
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local, deprecated
        "ff00::/8",  # multicast
    )
)

# Only this block is allocated for global unicast; the rest of the IPv6 space is reserved or
# special even where 3.11.7's `is_global` says otherwise.
IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")

NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

# RFC 6052 prefix lengths that fit inside the local-use /48: each network picks its own, so the
# IPv4 address could sit at any of these positions.
NAT64_LOCAL_USE_PREFIX_LENGTHS = (48, 56, 64, 96)


class EgressPolicy:
    """`lab_only`: a training lab, where the probe may reach the allowed networks and nothing
    else — not even public addresses — so a trainee can't aim a validation at a real server."""

    def __init__(
        self,
        allowed_networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
        *,
        lab_only: bool = False,
    ) -> None:
        self.allowed_networks = tuple(allowed_networks)
        self.lab_only = lab_only

    def refusal(self, address: str) -> str | None:
        """None if the probe may connect to `address` (an IP literal), else the neutral message."""
        ip = parse_ip_literal(address)
        if ip is None or reaches_cloud_metadata(ip):
            return REFUSED
        if isinstance(ip, ipaddress.IPv6Address) and carries_ipv4(ip):
            embedded = unwrap_ipv4(ip)
            # In a lab the wrapper's route runs through a translator or relay (NAT64, 6to4,
            # Teredo), never to the lab itself; and the forms without a known IPv4 address are
            # refused everywhere.
            if embedded is None or self.lab_only:
                return REFUSED
            # Judged as the IPv4 host it reaches, by allowance and deny rules alike: an IPv6
            # allowance covering the wrapper (::/0, 2002::/16…) doesn't cover that host.
            ip = embedded
        if self.allows(ip) or (is_public(ip) and not self.lab_only):
            return None
        return REFUSED

    def allows(self, ip: IPAddress) -> bool:
        """Whether the operator's lab allowance covers `ip` itself (wrappers are unwrapped first)."""
        return any(ip in network for network in self.allowed_networks)


def parse_ip_literal(address: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    # A zone ties the address to one of the worker's own interfaces: never a smart host.
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None:
        return None
    return ip


def unwrap_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that traffic to `ip` actually reaches, for the forms where it is known.

    IPv4-compatible and NAT64 local-use addresses are left wrapped: they are refused as they are
    (the first is deprecated, the second's layout varies by network), so an IPv4 allowance must
    not let them through.
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        _server, client = ip.teredo
        return client
    if ip in NAT64_WELL_KNOWN:
        return last_32_bits(ip)
    return None


def carries_ipv4(ip: ipaddress.IPv6Address) -> bool:
    """Whether `ip` is one of the IPv6 forms that carry an IPv4 address: IPv4-mapped, 6to4,
    Teredo, NAT64 (well-known or local-use) or IPv4-compatible (`::/96` but for `::` and `::1`,
    RFC 4291 §2.5.5.1)."""
    return (
        unwrap_ipv4(ip) is not None
        or ip in NAT64_LOCAL_USE
        or (ip in IPV4_COMPATIBLE and int(ip) > 1)
    )


def reaches_cloud_metadata(ip: IPAddress) -> bool:
    return any(candidate in CLOUD_METADATA for candidate in addresses_behind(ip))


def addresses_behind(ip: IPAddress) -> Iterator[IPAddress]:
    """`ip` and every IPv4 address it could stand for, to find metadata in any disguise."""
    yield ip
    if not isinstance(ip, ipaddress.IPv6Address):
        return
    embedded = unwrap_ipv4(ip)
    if embedded is not None:
        yield embedded
    if ip in IPV4_COMPATIBLE:
        yield last_32_bits(ip)
    if ip in NAT64_LOCAL_USE:
        for prefix_length in NAT64_LOCAL_USE_PREFIX_LENGTHS:
            yield rfc6052_ipv4(ip, prefix_length)


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = unwrap_ipv4(ip)
        if embedded is not None:
            # The disguise is only a route to the IPv4 host; that host is what gets judged.
            return is_public(embedded)
        if ip not in IPV6_GLOBAL_UNICAST:
            return False
    return ip.is_global and not any(ip in network for network in DENIED_NETWORKS)


def last_32_bits(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)


def rfc6052_ipv4(ip: ipaddress.IPv6Address, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address embedded after a NAT64 prefix of `prefix_length` bits (RFC 6052 §2.2)."""
    # Bits 64-71 (the "u" octet) never carry address bits; drop them to get a contiguous field.
    value = int(ip)
    without_u_octet = (value >> 64 << 56) | (value & (2**56 - 1))
    start = prefix_length if prefix_length <= 64 else prefix_length - 8
    return ipaddress.IPv4Address((without_u_octet >> (120 - start - 32)) & 0xFFFF_FFFF)
