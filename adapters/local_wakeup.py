"""In-process wake-up for the relay: a save in this process wakes it at once.

PostgreSQL wakes the relay with LISTEN/NOTIFY; SQLite has no notifications, so the relay used
to find new events only at its next poll (0.5 s: hundreds of milliseconds of latency). In
`rjb serve` the writers (Kafka inbound, the HTTP API) share the relay's process and store, so
each save pokes the relay directly. A write from another process (`rjb submit`) is still found
by the poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any


class InProcessWakeup:
    def __init__(self, store: Any) -> None:
        self.event = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wakeups = 0
        self._unsubscribe: Callable[[], None] = store.on_saved(self._poke)

    def _poke(self) -> None:  # from the saving thread
        loop = self.loop
        if loop is not None and not loop.is_closed():
            self.wakeups += 1
            loop.call_soon_threadsafe(self.event.set)

    async def wait(self, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self._unsubscribe()
