"""The one list of the lab's behaviours: a host-name prefix selects each, on an address of its own."""

from __future__ import annotations

import ipaddress

import pytest

from lab.behaviours import LISTENING, Behaviour, behaviour_for


@pytest.mark.parametrize("behaviour", [b for b in Behaviour if b is not Behaviour.GOOD])
def test_a_host_name_starting_with_the_prefix_selects_the_behaviour(behaviour: Behaviour) -> None:
    assert behaviour_for(f"{behaviour.value}.contoso.com") is behaviour
    assert behaviour_for(f"{behaviour.value}2-mx.Contoso.com.") is behaviour


@pytest.mark.parametrize("host", ["mail.contoso.com", "contoso.com", "mx.expired.contoso.com"])
def test_any_other_first_label_selects_the_good_server(host: str) -> None:
    assert behaviour_for(host) is Behaviour.GOOD


def test_no_prefix_starts_another_so_each_selects_one_behaviour() -> None:
    values = [b.value for b in Behaviour]
    clashes = [(a, b) for a in values for b in values if a != b and b.startswith(a)]
    assert clashes == []


def test_each_behaviour_has_a_loopback_address_of_its_own_and_a_label() -> None:
    addresses = [b.address for b in Behaviour]
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)
    assert all(b.label for b in Behaviour)
    assert Behaviour.REFUSED not in LISTENING


def test_every_prefix_fits_the_mailbox_column_and_is_a_dns_label() -> None:
    assert all(len(b.value) <= 16 and b.value.isalnum() and b.value.islower() for b in Behaviour)
