"""/healthz answers quickly with what is reachable, even when the broker is down or black-holed;
anyone gets ok or degraded, staff the details, from a report at most a few seconds old."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from console import health
from eac.models import User
from tests.conftest import PASSWORD, client_for, closed_port

# Transactional: the page is fetched from another thread, which must see the staff member.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_report() -> Iterator[None]:
    health.last_report.forget()  # each test points the console somewhere of its own
    yield
    health.last_report.forget()


@pytest.fixture
def client(db: None) -> Client:
    """A staff member's browser: the details are shown to staff only."""
    staff = User.objects.create_user("ops@lab.test", PASSWORD, is_staff=True)
    return client_for(staff)


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


def test_anyone_gets_only_ok_or_degraded(broker_at) -> None:
    broker_at(f"redis://:hunter2@127.0.0.1:{closed_port()}/0")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded"}


def test_twenty_probes_at_once_check_once(monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[int] = []
    real = health.health_report

    def counted() -> dict[str, object]:
        checks.append(1)
        return real()

    monkeypatch.setattr(health, "health_report", counted)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: Client().get("/healthz").json()["status"], range(20)))
    assert len(statuses) == 20
    assert len(checks) == 1
