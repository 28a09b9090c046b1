"""The lab started in-process (lab.server.Lab): one SMTP port on every behaviour's address, a
clean start or none at all, and a stop that doesn't wait for clients."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import pytest

from lab.behaviours import LISTENING, Behaviour
from lab.server import Lab
from lab.smtp import Delivery


def lab_at(var_dir: Path, smtp_port: int = 0) -> Lab:
    kept: list[Delivery] = []
    return Lab(
        var_dir,
        domains=lambda: ["contoso.com"],
        deliver=kept.append,
        smtp_port=smtp_port,
        dns_port=0,
    )


def banner(address: str, port: int) -> bytes:
    with socket.create_connection((address, port), timeout=5) as client:
        return client.recv(200)


def first_words(address: str, port: int) -> bytes:
    """What a server sends first, within a second and a half ("" if nothing)."""
    with socket.create_connection((address, port), timeout=5) as client:
        client.settimeout(1.5)
        try:
            return client.recv(200)
        except TimeoutError:
            return b""


# How the servers that don't greet with "220 " start; SILENT says nothing at all.
FIRST_WORDS = {Behaviour.TARPIT: b"2", Behaviour.BANNER_554: b"554 "}


def test_every_behaviour_answers_on_its_own_address_and_the_same_port(lab_var_dir: Path) -> None:
    with lab_at(lab_var_dir) as lab:
        for behaviour in LISTENING:
            said = first_words(behaviour.address, lab.smtp_port)
            if behaviour is Behaviour.SILENT:
                assert said == b"", behaviour
            else:
                assert said.startswith(FIRST_WORDS.get(behaviour, b"220 ")), behaviour
        with pytest.raises(ConnectionRefusedError):
            banner(Behaviour.REFUSED.address, lab.smtp_port)


def test_a_lab_that_cannot_listen_everywhere_does_not_start_at_all(lab_var_dir: Path) -> None:
    with socket.create_server((Behaviour.EXPIRED.address, 0)) as squatter:
        port = int(squatter.getsockname()[1])
        lab = lab_at(lab_var_dir, smtp_port=port)

        with pytest.raises(OSError, match=rf"can't listen on 127\.0\.0\.5:{port}"):
            lab.start()

        with pytest.raises(ConnectionRefusedError):
            banner(Behaviour.GOOD.address, port)  # what had started was stopped again


def test_stopping_does_not_wait_for_a_client_that_stays_connected(lab_var_dir: Path) -> None:
    lab = lab_at(lab_var_dir).start()
    with socket.create_connection((Behaviour.GOOD.address, lab.smtp_port), timeout=5) as client:
        assert client.recv(200).startswith(b"220 ")
        started = time.monotonic()

        lab.stop()

        assert time.monotonic() - started < 3
        # The lab hung up, or reset the connection: either way, it's gone.
        with contextlib.suppress(ConnectionResetError):
            assert client.recv(200) == b""
