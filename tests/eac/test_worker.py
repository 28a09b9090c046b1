"""A real Celery worker process takes tasks from the broker and writes to the console's database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]

BROKERS = ["filesystem://"]
if os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
    BROKERS.append(os.environ["CELERY_BROKER_URL"])  # CI: the suite's Redis as well


def _test_database_url() -> str:
    """The URL of the database this test runs against, so the worker process writes there too."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture(params=BROKERS, ids=lambda url: url.split(":")[0])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    environ = os.environ | {
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": request.param,
        "EAC_VAR_DIR": str(tmp_path),  # its own queue folders, away from any `make run` worker
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "eac",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname=test-{os.getpid()}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield environ
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _manage(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_a_worker_runs_a_task_that_writes_to_the_database(worker_env: dict[str, str]) -> None:
    result = _manage(worker_env, "ping_worker", "--timeout", "45")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Worker test-{os.getpid()}@" in result.stdout


def test_the_health_check_lists_the_running_worker(worker_env: dict[str, str]) -> None:
    deadline = time.monotonic() + 45
    while True:
        result = _manage(worker_env, "healthcheck")
        report = json.loads(result.stdout)
        if report["worker"]["ok"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert report["status"] == "ok", result.stderr
    assert any(name.startswith(f"test-{os.getpid()}@") for name in report["worker"]["workers"])


def test_without_a_worker_ping_fails_with_a_message(tmp_path: Path) -> None:
    environ = os.environ | {
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": "filesystem://",
        "EAC_VAR_DIR": str(tmp_path),
    }
    result = _manage(environ, "ping_worker", "--timeout", "2")
    assert result.returncode == 1
    assert "No worker answered within 2 seconds" in result.stderr
