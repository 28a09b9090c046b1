"""The console as `make run` serves it, for load tests.

`start_django_as_make_run` sets Django up in the benchmark's own process with the settings `make
run` gives its processes (DEBUG on, SQLite, the filesystem broker, no probe settings: the lab's
defaults) on a scratch var directory, so the benchmark can prepare the database the server will
use. `ServedConsole.start` then runs `manage.py runconsole` (gunicorn, a Celery worker and the lab)
on free loopback ports in a process group of its own; `cpu_seconds` reads each process's CPU time
from /proc; `stop` sends SIGINT to the group, as Ctrl-C does, and checks that nothing is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Settings the caller's shell may hold that would make the server differ from a plain `make run`.
NOT_INHERITED = {
    "DEBUG",
    "DATABASE_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "HOST",
    "PORT",
    "LOG_LEVEL",
}
NOT_INHERITED_PREFIXES = ("EAC_", "SECURE_", "CELERY_")
LAB_READY = "Lab DNS on"  # what `manage.py lab` prints once it listens


def start_django_as_make_run(prefix: str) -> Path:
    """A scratch var directory, the environment `make run` gives its processes (which the server
    started later inherits), and Django set up with it."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    for name in list(os.environ):
        if name in NOT_INHERITED or name.startswith(NOT_INHERITED_PREFIXES):
            del os.environ[name]
    os.environ.update(
        DEBUG="1",  # as `make run` serves
        EAC_VAR_DIR=str(scratch),
        DATABASE_URL=f"sqlite:///{scratch}/db.sqlite3",  # the default file, named for clarity
        DJANGO_SETTINGS_MODULE="console.settings",
    )
    import django

    django.setup()
    return scratch


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 now (another program may take it before the server does)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    parent: int
    group: int
    state: str
    cpu_seconds: float  # user + system, all threads
    command: str


def read_process(pid: int) -> ProcessInfo | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:  # gone meanwhile
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return ProcessInfo(
        pid=pid,
        parent=int(fields[1]),
        group=int(fields[2]),
        state=fields[0],
        cpu_seconds=(utime + stime) / CLOCK_TICKS,
        command=command.strip(),
    )


def all_processes() -> list[ProcessInfo]:
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [info for info in map(read_process, pids) if info is not None]


def process_tree(root: int) -> list[ProcessInfo]:
    """The process and all its descendants, read from /proc."""
    processes = all_processes()
    tree = [info for info in processes if info.pid == root]
    wanted = {root}
    grew = True
    while grew:
        children = [p for p in processes if p.parent in wanted and p.pid not in wanted]
        tree += children
        wanted |= {p.pid for p in children}
        grew = bool(children)
    return tree


def role_of(info: ProcessInfo, root: int) -> str:
    """Which part of `make run` a process is, from its command line."""
    if info.pid == root:
        return "runconsole"
    if "gunicorn" in info.command:
        return "web"  # gunicorn's master and its workers
    if "celery" in info.command:
        return "worker"
    if "manage.py lab" in info.command:
        return "lab"
    return "other"


@dataclass
class ServedConsole:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @classmethod
    def start(cls, scratch: Path) -> ServedConsole:
        """`manage.py runconsole` on free ports, its output in scratch/console.log; the
        environment is this process's (see start_django_as_make_run)."""
        port = free_port()
        log_path = scratch / "console.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [
                    sys.executable,
                    "manage.py",
                    "runconsole",
                    "--port",
                    str(port),
                    "--lab-dns-port",
                    str(free_port(socket.SOCK_DGRAM)),
                    "--lab-smtp-port",
                    str(free_port()),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, to stop and check as one
            )
        return cls(process, port, log_path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def lab_line(self) -> str:
        """What the lab printed once it listened (its addresses), or ""."""
        text = self.log_path.read_text(errors="replace")
        return next((line for line in text.splitlines() if LAB_READY in line), "")

    def wait_until_ready(self, timeout: float) -> None:
        """Until the lab listens and /healthz reports the database, broker and a worker ok;
        RuntimeError if the server exits or the time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"runconsole exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            if self.lab_line() and self._healthy():
                return
            time.sleep(0.5)
        raise RuntimeError(f"the console wasn't ready after {timeout:.0f} s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=10) as response:  # noqa: S310 - our own loopback URL
                return bool(json.load(response).get("status") == "ok")
        except (OSError, ValueError):  # not listening yet, or a 503 while it starts
            return False

    def cpu_seconds(self) -> dict[int, tuple[str, float]]:
        """Each process of the console now: its role and the CPU seconds it has used."""
        root = self.process.pid
        return {p.pid: (role_of(p, root), p.cpu_seconds) for p in process_tree(root)}

    def stop(self, timeout: float = 30) -> list[ProcessInfo]:
        """SIGINT to the whole group, as Ctrl-C in make run's terminal; SIGKILL for what is still
        there after `timeout`. Returns what was left running before the SIGKILL."""
        group = self.process.pid  # the group's id: it leads its own session
        _signal_group(group, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        deadline = time.monotonic() + 5
        while (left := _group_members(group)) and time.monotonic() < deadline:
            time.sleep(0.2)  # runconsole has exited; its children may be finishing
        if left:
            _signal_group(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        return left


def _signal_group(group: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # nothing left in it
        os.killpg(group, signum)


def _group_members(group: int) -> list[ProcessInfo]:
    return [p for p in all_processes() if p.group == group and p.state != "Z"]


def deltas(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds used between two `cpu_seconds` readings, per role (a process started in
    between counts from zero; one that ended in between is lost, so the figure is a floor)."""
    used: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        used[role] = used.get(role, 0.0) + seconds - before.get(pid, (role, 0.0))[1]
    return used
