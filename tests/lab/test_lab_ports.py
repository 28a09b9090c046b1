"""A second console on the machine finds the lab's default ports taken by the first one's lab:
it picks free ones for its own lab and worker, or, given ports that are taken, stops and says so."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.core.management.base import CommandError

from console.management.commands.runconsole import lab_ports
from lab.server import DEFAULT_DNS_PORT, DEFAULT_SMTP_PORT, lab_ports_free


@pytest.fixture
def first_consoles_lab() -> Iterator[None]:
    """The default ports held as the first console's lab holds them (a listening SMTP socket
    and a bound DNS one), unless something else already has them."""
    held = []
    for kind, port in (
        (socket.SOCK_STREAM, DEFAULT_SMTP_PORT),
        (socket.SOCK_DGRAM, DEFAULT_DNS_PORT),
    ):
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind(("127.0.0.1", port))
            if kind == socket.SOCK_STREAM:
                sock.listen()
            held.append(sock)
        except OSError:
            sock.close()  # taken already: the test holds just the same
    yield
    for sock in held:
        sock.close()


def test_a_second_console_picks_free_lab_ports(first_consoles_lab: None) -> None:
    assert not lab_ports_free(DEFAULT_DNS_PORT, DEFAULT_SMTP_PORT)
    dns_port, smtp_port = lab_ports(None, None)
    assert (dns_port, smtp_port) != (DEFAULT_DNS_PORT, DEFAULT_SMTP_PORT)
    assert lab_ports_free(dns_port, smtp_port)


def test_lab_ports_asked_for_and_taken_stop_the_console_with_a_message(
    first_consoles_lab: None,
) -> None:
    with pytest.raises(CommandError, match=r"The lab's ports are taken .* --lab-smtp-port"):
        lab_ports(None, DEFAULT_SMTP_PORT)
