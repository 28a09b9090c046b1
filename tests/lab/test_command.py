"""`manage.py lab` serves the lab in the foreground, says how to reach it, and stops when told."""

from __future__ import annotations

import os
import queue
import signal
import smtplib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.exception
import pytest

from eac.models import Tenant
from tests.lab.conftest import resolver_for
from tests.workers import current_database_url

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    environ = os.environ | {
        "EAC_VAR_DIR": str(tmp_path),
        "DATABASE_URL": current_database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "lab", *args],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        with process.stdout:  # closed at the end of the output, when the lab has exited
            for line in process.stdout:
                lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def line_with(lines: queue.Queue[str], text: str) -> str:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            pytest.fail(f"no line with {text!r} in {WAIT_SECONDS} s; got: {''.join(seen)}")
        seen.append(line)
        if text in line:
            return line


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_the_lab_command_serves_dns_and_smtp_and_stops_cleanly(
    tmp_path: Path, contoso: Tenant, stop_signal: int
) -> None:
    process, lines = start(tmp_path, "--dns-port", "0", "--smtp-port", "0")
    try:
        settings = dict(
            item.split("=", 1) for item in line_with(lines, "EAC_DNS_NAMESERVERS=").split()
        )
        assert settings["EAC_TRUSTED_CA_FILE"] == str(tmp_path / "lab" / "ca.pem")
        assert settings["EAC_PROBE_ALLOWED_NETWORKS"] == "127.0.0.0/8"
        dns_port = int(settings["EAC_DNS_NAMESERVERS"].removeprefix("127.0.0.1:"))
        smtp_port = int(settings["EAC_SMTP_PORT"])

        answer = resolver_for(dns_port).resolve("contoso.com", "MX", search=False)
        assert [r.to_text() for r in answer] == ["10 mail.contoso.com."]
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
            code, _ = client.ehlo("probe.example")
            assert code == 250
            assert client.has_extn("starttls")

        process.send_signal(stop_signal)
        assert process.wait(timeout=WAIT_SECONDS) == 0
        line_with(lines, "Lab stopped.")
        resolver = resolver_for(dns_port)
        resolver.lifetime = 0.5
        with pytest.raises(dns.exception.DNSException):  # nobody answers any more
            resolver.resolve("contoso.com", "MX", search=False)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_the_lab_command_says_why_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket_on_loopback() as port:
        process, lines = start(tmp_path, "--dns-port", "0", "--smtp-port", str(port))
        try:
            assert process.wait(timeout=WAIT_SECONDS) != 0
            assert f"can't listen on 127.0.0.1:{port}" in line_with(lines, "can't listen")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def socket_on_loopback() -> Iterator[int]:
    """A TCP port some other program listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield int(server.getsockname()[1])
