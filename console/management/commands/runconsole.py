"""`make run`: the web server, a Celery worker and the built-in lab (a mail server and a DNS
server on 127.0.0.1, so validation works out of the box), all stopped together by Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.env import env_bool
from console.running import environment_file, write_environment
from lab.front_door import free_front_door_port, front_door_port_free
from lab.server import (
    DEFAULT_DNS_PORT,
    DEFAULT_SMTP_PORT,
    free_lab_ports,
    lab_environment,
    lab_ports_free,
)


class Command(BaseCommand):
    help = "Serve the console with a Celery worker and the lab beside it (development and demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-lab", action="store_true", help="Don't start the lab servers.")
        parser.add_argument("--lab-dns-port", type=int, help=f"default {DEFAULT_DNS_PORT}")
        parser.add_argument("--lab-smtp-port", type=int, help=f"default {DEFAULT_SMTP_PORT}")
        parser.add_argument(
            "--front-door-port", type=int, help="default EAC_FRONT_DOOR_PORT (2526)"
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: str,
        no_lab: bool,
        lab_dns_port: int | None,
        lab_smtp_port: int | None,
        front_door_port: int | None,
        **options: Any,
    ) -> None:
        # Ctrl-C or a TERM from a supervisor stop everything, even when started from a shell that
        # made this process ignore SIGINT (background jobs of a non-interactive shell).
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        shared = environment_file(settings.BASE_DIR, os.environ)
        write_environment(shared, os.environ)
        processes: list[subprocess.Popen[bytes] | WorkerKeeper] = []
        worker_env = dict(os.environ)
        if not no_lab:
            lab_dns_port, lab_smtp_port = lab_ports(lab_dns_port, lab_smtp_port)
            front_door_port = front_door(front_door_port)
            lab = lab_environment(settings.VAR_DIR, lab_dns_port, lab_smtp_port)
            worker_env = lab_worker_environment(os.environ, lab)
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    [
                        sys.executable,
                        "manage.py",
                        "lab",
                        "--dns-port",
                        str(lab_dns_port),
                        "--smtp-port",
                        str(lab_smtp_port),
                        "--front-door-port",
                        str(front_door_port),
                    ]
                )
            )
        worker = WorkerKeeper(worker_env, self.stderr.write)
        processes.append(worker)
        web = subprocess.Popen(_web_server(host, port))  # noqa: S603 - our own interpreter
        processes.append(web)
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            self.style.SUCCESS(f"EAC console: http://{shown_host}:{port}/  (Ctrl-C stops it)")
        )
        if not no_lab:
            self.stdout.write(
                f"Lab: mail server on 127.0.0.x:{lab_smtp_port}, DNS on 127.0.0.1:{lab_dns_port}"
            )
            self.stdout.write(
                f"Front door (Office 365 for every organization): 127.0.0.1:{front_door_port}"
            )
        try:
            while web.poll() is None and worker.keep_running():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    web.wait(timeout=1)
        except KeyboardInterrupt:
            pass
        finally:
            shared.unlink(missing_ok=True)
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


class WorkerKeeper:
    """The Celery worker beside the web server, started again when it stops (a crash, the OOM
    killer, a kill by hand): without it, validations would queue and never run. If it stops
    RESTARTS_PER_MINUTE times within a minute, something is wrong that restarting won't mend,
    and the console stops and says so. Looks like a Popen to the shutdown below."""

    RESTARTS_PER_MINUTE = 3

    def __init__(self, environ: dict[str, str], say: Callable[[str], object]) -> None:
        self._environ, self._say = environ, say
        self._restarts: list[float] = []
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(worker_command("--loglevel=INFO"), env=self._environ)  # noqa: S603

    def keep_running(self) -> bool:
        """False when the worker stopped too often to start it again."""
        code = self.process.poll()
        if code is None:
            return True
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < 60]
        if len(self._restarts) >= self.RESTARTS_PER_MINUTE:
            self._say(
                f"The Celery worker stopped again (exit code {code}), {len(self._restarts) + 1} "
                "times within a minute: stopping the console. Its messages above say why."
            )
            return False
        self._say(f"The Celery worker stopped (exit code {code}); starting it again.")
        self._restarts.append(now)
        self.process = self._start()
        return True

    def poll(self) -> int | None:
        return self.process.poll()

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()


def lab_ports(dns_port: int | None, smtp_port: int | None) -> tuple[int, int]:
    """The lab's ports: those asked for, else the defaults, else free ones (another console on
    this machine has the defaults, and this console's worker must reach its own lab, whose CA
    it trusts). Ports asked for that are taken stop the console with a message that says so."""
    asked = dns_port is not None or smtp_port is not None
    dns_port, smtp_port = dns_port or DEFAULT_DNS_PORT, smtp_port or DEFAULT_SMTP_PORT
    if lab_ports_free(dns_port, smtp_port):
        return dns_port, smtp_port
    if asked:
        raise CommandError(
            f"The lab's ports are taken (DNS {dns_port}/udp or mail {smtp_port}/tcp on "
            "127.0.0.x): another console's lab? Choose others with --lab-dns-port and "
            "--lab-smtp-port, or leave them out and free ones are picked."
        )
    return free_lab_ports()


def front_door(port: int | None) -> int:
    """The front door's port: the one asked for, else EAC_FRONT_DOOR_PORT, else a free one when
    another console's front door has it. A port asked for that is taken stops the console."""
    wanted = port or settings.EAC_FRONT_DOOR_PORT
    if front_door_port_free(wanted):
        return int(wanted)
    if port is not None:
        raise CommandError(
            f"The front door's port {port}/tcp on 127.0.0.1 is taken: another console's lab? "
            "Choose another with --front-door-port, or leave it out and a free one is picked."
        )
    return free_front_door_port()


def lab_worker_environment(environ: Mapping[str, str], lab: Mapping[str, str]) -> dict[str, str]:
    """The worker's environment with the lab as the default target. Settings the user made win,
    and someone who points the probe somewhere themselves isn't confined to the lab; the lab's
    loopback allowance goes with that confinement (docs/validation.md, "Egress policy"), or the
    probe could reach both the internet and any mail server on this machine."""
    lab = dict(lab)
    if any(name in environ for name in lab):
        lab.pop("EAC_PROBE_LAB_ONLY")
        if not env_bool("EAC_PROBE_LAB_ONLY", False, environ):
            lab.pop("EAC_PROBE_ALLOWED_NETWORKS")
    return dict(environ) | {name: value for name, value in lab.items() if name not in environ}


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def worker_command(*options: str) -> list[str]:
    """The Celery worker, as production starts it (README, "More workers"): the pool of threads
    and its size (EAC_WORKER_CONCURRENCY) come from the settings. Without mingle and gossip: the
    console never revokes tasks, so a worker needn't wait a second at start-up for the others'
    lists, nor follow every other worker's heartbeats while it runs."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "console",
        "worker",
        "--without-mingle",
        "--without-gossip",
        *options,
    ]


def _web_server(host: str, port: str) -> list[str]:
    """Gunicorn, as in production (README): a process per core, threads for the requests that
    wait (polls, the database), and the access log on the terminal as runserver printed it.
    https://docs.gunicorn.org/en/stable/design.html#how-many-workers"""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "console.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(os.cpu_count() or 1),
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        # No control socket in the home directory: two consoles on one machine would share it.
        "--no-control-socket",
    ]
