"""An asyncio event loop served on a thread of its own, for the lab's servers (lab.smtp,
lab.front_door), which the rest of the console drives from ordinary threads. Plain Python."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# How long starting or stopping a server may take before the caller hears of it.
CALL_TIMEOUT_SECONDS = 10


class LoopThread:
    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Runs `coroutine` on the loop and waits for its result, from any other thread."""
        assert self._loop is not None, "start() first"
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=CALL_TIMEOUT_SECONDS)

    def stop(self, shut_down: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Runs `shut_down()` on the loop (its errors are the servers' to log), then ends the loop
        and its thread. False if it wasn't running."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return False
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shut_down(), loop).result(CALL_TIMEOUT_SECONDS)
        self._loop = self._thread = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
        return True
