"""`make run` serves the console (gunicorn, static files included) and a worker together, and
stops both when told to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import closed_port

ROOT = Path(__file__).resolve().parents[2]


def _start_console(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, dict[str, str]]:
    """`runconsole` in a session of its own (so all it started can be found and killed), and
    the port it serves; once it answers /healthz."""
    port = closed_port()
    environ = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    environ |= {"EAC_VAR_DIR": str(tmp_path), "DEBUG": "1"}
    console = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runconsole",
            "--port",
            str(port),
            "--lab-dns-port",
            str(closed_port()),
            "--lab-smtp-port",
            str(closed_port()),
        ],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                assert response.status == 200
                return console, port, environ
        except OSError:
            assert console.poll() is None, "the console stopped"
            assert time.monotonic() < deadline, "the console never answered"
            time.sleep(0.5)


def _workers(console: subprocess.Popen[bytes]) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-g", str(console.pid), "-f", "celery -A console worker"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(pid) for pid in found.stdout.split()]


@pytest.mark.worker
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_runconsole_serves_and_stops_the_web_server_and_the_worker(
    tmp_path: Path, stop_signal: int
) -> None:
    console, port, environ = _start_console(tmp_path)
    try:
        # Served as in production: gunicorn, with the static files from WhiteNoise.
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/eac/console.js", timeout=5
        ) as response:
            assert response.status == 200
            assert response.headers["Server"].startswith("gunicorn")
            assert b"htmx" in response.read()
        # A command typed in another shell, without DEBUG=1, uses the running console's settings.
        beside = subprocess.run(
            [sys.executable, "manage.py", "healthcheck"],
            cwd=ROOT,
            env={k: v for k, v in environ.items() if k != "DEBUG"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "SECRET_KEY" not in beside.stderr
        assert '"database"' in beside.stdout, beside.stderr
        console.send_signal(stop_signal)
        console.wait(timeout=40)
        left = subprocess.run(
            ["pgrep", "-g", str(console.pid)], capture_output=True, text=True, check=False
        )
        assert left.stdout.strip() == "", f"still running: {left.stdout}"
        assert not (tmp_path / "console.env").exists()  # gone with the console
    finally:
        if console.poll() is None:
            os.killpg(console.pid, signal.SIGKILL)


@pytest.mark.worker
def test_runconsole_starts_the_worker_again_when_it_dies(tmp_path: Path) -> None:
    console, _, _ = _start_console(tmp_path)
    try:
        [first] = _workers(console)
        os.kill(first, signal.SIGKILL)  # the OOM killer, say
        deadline = time.monotonic() + 60
        while not [pid for pid in _workers(console) if pid != first]:
            assert console.poll() is None, "the console stopped with its worker"
            assert time.monotonic() < deadline, "no new worker"
            time.sleep(0.5)
    finally:
        if console.poll() is None:
            os.killpg(console.pid, signal.SIGKILL)
