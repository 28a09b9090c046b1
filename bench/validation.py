"""Validation benchmarks against a loopback STARTTLS server, run by `make bench`:

(a) one validation versus swaks running the same dialogue (EHLO, STARTTLS, MAIL, RCPT, DATA):
    the probe alone, and queue-to-result through a worker; target ≤ 1.5× swaks;
(b) 100 validations started at once on two worker processes sharing the broker, relative to one
    validation through the same workers; target ≤ 10× (≤ 4× with EAC_BENCH_RTT_MS=50);
(c) the workers' peak memory;
(d) the workers' own CPU per validation over the burst (user + system time of the worker
    processes, from /proc), apart from the peers' (the lab server, the latency proxy and the DNS
    server, in a process of their own) and this process's (queueing the runs, waiting for them).
EAC_BENCH_RTT_MS puts the server that many milliseconds away (a proxy holds traffic back), which
is where overlapping I/O matters; on plain loopback the two cores are the limit. The workers are
started with the command line `make run` uses (runconsole), with CONCURRENCY threads each unless
EAC_WORKER_CONCURRENCY says otherwise.
Uses a scratch SQLite database and the filesystem broker unless DATABASE_URL/CELERY_BROKER_URL
point elsewhere (a scratch PostgreSQL and Redis give the production picture).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
scratch = Path(tempfile.mkdtemp(prefix="eac-bench-validation-"))


from tests.validation.peers import (  # noqa: E402
    Behaviour,
    DnsLab,
    LabCA,
    lab_ca_in,
    start_lab_server,
)

RTT_SECONDS = float(os.environ.get("EAC_BENCH_RTT_MS", "0")) / 1000
# Threads per worker: enough that the burst's 100 runs take two turns on the two workers.
CONCURRENCY = 32


class LatencyProxy:
    """Forwards TCP to the lab server, holding each chunk back by half a round trip each way, so
    the probe sees a server `RTT_SECONDS` away instead of one on loopback."""

    def __init__(self, upstream_port: int, rtt: float) -> None:
        self.upstream_port, self.delay = upstream_port, rtt / 2
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0)
        )
        self.port = self.server.sockets[0].getsockname()[1]
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


def serve_peers(lab_ca: LabCA, rtt: float, pipe: Connection) -> None:
    """The lab's SMTP server, the latency proxy and the DNS server, in a process of their own: in
    this one they would share its interpreter lock with the loop that starts the runs, and hold
    the burst back more than the workers do. Sends the SMTP and DNS ports, serves until told."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every command
    logging.getLogger("lab.smtp").setLevel(logging.WARNING)  # and the lab every message
    lab = start_lab_server(lab_ca, Behaviour.GOOD)
    dns = DnsLab()
    pipe.send((LatencyProxy(lab.port, rtt).port if rtt else lab.port, dns.port))
    pipe.recv()
    lab.stop()
    dns.stop()


