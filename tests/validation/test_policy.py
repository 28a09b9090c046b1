"""The egress policy (docs/validation.md, "Egress policy"): which addresses a validation probe may connect to, and the one
neutral message for every address it may not."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validation.policy import REFUSED, EgressPolicy, rfc6052_ipv4


def verdict(address: str, *allowed: str) -> str | None:
    policy = EgressPolicy(allowed_networks=[ipaddress.ip_network(network) for network in allowed])
    return policy.refusal(address)


def mapped(ipv4: str) -> str:
    return f"::ffff:{ipv4}"


def sixtofour(ipv4: str) -> str:
    return str(
        ipaddress.IPv6Address((0x2002 << 112) | (int(ipaddress.IPv4Address(ipv4)) << 80) | 1)
    )


def nat64(ipv4: str) -> str:
    return str(ipaddress.IPv6Address(f"64:ff9b::{ipv4}"))


def nat64_local_use(ipv4: str) -> str:
    return str(ipaddress.IPv6Address(f"64:ff9b:1::{ipv4}"))


def teredo(client: str, server: str = "65.54.227.120") -> str:
    # Teredo stores the client address with every bit flipped (RFC 4380 §4).
    obscured = int(ipaddress.IPv4Address(client)) ^ 0xFFFF_FFFF
    value = (0x2001_0000 << 96) | (int(ipaddress.IPv4Address(server)) << 64) | obscured
    return str(ipaddress.IPv6Address(value))


# Each writes an IPv4 address as an IPv6 address that reaches it.
DISGUISES: list[Callable[[str], str]] = [mapped, sixtofour, nat64, teredo]


def test_the_disguise_helpers_embed_the_address_they_are_given():
    assert ipaddress.IPv6Address(mapped("127.0.0.1")).ipv4_mapped == ipaddress.IPv4Address(
        "127.0.0.1"
    )
    assert sixtofour("10.0.0.1") == "2002:a00:1::1"
    assert nat64("169.254.169.254") == "64:ff9b::a9fe:a9fe"
    assert nat64_local_use("127.0.0.1") == "64:ff9b:1::7f00:1"
    assert teredo("10.0.0.1") == "2001:0:4136:e378::f5ff:fffe"
    assert ipaddress.IPv6Address(teredo("10.0.0.1")).teredo == (
        ipaddress.IPv4Address("65.54.227.120"),
        ipaddress.IPv4Address("10.0.0.1"),
    )


# --- what passes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "52.96.0.1",
    ],
)
def test_it_allows_public_addresses(address: str):
    assert verdict(address) is None


@pytest.mark.parametrize("disguise", DISGUISES, ids=lambda disguise: disguise.__name__)
def test_it_allows_a_disguised_public_ipv4_address(disguise):
    assert verdict(disguise("8.8.8.8")) is None


def test_it_allows_a_6to4_address_embedding_a_public_ipv4_address():
    assert verdict("2002:808:808::1") is None


# --- what is refused, by category ----------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.255.255.254", "127.1.2.3", "::1"])
def test_it_refuses_loopback_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.0.1",
        "192.168.255.254",
        "fc00::1",
        "fd12:3456:789a::1",
    ],
)
def test_it_refuses_private_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["169.254.0.1", "169.254.255.254", "fe80::1", "febf::1"])
def test_it_refuses_link_local_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["100.64.0.1", "100.100.0.1", "100.127.255.254"])
def test_it_refuses_cgnat_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::fb"])
def test_it_refuses_multicast_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["240.0.0.1", "254.255.255.254", "255.255.255.255"])
def test_it_refuses_reserved_and_broadcast_ipv4_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["4000::1", "5f00::1", "e000::1", "1::1"])
def test_it_refuses_ipv6_addresses_outside_global_unicast(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["0.0.0.0", "0.1.2.3", "::"])  # noqa: S104 -- refused, not bound
def test_it_refuses_unspecified_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize(
    "address",
    ["192.0.2.1", "198.51.100.1", "203.0.113.254", "2001:db8::1", "2001:db8:ffff::25", "3fff::1"],
)
def test_it_refuses_documentation_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["198.18.0.1", "198.19.255.254", "2001:2::1"])
def test_it_refuses_benchmarking_addresses(address: str):
    assert verdict(address) == REFUSED


# 192.0.0.8 and 192.0.0.170 are the ones CPython 3.11.7 calls global.
@pytest.mark.parametrize(
    "address", ["192.0.0.1", "192.0.0.8", "192.0.0.9", "192.0.0.170", "2001:10::1", "2001:1::2"]
)
def test_it_refuses_ietf_protocol_assignment_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["192.88.99.1", "192.88.99.254"])
def test_it_refuses_the_deprecated_6to4_relay_anycast_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["fec0::1", "feff::1"])
def test_it_refuses_site_local_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["100::", "100::1"])
def test_it_refuses_discard_only_addresses(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", ["::127.0.0.1", "::10.0.0.1", "::8.8.8.8"])
def test_it_refuses_deprecated_ipv4_compatible_addresses_outright(address: str):
    assert verdict(address) == REFUSED


@pytest.mark.parametrize("address", [nat64_local_use("8.8.8.8"), nat64_local_use("10.0.0.1")])
def test_it_refuses_nat64_local_use_addresses_outright(address: str):
    assert verdict(address) == REFUSED


# --- disguises -----------------------------------------------------------------------------


@pytest.mark.parametrize("ipv4", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1"])
@pytest.mark.parametrize("disguise", DISGUISES, ids=lambda disguise: disguise.__name__)
def test_it_refuses_an_ipv6_disguise_of_a_refused_ipv4_address(disguise, ipv4: str):
    assert verdict(disguise(ipv4)) == REFUSED


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",
        "::ffff:7f00:1",
        "2002:7f00:1::1",
        "2002:a00:1:ffff::25",
        "64:ff9b::7f00:1",
        "64:ff9b::10.0.0.1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_it_refuses_disguises_written_by_hand(address: str):
    assert verdict(address) == REFUSED


@given(st.ip_addresses(v=4))
def test_a_disguise_gets_the_same_verdict_as_the_ipv4_address_inside(ipv4):
    expected = verdict(str(ipv4))
    for disguise in DISGUISES:
        assert verdict(disguise(str(ipv4))) == expected


# --- the operator's lab allowance ----------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::ffff:127.0.0.1"])
def test_a_loopback_allowance_lets_loopback_through(address: str):
    assert verdict(address, "127.0.0.0/8") is None


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.1", "::1", "169.254.1.1"])
def test_a_loopback_allowance_leaves_everything_else_refused(address: str):
    assert verdict(address, "127.0.0.0/8") == REFUSED


def test_an_ipv6_loopback_allowance_lets_ipv6_loopback_through():
    assert verdict("::1", "::1/128") is None


@pytest.mark.parametrize("disguise", DISGUISES, ids=lambda disguise: disguise.__name__)
def test_an_allowance_covers_disguises_of_the_addresses_it_allows(disguise):
    assert verdict(disguise("10.1.2.3"), "10.0.0.0/8") is None


@pytest.mark.parametrize("address", ["::127.0.0.1", nat64_local_use("127.0.0.1")])
def test_an_ipv4_allowance_does_not_cover_forms_refused_outright(address: str):
    assert verdict(address, "127.0.0.0/8") == REFUSED


def test_an_allowance_of_a_private_ipv6_network_lets_it_through():
    assert verdict("fd00:1ab::25", "fd00:1ab::/64") is None
    assert verdict("fd00:1ac::25", "fd00:1ab::/64") == REFUSED


# --- cloud metadata, refused always ---------------------------------------------------------

METADATA = ["169.254.169.254", "169.254.170.2", "169.254.170.23", "100.100.100.200"]
METADATA_IPV6 = ["fd00:ec2::254", "fd00:ec2::23"]
ALLOW_EVERYTHING = ("0.0.0.0/0", "::/0")


@pytest.mark.parametrize("address", METADATA + METADATA_IPV6)
def test_it_refuses_cloud_metadata_addresses_even_when_everything_is_allowed(address: str):
    assert verdict(address, *ALLOW_EVERYTHING) == REFUSED


@pytest.mark.parametrize("ipv4", METADATA)
@pytest.mark.parametrize(
    "disguise",
    [*DISGUISES, nat64_local_use, lambda ipv4: f"::{ipv4}"],
    ids=["mapped", "sixtofour", "nat64", "teredo", "nat64_local_use", "ipv4_compatible"],
)
def test_it_refuses_disguised_cloud_metadata_even_when_everything_is_allowed(disguise, ipv4):
    assert verdict(disguise(ipv4), *ALLOW_EVERYTHING) == REFUSED


# The examples of RFC 6052 §2.4: 192.0.2.33 behind each prefix length a NAT64 may use.
@pytest.mark.parametrize(
    ("prefix_length", "address"),
    [
        (32, "2001:db8:c000:221::"),
        (40, "2001:db8:1c0:2:21::"),
        (48, "2001:db8:122:c000:2:2100::"),
        (56, "2001:db8:122:3c0:0:221::"),
        (64, "2001:db8:122:344:c0:2:2100::"),
        (96, "2001:db8:122:344::192.0.2.33"),
    ],
)
def test_it_reads_the_ipv4_address_behind_every_rfc6052_prefix_length(prefix_length, address):
    embedded = rfc6052_ipv4(ipaddress.IPv6Address(address), prefix_length)
    assert embedded == ipaddress.IPv4Address("192.0.2.33")


# A local-use NAT64 network picks its own prefix length, so the IPv4 address may sit elsewhere
# than the last 32 bits; these are 169.254.169.254 behind a /48, /56 and /64.
@pytest.mark.parametrize(
    "address", ["64:ff9b:1:a9fe:a9:fe00::", "64:ff9b:1:a9:fe:a9fe::", "64:ff9b:1:0:a9:fea9:fe00:0"]
)
def test_it_refuses_metadata_at_any_nat64_local_use_position_even_when_allowed(address: str):
    assert verdict(address, *ALLOW_EVERYTHING) == REFUSED


def test_it_refuses_metadata_inside_an_allowed_link_local_network():
    assert verdict("169.254.1.1", "169.254.0.0/16") is None
    assert verdict("169.254.169.254", "169.254.0.0/16") == REFUSED
    assert verdict("::ffff:169.254.169.254", "169.254.0.0/16") == REFUSED


def test_it_refuses_aws_ipv6_metadata_inside_an_allowed_unique_local_network():
    assert verdict("fd00:ec2::1", "fd00:ec2::/64") is None
    assert verdict("fd00:ec2::254", "fd00:ec2::/64") == REFUSED


# --- what isn't an address -----------------------------------------------------------------

GARBAGE = [
    "",
    " ",
    "localhost",
    "smarthost.contoso.com",
    " 8.8.8.8",
    "8.8.8.8 ",
    "8.8.8.8\n",
    "8.8.8",
    "127.1",
    "2130706433",
    "0x7f.0.0.1",
    "010.0.0.1",
    "256.1.1.1",
    "8.8.8.8:25",
    "8.8.8.0/24",
    "[2606:4700:4700::1111]",
    "2606:4700:4700::1111/128",
    "１.１.１.１",  # noqa: RUF001  (full-width digits are the disguise under test)
    "::ffff::1",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_it_refuses_text_that_is_not_an_ip_literal(text: str):
    assert verdict(text) == REFUSED


@pytest.mark.parametrize(
    "address", ["fe80::1%eth0", "fe80::1%1", "2606:4700:4700::1111%eth0", "::ffff:8.8.8.8%lo"]
)
def test_it_refuses_addresses_with_a_zone(address: str):
    assert verdict(address, *ALLOW_EVERYTHING) == REFUSED


# --- one message for every refusal ---------------------------------------------------------


def test_every_kind_of_refusal_gets_the_same_neutral_message():
    refusals = {
        verdict("127.0.0.1"),
        verdict("10.0.0.1"),
        verdict("100.64.0.1"),
        verdict("fe80::1"),
        verdict("2001:db8::1"),
        verdict("::ffff:10.0.0.1"),
        verdict(teredo("192.168.0.1")),
        verdict("169.254.169.254", *ALLOW_EVERYTHING),
        verdict("not an address"),
        verdict("fe80::1%eth0"),
        verdict("10.0.0.1", "127.0.0.0/8"),
    }
    assert refusals == {REFUSED}
    assert "169.254" not in REFUSED
    assert "private" not in REFUSED.lower()


def test_a_lab_only_policy_refuses_public_addresses_but_allows_the_lab() -> None:
    lab = EgressPolicy((ipaddress.ip_network("127.0.0.0/8"),), lab_only=True)
    assert lab.refusal("127.0.0.5") is None
    assert lab.refusal("8.8.8.8") == REFUSED
    assert lab.refusal("2606:4700:4700::1111") == REFUSED
    assert lab.refusal("169.254.169.254") == REFUSED
    assert EgressPolicy((ipaddress.ip_network("127.0.0.0/8"),)).refusal("8.8.8.8") is None


# --- wrappers of an allowed IPv4 address (issue 14) -----------------------------------------

# Each IPv6 form that carries 127.0.0.1: mapped, IPv4-compatible, NAT64 (well-known and
# local-use), 6to4 and Teredo (whose client address is stored bit-inverted).
LOOPBACK_WRAPPERS = [
    "::ffff:127.0.0.1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::7f00:1",
    "2002:7f00:1::1",
    teredo("127.0.0.1"),
]


@pytest.mark.parametrize("address", LOOPBACK_WRAPPERS)
def test_a_lab_only_policy_refuses_ipv6_wrappers_of_an_allowed_ipv4_address(address: str):
    lab = EgressPolicy((ipaddress.ip_network("127.0.0.0/8"),), lab_only=True)
    assert lab.refusal("127.0.0.1") is None
    assert lab.refusal(address) == REFUSED


@pytest.mark.parametrize("address", LOOPBACK_WRAPPERS)
def test_a_lab_only_policy_refuses_wrappers_even_when_an_ipv6_allowance_covers_them(address: str):
    lab = EgressPolicy([ipaddress.ip_network(n) for n in ALLOW_EVERYTHING], lab_only=True)
    assert lab.refusal(address) == REFUSED


@pytest.mark.parametrize("address", [*LOOPBACK_WRAPPERS, mapped("10.0.0.1"), sixtofour("10.0.0.1")])
def test_an_ipv6_allowance_does_not_let_a_wrapper_of_a_refused_ipv4_address_through(address: str):
    assert verdict(address, "::/0") == REFUSED
    assert verdict(address, "64:ff9b::/32", "2002::/16", "2001::/32", "::/96") == REFUSED


@pytest.mark.parametrize("disguise", DISGUISES, ids=lambda disguise: disguise.__name__)
def test_a_wrapper_of_a_public_address_passes_an_ipv6_allowance_outside_lab_only(disguise):
    assert verdict(disguise("8.8.8.8"), "::/0") is None


def test_ipv6_loopback_is_not_taken_for_an_ipv4_compatible_address():
    assert verdict("::1", "::1/128") is None
    lab = EgressPolicy((ipaddress.ip_network("::1/128"),), lab_only=True)
    assert lab.refusal("::1") is None
