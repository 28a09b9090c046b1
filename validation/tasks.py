"""The Celery task: a thin wrapper that claims a run, runs the probe, and stores what it finds."""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import socket
import threading
import time
from collections.abc import Iterator

import dns.resolver
from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from validation import recording
from validation.models import ValidationRun
from validation.policy import EgressPolicy
from validation.probe import ProbeConfig, TaskResult, TlsMode, run_probe
from validation.services import RUN_TASK

logger = logging.getLogger(__name__)

STAGE_TIMEOUT_SECONDS = 15.0
# How often one worker sweeps for runs whose worker died: they are overdue only 15 seconds
# (recording.GRACE) after their budget, so sweeping before every run would only cost a query.
SWEEP_SECONDS = 5.0
# How often a run asks the database whether someone pressed Stop: before a task, at most this
# often. A stop still ends the run between two tasks; a run on a nearby server, whose tasks take
# milliseconds, no longer spends a query on each.
STOP_CHECK_SECONDS = 0.2


def make_resolver(lifetime: float) -> dns.resolver.Resolver:
    """The operator's nameservers (EAC_DNS_NAMESERVERS), else the system's."""
    nameservers = settings.EAC_DNS_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [ip for ip, _ in nameservers]
        resolver.nameserver_ports = dict(nameservers)
    resolver.timeout = min(2.0, lifetime)
    resolver.lifetime = lifetime
    return resolver


@functools.cache
def helo_name() -> str:
    """This machine's name, for EHLO: asked once per worker, as it may take a DNS lookup."""
    return socket.getfqdn()


def probe_config(run: ValidationRun) -> ProbeConfig:
    target = run.target
    total = float(settings.EAC_PROBE_TIMEOUT_SECONDS)
    use_mx = bool(target["use_mx_record"])
    return ProbeConfig(
        run_id=str(run.id),
        sender=run.tenant.validation_sender,
        recipients=tuple(run.recipients),
        smart_hosts=() if use_mx else tuple(target["smart_hosts"]),
        # MX routing delivers to the recipients' own domains, so those are the MX lookups to make.
        mx_domains=tuple(dict.fromkeys(r.rsplit("@", 1)[1] for r in run.recipients))
        if use_mx
        else (),
        port=settings.EAC_SMTP_PORT,
        tls_mode=TlsMode(target["tls_settings"] or TlsMode.OPPORTUNISTIC),
        tls_domain=target["tls_domain"] or "",
        ca_file=str(settings.EAC_TRUSTED_CA_FILE) if settings.EAC_TRUSTED_CA_FILE else None,
        helo_name=helo_name(),
        stage_timeout=min(STAGE_TIMEOUT_SECONDS, total),
        total_timeout=total,
    )


class _Sweeps:
    """Whether it's time for this worker (all its threads) to sweep again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = -SWEEP_SECONDS

    def due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < SWEEP_SECONDS:
                return False
            self._last = now
            return True


_sweeps = _Sweeps()


class _Heartbeats:
    """One thread per worker process that writes the heartbeat of every run the process is
    running, every recording.HEARTBEAT_SECONDS. A probe can sit in one stage for 15 seconds, so
    the runs' own threads can't be the ones to beat. The thread ends (with its database
    connection) once no run is left."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: set[str] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    @contextlib.contextmanager
    def beating(self, run_id: str) -> Iterator[None]:
        with self._lock:
            self._runs.add(run_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._runs.discard(run_id)

    def _beat(self) -> None:
        try:
            while True:
                self._wake.wait(recording.HEARTBEAT_SECONDS)
                with self._lock:
                    runs = set(self._runs)
                    if not runs:
                        self._thread = None
                        return
                try:
                    close_old_connections()
                    recording.heartbeat(runs)
                except DatabaseError:
                    logger.warning(
                        "Couldn't write the heartbeat of %d runs", len(runs), exc_info=True
                    )
        finally:
            connection.close()  # this thread's own


_heartbeats = _Heartbeats()


class _StopRequested:
    """`should_stop` for the probe: the run's Stop button, read at most every STOP_CHECK_SECONDS
    (the claim has just read it)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._asked = time.monotonic()

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self._asked < STOP_CHECK_SECONDS:
            return False
        self._asked = now
        return recording.stop_requested(self.run_id)


@shared_task(name=RUN_TASK, acks_late=True, ignore_result=True)
def run_validation(run_id: str) -> None:
    if _sweeps.due():
        recording.sweep_interrupted()
    run = recording.validation_claim(run_id)
    if run is None:
        return  # already taken (a redelivery), finished, stopped or gone: never probe twice
    config = probe_config(run)
    counter = itertools.count(1)

    def record(result: TaskResult) -> None:
        recording.validation_record_task(run, next(counter), result)

    with _heartbeats.beating(str(run.pk)):
        outcome = run_probe(
            config,
            resolver=make_resolver(config.stage_timeout),
            policy=EgressPolicy(
                settings.EAC_PROBE_ALLOWED_NETWORKS, lab_only=settings.EAC_PROBE_LAB_ONLY
            ),
            on_task=record,
            should_stop=_StopRequested(run_id),
        )
        recording.validation_finish(run, outcome)
