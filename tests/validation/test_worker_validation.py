"""Validation on a real worker process (not eager mode), reached through the broker as the web
does it: a good run end to end, and a worker killed mid-run that leaves the run interrupted and
never sends a duplicate message when the task is delivered again."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import timedelta

import pytest

from connectors.models import OutboundConnector
from lab.behaviours import Behaviour
from tests.validation.peers import LabServer
from tests.validation.worker_runs import finished, start, wait_for
from tests.workers import current_database_url, lab_worker, manage
from validation import recording
from validation.models import RunStatus
from validation.probe import RUN_HEADER
from validation.tasks import run_validation

__all__ = ["lab_worker"]  # a fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_validates_a_connector_end_to_end(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., object],
) -> None:
    lab = smtp_lab(Behaviour.GOOD)
    lab_worker(lab)
    run = start(connector)
    wait_for(lambda: finished(run))
    assert run.status == RunStatus.SUCCEEDED, [(t.name, t.error, t.cause) for t in run.tasks.all()]
    assert [m.message[RUN_HEADER] for m in lab.messages] == [str(run.pk)]
    connector.refresh_from_db()
    assert connector.is_validated is True


def test_a_killed_worker_leaves_the_run_interrupted_and_redelivery_sends_nothing(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., object],
) -> None:
    silent = smtp_lab(Behaviour.SILENT)  # the worker will sit in the EHLO stage
    doomed = lab_worker(silent)
    run = start(connector)
    wait_for(lambda: run.tasks.filter(name="Connect").exists())
    run.refresh_from_db()
    claimed = run.heartbeat_at
    assert claimed is not None

    def beaten() -> bool:
        run.refresh_from_db()
        return run.heartbeat_at is not None and run.heartbeat_at > claimed

    wait_for(beaten)  # the worker beats while the probe sits in one stage
    os.kill(doomed.pid, signal.SIGKILL)  # type: ignore[attr-defined]
    doomed.wait(timeout=10)  # type: ignore[attr-defined]

    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # nobody has noticed yet
    assert run.heartbeat_at is not None
    assert run.deadline_at is not None
    silent_since = run.heartbeat_at
    # Noticed from the silence of its heartbeat, long before its deadline.
    recording.sweep_interrupted(now=silent_since + recording.HEARTBEAT_STALE / 2)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    noticed = silent_since + recording.HEARTBEAT_STALE + timedelta(seconds=1)
    assert noticed < run.deadline_at
    recording.sweep_interrupted(now=noticed)
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED

    good = smtp_lab(Behaviour.GOOD)
    lab_worker(good)
    run_validation.delay(str(run.pk))  # the broker delivers the killed worker's task again
    later = start(connector)  # queued behind it, so its end proves the redelivery was handled
    wait_for(lambda: finished(later))

    assert [m.message[RUN_HEADER] for m in good.messages] == [str(later.pk)]
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED
    assert not run.tasks.filter(name="Send test email").exists()


def test_the_command_prints_each_task_and_exits_0_when_all_succeeded(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., object],
) -> None:
    lab_worker(smtp_lab(Behaviour.GOOD))
    result = manage(
        {"DATABASE_URL": current_database_url()},
        "validate_connector",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--connector",
        "to the lab",
        "--recipient",
        "john@lab.test",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for name in ("Resolve", "Connect", "SMTP EHLO", "TLS", "Send test email"):
        assert any(line.startswith(name) and "Succeeded" in line for line in lines), result.stdout
    assert "Validation succeeded" in result.stdout


def test_the_command_exits_1_with_the_eac_error_when_a_task_fails(
    connector: OutboundConnector,
    smtp_lab: Callable[..., LabServer],
    lab_worker: Callable[..., object],
) -> None:
    lab_worker(smtp_lab(Behaviour.REFUSED))
    result = manage(
        {"DATABASE_URL": current_database_url()},
        "validate_connector",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--connector",
        "To the lab",
        "--recipient",
        "john@lab.test",
    )
    assert result.returncode == 1
    assert "450 4.4.316 Connection refused" in result.stdout
    assert "Validation failed" in result.stderr


def test_the_command_refuses_an_address_the_connector_does_not_route(
    connector: OutboundConnector,
) -> None:
    result = manage(
        {"DATABASE_URL": current_database_url()},
        "validate_connector",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--connector",
        "To the lab",
        "--recipient",
        "john@fabrikam.com",
    )
    assert result.returncode == 1
    assert "fabrikam.com" in result.stderr
    assert "Traceback" not in result.stderr
