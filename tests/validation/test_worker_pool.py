"""Validation on the worker as `make run` and production start it (runconsole's worker command:
a pool of threads, several runs at once in one process). Celery's time limits don't apply in that
pool, so the run's own deadline must hold; Stop must still end each run between two tasks; and
`validate_connector` must report the result once the worker has written it, on either broker
(through Redis when the broker is Redis, by reading the database otherwise)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.models import OutboundConnector
from console.management.commands.runconsole import worker_command
from lab.behaviours import Behaviour
from tests.validation.peers import DnsLab, LabCA, LabServer
from tests.validation.worker_runs import finished, start, wait_for
from tests.workers import ROOT, current_database_url, manage, stop_process
from validation import services
from validation.models import RunStatus, ValidationRun
from validation.probe import CONNECTION_TIMED_OUT, RUN_HEADER

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BROKERS = ["filesystem://"]
if os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
    BROKERS.append(os.environ["CELERY_BROKER_URL"])  # CI: the suite's Redis as well

StartWorker = Callable[..., dict[str, str]]


@pytest.fixture
def pool_worker(tmp_path: Path, dns_lab: DnsLab, lab_ca: LabCA) -> Iterator[StartWorker]:
    """start(server, *, total_seconds=20, broker=None) starts the production worker (4 threads)
    with its probe aimed at `server`, and returns the environment a command beside it needs. With
    `broker`, worker and command use that broker (and queue folders of their own); without, the
    suite's, as this process does."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        server: LabServer, *, total_seconds: int = 20, broker: str | None = None
    ) -> dict[str, str]:
        environ = {
            "DATABASE_URL": current_database_url(),
            "EAC_SMTP_PORT": str(server.port),
            "EAC_DNS_NAMESERVERS": f"127.0.0.1:{dns_lab.port}",
            "EAC_TRUSTED_CA_FILE": lab_ca.pem_path,
            "EAC_PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
            "EAC_PROBE_TIMEOUT_SECONDS": str(total_seconds),
            "EAC_WORKER_CONCURRENCY": "4",
        }
        if broker is not None:
            environ |= {"CELERY_BROKER_URL": broker, "EAC_VAR_DIR": str(tmp_path / "var")}
        name = f"pool{len(started)}-{os.getpid()}"
        with (tmp_path / f"{name}.log").open("w") as log:
            started.append(
                subprocess.Popen(
                    worker_command("--loglevel=INFO", f"--hostname={name}@%h"),
                    cwd=ROOT,
                    env=os.environ | environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        return environ

    yield start
    for worker in started:
        stop_process(worker)


def test_one_worker_runs_validations_side_by_side_and_stop_ends_each_between_tasks(
    connector: OutboundConnector, smtp_lab: Callable[..., LabServer], pool_worker: StartWorker
) -> None:
    pool_worker(smtp_lab(Behaviour.SILENT), total_seconds=8)  # each run waits at SMTP EHLO
    first, second = start(connector), start(connector)
    wait_for(lambda: first.tasks.filter(name="Connect").exists())
    # Side by side: one after the other, the second would wait out the first's 8 seconds.
    wait_for(lambda: second.tasks.filter(name="Connect").exists(), seconds=4)

    services.validation_stop(first)
    services.validation_stop(second)

    wait_for(lambda: finished(first) and finished(second))
    for run in (first, second):
        assert run.status == RunStatus.CANCELLED  # stopped, not failed by its time budget
        assert not run.tasks.filter(name="Send test email", status="Succeeded").exists()
    connector.refresh_from_db()
    assert connector.last_validation_timestamp is None  # a stopped run says nothing either way


def test_the_runs_own_deadline_ends_a_tarpit_in_the_threads_pool(
    connector: OutboundConnector, smtp_lab: Callable[..., LabServer], pool_worker: StartWorker
) -> None:
    # The greeting trickles a byte a second, so no read ever times out: only the run's 3-second
    # budget ends it (the pool has no Celery time limit to do it instead).
    pool_worker(smtp_lab(Behaviour.TARPIT), total_seconds=3)
    run = start(connector)

    wait_for(lambda: finished(run))

    assert run.status == RunStatus.FAILED
    ehlo = run.tasks.get(name="SMTP EHLO")
    assert (ehlo.status, ehlo.error) == ("Failed", CONNECTION_TIMED_OUT)
    assert "3-second time budget" in ehlo.cause
    assert run.finished_at is not None
    assert run.deadline_at is not None
    assert run.finished_at < run.deadline_at  # ended by the probe, not left for the sweep


@pytest.mark.parametrize("broker", BROKERS, ids=lambda url: url.split(":")[0])
def test_the_command_prints_the_result_the_worker_wrote(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    pool_worker: StartWorker,
    broker: str,
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    environ = pool_worker(lab, broker=broker)

    result = manage(
        environ,
        "validate_connector",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--connector",
        "To the lab",
        "--recipient",
        "john@lab.test",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    run = ValidationRun.objects.get(connector=connector)
    assert run.status == RunStatus.SUCCEEDED
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        task.name.split()[0] for task in run.tasks.order_by("seq")
    ]  # one line per task the worker recorded, in order
    assert lines[-1] == f"Validation succeeded ({run.pk})."
    assert [m.message[RUN_HEADER] for m in lab.messages] == [str(run.pk)]
