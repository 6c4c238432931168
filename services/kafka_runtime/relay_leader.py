"""One relay leader among several `rjb serve` processes on one store and one cluster.

Every process runs the inbound subscribers (the consumer group shares the partitions) and
competes for the leader lock; only the holder runs the relays. A follower tries again every
``interval`` seconds, so when the leader dies (its lock released with its connection or file)
another process is publishing within about that interval plus a relay start. A leader that can
no longer confirm it holds the lock stops relaying at once rather than risk two relays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from adapters.leader_lock import LeaderLock
from services.kafka_runtime.relay import Relay

log = logging.getLogger(__name__)


class RelayLeadership:
    def __init__(
        self, make_relays: Callable[[], list[Relay]], lock: LeaderLock, interval: float = 2.0
    ) -> None:
        self.make_relays = make_relays
        self.relays: list[Relay] = []  # this term's relays (none while following)
        self.lock = lock
        self.interval = interval
        self.leading = False
        self.terms = 0  # how many times this process became leader
        self.last_error: str | None = None  # why the last term ended in an error, if one did

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: lead when the lock can be had, follow otherwise. A relay that stops
        with an error (the store unreachable while it saves its position, say) ends this term,
        not the process: the lock is released and taken again after ``interval``."""
        try:
            while not stop.is_set():
                if not await self.lock.try_acquire():
                    await wait(stop, self.interval)
                    continue
                try:
                    await self.lead(stop)
                except Exception as error:
                    self.last_error = f"{type(error).__name__}: {error}"
                    log.error(
                        "relay leader: a relay stopped (%s); stepping down, trying again in %g s",
                        self.last_error,
                        self.interval,
                        exc_info=error,
                    )
                    await wait(stop, self.interval)
        finally:
            await self.lock.release()

    async def lead(self, stop: asyncio.Event) -> None:
        self.leading, self.terms = True, self.terms + 1
        log.warning("relay leader: this process now publishes the log")
        step_down = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        self.relays = self.make_relays()  # fresh each term: a stopped relay is not reused
        try:
            for relay in self.relays:
                await relay.start()
            tasks = [asyncio.create_task(relay.run(step_down)) for relay in self.relays]
            while not stop.is_set():
                await wait(stop, self.interval)
                failed = [t for t in tasks if t.done()]
                if failed:
                    failed[0].result()  # a relay that stopped by itself: raise its error
                if not await self.lock.still_held():
                    log.error("relay leader: lock lost; no longer publishing")
                    break
        finally:
            step_down.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for relay in self.relays:
                with contextlib.suppress(Exception):
                    await relay.stop()
            await self.lock.release()
            self.leading = False


async def wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
