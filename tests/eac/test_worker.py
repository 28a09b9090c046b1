"""A real Celery worker process takes tasks from the broker and writes to the console's database."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.workers import current_database_url, manage, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BROKERS = ["filesystem://"]
if os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
    BROKERS.append(os.environ["CELERY_BROKER_URL"])  # CI: the suite's Redis as well
NAME = f"test-{os.getpid()}"


@pytest.fixture(params=BROKERS, ids=lambda url: url.split(":")[0])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    environ = {
        "DATABASE_URL": current_database_url(),
        "CELERY_BROKER_URL": request.param,
        "EAC_VAR_DIR": str(tmp_path),  # its own queue folders, away from any other worker
    }
    with worker_process(environ, tmp_path / "worker.log", NAME):
        yield environ


def test_a_worker_runs_a_task_that_writes_to_the_database(worker_env: dict[str, str]) -> None:
    result = manage(worker_env, "ping_worker", "--timeout", "45")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Worker {NAME}@" in result.stdout


def test_the_health_check_lists_the_running_worker(worker_env: dict[str, str]) -> None:
    deadline = time.monotonic() + 45
    while True:
        result = manage(worker_env, "healthcheck")
        report = json.loads(result.stdout)
        if report["worker"]["ok"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert report["status"] == "ok", result.stderr
    assert any(name.startswith(f"{NAME}@") for name in report["worker"]["workers"])


def test_without_a_worker_ping_fails_with_a_message(tmp_path: Path) -> None:
    environ = {
        "DATABASE_URL": current_database_url(),
        "CELERY_BROKER_URL": "filesystem://",
        "EAC_VAR_DIR": str(tmp_path),
    }
    result = manage(environ, "ping_worker", "--timeout", "2")
    assert result.returncode == 1
    assert "No worker answered within 2 seconds" in result.stderr
