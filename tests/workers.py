"""Real Celery worker processes for tests, writing to the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from tests.validation.peers import DnsLab, LabCA, LabServer

ROOT = Path(__file__).resolve().parents[1]


def current_database_url() -> str:
    """The URL of the database the current test uses, so a worker process writes there too."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def worker_process(
    environ: dict[str, str], log: Path, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`celery -A console worker` (solo pool, one task at a time) until the block ends."""
    with log.open("w") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "console",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname={name}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=os.environ | environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            stop_process(worker)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """TERM, as a supervisor stops a worker; KILL if it hasn't ended 20 s later."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def manage(
    environ: dict[str, str], *args: str, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=os.environ | environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def lab_worker(tmp_path: Path, dns_lab: DnsLab, lab_ca: LabCA) -> Iterator[Callable[..., Any]]:
    """Starts a worker whose probe settings point at a lab server; it shares this test's broker."""
    started: list[Any] = []

    def start(server: LabServer, total_seconds: int = 20) -> Any:
        environ = {
            "DATABASE_URL": current_database_url(),
            "EAC_SMTP_PORT": str(server.port),
            "EAC_DNS_NAMESERVERS": f"127.0.0.1:{dns_lab.port}",
            "EAC_TRUSTED_CA_FILE": lab_ca.pem_path,
            "EAC_PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
            "EAC_PROBE_TIMEOUT_SECONDS": str(total_seconds),
        }
        context = worker_process(
            environ, tmp_path / f"worker-{len(started)}.log", f"lab{len(started)}-{os.getpid()}"
        )
        worker = context.__enter__()
        started.append(context)
        return worker

    yield start
    for context in reversed(started):
        context.__exit__(None, None, None)


@pytest.fixture
def lab_app_worker(tmp_path: Path) -> Iterator[Any]:
    """The training lab itself (lab.runtime: its CA, DNS and SMTP servers on free ports, reading
    the test database's domains every 0.2 s) and a worker whose probe points at it, as `make run`
    wires them. Tests using it need `django_db(transaction=True)`."""
    from lab.runtime import start_lab  # needs Django set up

    lab = start_lab(var_dir=tmp_path / "var", dns_port=0, smtp_port=0, refresh_seconds=0.2)
    environ = lab.environment() | {
        "DATABASE_URL": current_database_url(),
        "EAC_PROBE_TIMEOUT_SECONDS": "20",
    }
    try:
        with worker_process(environ, tmp_path / "worker.log", f"lab-app-{os.getpid()}"):
            yield lab
    finally:
        lab.stop()
