"""`manage.py validate_connector` end to end, as an admin types it beside a running console; run
by `make bench`.

A worker is already running (the command line `make run` starts, from runconsole) against the
same database and broker, and the lab's STARTTLS server is on loopback. Each run is a fresh
`python manage.py validate_connector …` process: wall time from start to exit, p50 over RUNS, and
its ratio to the target (≤ 0.8 s on Redis). Also shown, to tell where the time goes: the same
process asked only for `--help` (start-up: the interpreter, Django, the command's imports).

The broker is CELERY_BROKER_URL, else a scratch Redis database (redis://127.0.0.1:6379/9); the
database is DATABASE_URL (point it at a scratch PostgreSQL for the production picture), else a
scratch SQLite file.
"""

from __future__ import annotations

import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
scratch = Path(tempfile.mkdtemp(prefix="eac-bench-cli-"))

from tests.validation.peers import Behaviour, DnsLab, lab_ca_in, start_lab_server  # noqa: E402

TARGET_SECONDS = 0.8
RUNS = 10
RECIPIENT = "john@lab.test"

lab_ca = lab_ca_in(scratch)
lab = start_lab_server(lab_ca, Behaviour.GOOD)
dns = DnsLab()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ.update(
    DEBUG="1",
    EAC_VAR_DIR=str(scratch),
    DJANGO_SETTINGS_MODULE="console.settings",
    EAC_SMTP_PORT=str(lab.port),
    EAC_DNS_NAMESERVERS=f"127.0.0.1:{dns.port}",
    EAC_TRUSTED_CA_FILE=lab_ca.pem_path,
    EAC_PROBE_ALLOWED_NETWORKS="127.0.0.0/8",
)

import django  # noqa: E402

django.setup()
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every command

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from console.management.commands.runconsole import worker_command  # noqa: E402
from eac import services as tenancy  # noqa: E402
from tests.conftest import make_outbound  # noqa: E402

COMMAND = [
    sys.executable,
    "manage.py",
    "validate_connector",
    "--tenant",
    "bench.onmicrosoft.com",
    "--connector",
    "Bench",
    "--recipient",
    RECIPIENT,
]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall time and CPU time of one run of `argv`."""
    cpu = children_cpu()
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[2:])} failed:\n{result.stdout}{result.stderr}")
    return elapsed, children_cpu() - cpu


def main() -> None:
    call_command("migrate", verbosity=0)
    tenant = tenancy.tenant_create(name="Bench", initial_label="bench")
    make_outbound(
        tenant,
        "Bench",
        smart_hosts=["smarthost.lab.test"],
        recipient_domains=["lab.test"],
        tls_settings="DomainValidation",
        tls_domain="smarthost.lab.test",
    )
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        worker_command("--loglevel=WARNING", f"--hostname=benchcli{os.getpid()}@%h"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        call_command("ping_worker", "--timeout", "60", stdout=open(os.devnull, "w"))  # noqa: SIM115
        timed(COMMAND)  # warm-up: the interpreter's and the worker's caches
        startup = [timed([*COMMAND, "--help"]) for _ in range(RUNS)]
        runs = [timed(COMMAND) for _ in range(RUNS)]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        lab.stop()
        dns.stop()
    walls = sorted(wall for wall, _ in runs)
    p50 = statistics.median(walls)
    print(
        f"broker: {settings.CELERY_BROKER_URL.split(':')[0]}; database: {connection.vendor}; "
        f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}); a worker already running"
    )
    print(
        f"validate_connector --help (start-up only), p50 of {RUNS}: "
        f"{statistics.median(w for w, _ in startup) * 1000:7.1f} ms, "
        f"CPU {statistics.median(c for _, c in startup) * 1000:.0f} ms"
    )
    print(
        f"validate_connector end to end, p50 of {RUNS}:         {p50 * 1000:7.1f} ms, "
        f"CPU {statistics.median(c for _, c in runs) * 1000:.0f} ms "
        f"(wall min {walls[0] * 1000:.0f}, max {walls[-1] * 1000:.0f}) "
        f"= {p50 / TARGET_SECONDS:.2f}× the {TARGET_SECONDS:g} s target"
    )


if __name__ == "__main__":
    main()
