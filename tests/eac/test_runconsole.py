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


@pytest.mark.worker
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_runconsole_serves_and_stops_the_web_server_and_the_worker(
    tmp_path: Path, stop_signal: int
) -> None:
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
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=5
                ) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the console never answered"
                time.sleep(0.5)
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
