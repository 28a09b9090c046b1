"""/healthz answers quickly with what is reachable, even when the broker is down or black-holed."""

from __future__ import annotations

import socket
import threading

import pytest
from django.test import Client

from tests.conftest import closed_port

pytestmark = pytest.mark.django_db


def _get_healthz(client: Client) -> dict[str, object]:
    """Fetch in a thread so a hang fails the test instead of freezing the suite."""
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.update(response=client.get("/healthz")))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "/healthz did not answer within 30 seconds"
    return result


def test_it_reports_the_database(client: Client) -> None:
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"]["ok"] is True
    assert set(body) == {"status", "database", "broker", "worker"}


def test_a_refused_broker_is_reported_without_failing_the_page(client: Client, broker_at) -> None:
    broker_at(f"redis://127.0.0.1:{closed_port()}/0")
    response = _get_healthz(client)["response"]
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False
    assert body["worker"] == {"ok": False, "workers": [], "error": "broker unreachable"}


def test_a_black_holed_broker_does_not_hang_the_page(client: Client, broker_at) -> None:
    # A listening socket that never answers: connect succeeds, the Redis handshake never does.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        body = _get_healthz(client)["response"].json()  # type: ignore[attr-defined]
    finally:
        silent.close()
    assert body["broker"]["ok"] is False


def test_the_broker_password_never_appears(client: Client, broker_at) -> None:
    broker_at(f"redis://:hunter2@127.0.0.1:{closed_port()}/0")
    text = _get_healthz(client)["response"].content.decode()  # type: ignore[attr-defined]
    assert "hunter2" not in text
