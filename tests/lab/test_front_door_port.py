"""`make run` gives the front door EAC_FRONT_DOOR_PORT, or a free port when another console's
front door has it; a port asked for that is taken stops it with a message."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management.base import CommandError

from console.management.commands.runconsole import front_door
from lab.front_door import front_door_port_free


@pytest.fixture
def taken() -> Iterator[int]:
    """A port on 127.0.0.1 that another console's front door listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def test_the_setting_is_used_when_free(settings: Any, taken: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    settings.EAC_FRONT_DOOR_PORT = free

    assert front_door(None) == free


def test_a_second_console_picks_a_free_port(settings: Any, taken: int) -> None:
    settings.EAC_FRONT_DOOR_PORT = taken

    port = front_door(None)

    assert port != taken
    assert front_door_port_free(port)


def test_a_port_asked_for_and_taken_stops_the_console(taken: int) -> None:
    with pytest.raises(CommandError, match="--front-door-port"):
        front_door(taken)
