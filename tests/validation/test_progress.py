"""The worker's word that a run moved on (validation.progress): through Redis when the broker is
Redis, so `validate_connector` wakes as soon as the worker has written; a short poll of the
database otherwise, or when Redis can't be reached. The Redis cases use the suite's Redis broker
(CI's); without one they are skipped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.models import OutboundConnector
from eac.models import Tenant
from tests.conftest import closed_port, make_outbound
from validation import progress, recording, services
from validation.models import ValidationRun
from validation.probe import ProbeOutcome, TaskName, TaskResult, TaskStatus

pytestmark = pytest.mark.django_db

REDIS = os.environ.get("CELERY_BROKER_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS.startswith("redis"), reason="needs CELERY_BROKER_URL=redis://… (as in CI)"
)


@pytest.fixture
def run(contoso: Tenant) -> ValidationRun:
    connector: OutboundConnector = make_outbound(
        contoso, "To the lab", smart_hosts=["smarthost.lab.test"], recipient_domains=["lab.test"]
    )
    return ValidationRun.objects.create(
        tenant=contoso,
        connector=connector,
        target=services.target_of(connector),
        recipients=["john@lab.test"],
        status="running",
    )


def _resolved() -> TaskResult:
    return TaskResult(
        name=TaskName.RESOLVE,
        host="smarthost.lab.test",
        address="",
        status=TaskStatus.SUCCEEDED,
        started=datetime.now(UTC),
        duration_ms=1,
    )


def test_without_redis_a_watcher_reads_the_run_again_after_a_short_poll(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    with progress.watch(uuid.uuid4()) as watch:
        assert watch.nudged is False
        assert watch.wait(30) is False  # after POLL_SECONDS, not 30 s
    progress.announce(uuid.uuid4())  # nobody to tell: nothing happens


def test_an_unreachable_redis_never_fails_the_worker_and_the_watcher_polls(
    settings: Any,
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    progress.announce(uuid.uuid4())  # logged, not raised
    with progress.watch(uuid.uuid4()) as watch:
        assert watch.nudged is False
        assert watch.wait(30) is False


@needs_redis
def test_a_task_the_worker_records_wakes_the_watcher_of_its_run(
    settings: Any,
    run: ValidationRun,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.CELERY_BROKER_URL = REDIS
    with progress.watch(run.pk) as watch:
        assert watch.nudged is True
        with django_capture_on_commit_callbacks(execute=True):
            recording.validation_record_task(run, 1, _resolved())
        assert watch.wait(30) is True
        with django_capture_on_commit_callbacks(execute=True):
            recording.validation_finish(run, ProbeOutcome(tasks=(_resolved(),), transcript=()))
        assert watch.wait(30) is True
    run.refresh_from_db()
    assert run.is_finished  # what the watcher reads is the database's


@needs_redis
def test_the_word_is_said_only_once_the_write_is_committed(
    settings: Any,
    run: ValidationRun,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.CELERY_BROKER_URL = REDIS
    with progress.watch(run.pk) as watch:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            recording.validation_record_task(run, 1, _resolved())
        assert watch.wait(0.2) is False  # still in the transaction: a reader wouldn't see it
        for callback in callbacks:
            callback()
        assert watch.wait(30) is True


@needs_redis
def test_a_watcher_hears_only_of_its_own_run(settings: Any) -> None:
    settings.CELERY_BROKER_URL = REDIS
    mine, other = uuid.uuid4(), uuid.uuid4()
    with progress.watch(mine) as watch:
        progress.announce(other)
        assert watch.wait(0.2) is False
        progress.announce(mine)
        progress.announce(mine)
        assert watch.wait(30) is True
        assert watch.wait(0.2) is False  # both said at once: one read covers them
