"""/healthz: can this console reach its database, its broker, and at least one worker?

Every check has a short deadline: a load balancer or an operator must get an answer in a few
seconds even when Redis is black-holed, because redis-py on its own would wait forever.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from console.celery import app as celery_app

BROKER_DEADLINE_SECONDS = 3
WORKER_PING_SECONDS = 1.0

# One long-lived thread for broker checks, so a hung check cannot pile up threads per request.
_broker_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")


def check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms_since(started)}


def broker_label(url: str) -> str:
    """The broker's scheme and host, never its password."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def _check_broker_and_workers() -> tuple[dict[str, Any], dict[str, Any]]:
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_DEADLINE_SECONDS)
    except Exception as exc:
        broker = {
            "ok": False,
            "url": broker_label(settings.CELERY_BROKER_URL),
            "error": type(exc).__name__,
        }
        return broker, {"ok": False, "workers": [], "error": "broker unreachable"}
    broker = {"ok": True, "url": broker_label(settings.CELERY_BROKER_URL), "ms": _ms_since(started)}
    replies = celery_app.control.ping(timeout=WORKER_PING_SECONDS) or []
    workers = sorted(name for reply in replies for name in reply)
    return broker, {"ok": bool(workers), "workers": workers}


def check_broker_and_workers() -> tuple[dict[str, Any], dict[str, Any]]:
    future = _broker_checks.submit(_check_broker_and_workers)
    try:
        return future.result(timeout=BROKER_DEADLINE_SECONDS + WORKER_PING_SECONDS + 1)
    except FutureTimeout:
        broker = {
            "ok": False,
            "url": broker_label(settings.CELERY_BROKER_URL),
            "error": "timed out",
        }
        return broker, {"ok": False, "workers": [], "error": "broker unreachable"}


def health_report() -> dict[str, Any]:
    database = check_database()
    broker, worker = check_broker_and_workers()
    healthy = database["ok"] and broker["ok"] and worker["ok"]
    return {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        "worker": worker,
    }


class _LastReport:
    """The last report, shared by the requests of this process. A caller finding it older than
    REPORT_MAX_AGE_SECONDS refreshes it; callers arriving meanwhile get the last one rather than
    wait (twenty load-balancer probes at once mustn't each ping the workers and hold a thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._taken = 0.0

    def get(self) -> dict[str, Any]:
        if self._fresh() or not self._lock.acquire(blocking=self._report is None):
            return self._report  # type: ignore[return-value]  # only the very first callers wait
        try:
            if not self._fresh():  # unless the caller before us has just taken it
                self._report, self._taken = health_report(), time.monotonic()
        finally:
            self._lock.release()
        return self._report  # type: ignore[return-value]

    def _fresh(self) -> bool:
        return self._report is not None and time.monotonic() - self._taken < REPORT_MAX_AGE_SECONDS

    def forget(self) -> None:
        """For tests that point the console at another broker."""
        self._report = None


last_report = _LastReport()
REPORT_MAX_AGE_SECONDS = 5


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Anyone (a load balancer) gets ok or degraded; staff also get what is behind it, and the
    `healthcheck` command always checks afresh."""
    report = last_report.get()
    shown = report if request.user.is_staff else {"status": report["status"]}
    # Only a dead database makes the web tier useless; a missing worker only stops validation.
    return JsonResponse(shown, status=200 if report["database"]["ok"] else 503)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
