"""Word from a worker that a run moved on, so that `validate_connector` needn't keep asking the
database.

With a Redis broker, the worker publishes on the run's own channel after each thing it records
(`announce`, called by `validation.recording` once the write is committed), and a watcher
(`watch`) sleeps until then. The word is only a nudge to read the run again: what a watcher shows
always comes from the database. Other brokers (kombu's filesystem transport, in development) have
no such channel, so there the watcher reads the run every POLL_SECONDS. A nudge that never comes
(Redis restarted between two writes, say) costs a watcher at most NUDGE_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from redis import Redis
    from redis.client import PubSub

logger = logging.getLogger(__name__)

# Without Redis: a few cheap reads by primary key, often enough that the last line appears as soon
# as the worker writes it.
POLL_SECONDS = 0.05
# With Redis: read the run anyway after this long without a word (a lost message, the sweep).
NUDGE_TIMEOUT_SECONDS = 1.0
# A nudge is a nicety: never let an unwell Redis hold a worker (or a watcher) up for long.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


class _Redis:
    """A client for the broker's Redis, and the errors it raises."""

    def __init__(self, url: str) -> None:
        # Imported here, not at the top: only a Redis broker needs it (kombu has loaded it by the
        # time a run is queued), and a command on the filesystem broker starts 0.1 s sooner.
        import redis

        self.client: Redis = redis.Redis.from_url(url, **REDIS_TIMEOUTS)
        self.errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)


@functools.cache
def _redis_for(broker_url: str) -> _Redis | None:
    if urlsplit(broker_url).scheme not in ("redis", "rediss"):
        return None
    return _Redis(broker_url)


def _broker_redis() -> _Redis | None:
    return _redis_for(settings.CELERY_BROKER_URL)


def channel(run_id: str | uuid.UUID) -> str:
    return f"eac:validation-run:{run_id}"


def announce(run_id: str | uuid.UUID) -> None:
    """Tells whoever watches the run that it changed. Never fails the caller: a watcher that
    misses the word reads the run again within NUDGE_TIMEOUT_SECONDS anyway."""
    redis = _broker_redis()
    if redis is None:
        return
    try:
        redis.client.publish(channel(run_id), b"")
    except redis.errors as exc:
        logger.warning("No word to the watchers of validation run %s: %s", run_id, exc)


class Watch:
    """What `watch` yields: `wait()` between two reads of the run."""

    def __init__(self, pubsub: PubSub | None, errors: tuple[type[Exception], ...] = ()) -> None:
        self._pubsub = pubsub
        self._errors = errors

    @property
    def nudged(self) -> bool:
        """True while the worker's word comes through Redis; False when polling."""
        return self._pubsub is not None

    def wait(self, seconds: float = NUDGE_TIMEOUT_SECONDS) -> bool:
        """Until the worker has written something more about the run, at most `seconds` (and
        POLL_SECONDS without Redis). True when the worker said so."""
        if self._pubsub is None:
            time.sleep(max(0.0, min(seconds, POLL_SECONDS)))
            return False
        try:
            message = self._message(max(0.0, min(seconds, NUDGE_TIMEOUT_SECONDS)))
            if message is None:
                return False
            while self._message(0) is not None:
                pass  # a burst of writes: one read of the run covers them all
            return True
        except self._errors as exc:
            logger.warning("Redis went away (%s); reading the run every %s s", exc, POLL_SECONDS)
            self._pubsub = None
            return False

    def _message(self, seconds: float) -> dict[str, Any] | None:
        assert self._pubsub is not None
        message: dict[str, Any] | None = self._pubsub.get_message(timeout=seconds)
        return message if message is not None and message["type"] == "message" else None


@contextlib.contextmanager
def watch(run_id: str | uuid.UUID) -> Iterator[Watch]:
    """Listens for the worker's word about the run. Read the run *after* entering: the
    subscription is confirmed by then, so no write after that read goes unannounced."""
    redis = _broker_redis()
    pubsub = None
    if redis is not None:
        pubsub = redis.client.pubsub()
        try:
            pubsub.subscribe(channel(run_id))
            confirmation = pubsub.get_message(timeout=REDIS_TIMEOUTS["socket_timeout"])
            if confirmation is None or confirmation["type"] != "subscribe":
                raise OSError("Redis didn't confirm the subscription")
        except redis.errors as exc:
            logger.warning("Can't listen for validation run %s (%s); polling", run_id, exc)
            with contextlib.suppress(*redis.errors):
                pubsub.close()
            pubsub = None
    try:
        yield Watch(pubsub, redis.errors if redis is not None else ())
    finally:
        if pubsub is not None and redis is not None:
            with contextlib.suppress(*redis.errors):
                pubsub.close()