# The lab first: its ports go into the settings the workers read at start-up.
lab_ca = lab_ca_in(scratch)
ca_path = Path(lab_ca.pem_path)
peers_pipe, child_pipe = multiprocessing.get_context("fork").Pipe()
peers = multiprocessing.get_context("fork").Process(
    target=serve_peers, args=(lab_ca, RTT_SECONDS, child_pipe), daemon=True
)
peers.start()
assert peers.pid is not None  # started
peers_pid = peers.pid
smtp_port, dns_port = peers_pipe.recv()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
os.environ.update(
    DEBUG="1",
    EAC_VAR_DIR=str(scratch),
    DJANGO_SETTINGS_MODULE="console.settings",
    EAC_SMTP_PORT=str(smtp_port),
    EAC_DNS_NAMESERVERS=f"127.0.0.1:{dns_port}",
    EAC_TRUSTED_CA_FILE=str(ca_path),
    EAC_PROBE_ALLOWED_NETWORKS="127.0.0.0/8",
    EAC_WORKER_CONCURRENCY=os.environ.get("EAC_WORKER_CONCURRENCY", str(CONCURRENCY)),
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from console.management.commands.runconsole import worker_command  # noqa: E402
from eac import services as tenancy  # noqa: E402
from tests.conftest import make_outbound  # noqa: E402
from validation import services  # noqa: E402
from validation.models import ValidationRun  # noqa: E402
from validation.policy import EgressPolicy  # noqa: E402
from validation.probe import run_probe  # noqa: E402
from validation.tasks import make_resolver, probe_config  # noqa: E402

SWAKS = shutil.which("swaks") or "swaks"
REPEATS = 20
BURST = 100
RECIPIENT = "john@lab.test"


def median_seconds(action: object, repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def swaks_once() -> None:
    subprocess.run(  # noqa: S603
        [
            SWAKS,
            "--server",
            f"127.0.0.1:{smtp_port}",
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            str(ca_path),
            "--ehlo",
            "localhost",
            "--from",
            "O365ConnectorValidation@bench.onmicrosoft.com",
            "--to",
            RECIPIENT,
            "--header",
            "X-EAC-Validation-Run: bench",
            "--timeout",
            "10",
        ],
        check=True,
        capture_output=True,
    )


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    workers = [
        subprocess.Popen(  # noqa: S603
            worker_command("--loglevel=WARNING", f"--hostname=bench{i}@%h"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    call_command("ping_worker", "--timeout", "60", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return workers


def wait_finished(runs: list[ValidationRun], limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    ids = [run.pk for run in runs]
    while ValidationRun.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise SystemExit("validations did not finish in time")
        time.sleep(0.05)
    failed = ValidationRun.objects.filter(pk__in=ids).exclude(status="succeeded").count()
    if failed:
        raise SystemExit(f"{failed} validation(s) did not succeed")


def worker_pids(workers: list[subprocess.Popen[bytes]]) -> list[int]:
    """Each worker's main process and its pool children (a prefork pool has some)."""
    pids = [w.pid for w in workers]
    for pid in list(pids):
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            pids += [int(child) for child in task.read_text().split()]
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of the processes, with their children that ended (/proc/<pid>/stat:
    utime, stime, cutime, cstime)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_mib(workers: list[subprocess.Popen[bytes]]) -> float:
    """Sum of VmHWM over each worker's main process and its pool children."""
    total_kib = 0
    for pid in worker_pids(workers):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def main() -> None:
    call_command("migrate", verbosity=0)
    tenant = tenancy.tenant_create(name="Bench", initial_label="bench")
    connector = make_outbound(
        tenant,
        "Bench",
        smart_hosts=["smarthost.lab.test"],
        recipient_domains=["lab.test"],
        tls_settings="DomainValidation",
        tls_domain="smarthost.lab.test",
    )

    def start_run() -> ValidationRun:
        return services.validation_start(
            tenant=tenant, actor=None, connector=connector, recipients=[RECIPIENT]
        )

    probe_run = ValidationRun.objects.create(
        tenant=tenant, connector=None, target=services.target_of(connector), recipients=[RECIPIENT]
    )
    config = probe_config(probe_run)
    policy = EgressPolicy(django.conf.settings.EAC_PROBE_ALLOWED_NETWORKS)
    probe_alone = median_seconds(
        lambda: run_probe(config, resolver=make_resolver(5.0), policy=policy)
    )
    print(
        f"broker: {django.conf.settings.CELERY_BROKER_URL.split(':')[0]}; database: "
        f"{django.db.connection.vendor}; {os.cpu_count()} cores; round trip to the server: "
        f"{RTT_SECONDS * 1000:.0f} ms (EAC_BENCH_RTT_MS)"
    )
    print(f"(a) probe alone, median of {REPEATS}:            {probe_alone * 1000:8.1f} ms")
    if shutil.which("swaks"):
        swaks = median_seconds(swaks_once)
        print(f"    swaks, same dialogue, median of {REPEATS}:   {swaks * 1000:8.1f} ms")
        print(
            f"    ratio probe / swaks:                   {probe_alone / swaks:8.2f}  (target ≤ 1.5)"
        )
    else:
        swaks = None
        print("    swaks is not installed (apt-get install swaks); no comparison")

    workers = start_workers(2)
    try:

        def one_through_workers() -> None:
            wait_finished([start_run()])

        single = median_seconds(one_through_workers, repeats=10)
        print(
            f"    queue to result on a worker, median of 10: {single * 1000:6.1f} ms"
            + (f"  (ratio to swaks {single / swaks:.2f})" if swaks else "")
        )
        pids = worker_pids(workers)
        before = cpu_seconds(pids), cpu_seconds([peers_pid]), own_cpu_seconds()
        started = time.perf_counter()
        runs = [start_run() for _ in range(BURST)]
        queued = time.perf_counter() - started
        wait_finished(runs)
        burst = time.perf_counter() - started
        workers_cpu, peers_cpu, own_cpu = (
            cpu_seconds(pids) - before[0],
            cpu_seconds([peers_pid]) - before[1],
            own_cpu_seconds() - before[2],
        )
        target = 4 if RTT_SECONDS else 10
        print(
            f"(b) {BURST} validations at once, 2 workers:    {burst * 1000:8.1f} ms "
            f"= {burst / single:.1f}× one validation  (target ≤ {target}×; all queued "
            f"after {queued * 1000:.0f} ms)"
        )
        print(f"(c) workers' peak memory (2 × main + pool): {peak_memory_mib(workers):8.1f} MiB")
        print(
            f"(d) workers' CPU per validation:            {workers_cpu / BURST * 1000:8.1f} ms"
            f"  (the lab server, proxy and DNS: {peers_cpu / BURST * 1000:.1f} ms; "
            f"queueing and waiting here: {own_cpu / BURST * 1000:.1f} ms)"
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        peers_pipe.send("stop")
        peers.join(timeout=30)


if __name__ == "__main__":
    main()
