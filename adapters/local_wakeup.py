"""Wake-ups for the relay on SQLite: a save in this process pokes it at once, and a commit by
another process is noticed within a few milliseconds.

PostgreSQL wakes the relay with LISTEN/NOTIFY; SQLite has no notifications, so the relay used
to find new events only at its next poll (0.5 s: hundreds of milliseconds of latency). In
`rjb serve` the writers (Kafka inbound, the HTTP API) share the relay's process and store, so
each save pokes the relay directly. A writer in another process (`rjb serve --no-relays`,
`rjb submit`) is noticed by :class:`DataVersionWatch`: SQLite's ``PRAGMA data_version`` on a
connection of its own changes whenever another connection commits, and reading it is a look at
the WAL index in shared memory (about 6 µs), not a query of the log. A thread of its own looks
every 5 ms while commits come, every 50 ms once none has for a second (an asyncio timer every
5 ms cost 7 % of a core while idle; the thread costs about 1 % at 5 ms, 0.5 % once quiet).
The relay's poll stays as a backstop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

WATCH_INTERVAL = 0.005  # seconds between looks at data_version while commits come
QUIET_INTERVAL = 0.05  # ... and once none has come for QUIET_AFTER seconds
QUIET_AFTER = 1.0


def data_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA data_version").fetchone()[0])


class DataVersionWatch:
    """Calls back, from its own thread, when a commit to one SQLite file is seen."""

    def __init__(
        self, path: str, interval: float = WATCH_INTERVAL, quiet_interval: float = QUIET_INTERVAL
    ) -> None:
        self.path = path
        self.interval = interval
        self.quiet_interval = quiet_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_change: Callable[[], None]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, args=(on_change,), name="sqlite-data-version", daemon=True
            )
            self._thread.start()

    def _run(self, on_change: Callable[[], None]) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)  # opened and used in this thread
        try:
            seen, quiet = data_version(db), 0.0
            while not self._stop.is_set():
                pause = self.interval if quiet < QUIET_AFTER else self.quiet_interval
                time.sleep(pause)  # cheaper than an Event.wait with a timeout
                version = data_version(db)
                if version != seen:
                    seen, quiet = version, 0.0
                    on_change()
                else:
                    quiet += pause
        finally:
            db.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


class InProcessWakeup:
    def __init__(self, store: Any, watch: DataVersionWatch | None = None) -> None:
        self.event = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wakeups = 0  # pokes by saves in this process
        self.noticed = 0  # commits by other processes, seen by the watch
        self.watch = watch
        self._poked = False  # a save here since the watch last saw a change: that was it
        self._unsubscribe: Callable[[], None] = store.on_saved(self._poke)

    def _poke(self) -> None:  # from the saving thread
        self._poked = True
        if self._wake():
            self.wakeups += 1

    def _changed(self) -> None:  # from the watch's thread
        if self._poked:  # our own save, already woken for
            self._poked = False
        elif self._wake():
            self.noticed += 1

    def _wake(self) -> bool:
        loop = self.loop
        if loop is None or loop.is_closed():
            return False
        loop.call_soon_threadsafe(self.event.set)
        return True

    async def wait(self, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        if self.watch is not None:
            self.watch.start(self._changed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self._unsubscribe()
        if self.watch is not None:
            await asyncio.to_thread(self.watch.close)
