"""How an idle relay waits for the next event: a wake-up from the store (LISTEN/NOTIFY on
PostgreSQL, in process on SQLite) or, without one, its poll interval."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class Wakeup(Protocol):
    async def wait(self, timeout: float) -> None: ...

    async def close(self) -> None: ...


class Polling:
    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(timeout)

    async def close(self) -> None:
        pass


async def pause(wakeup: Wakeup, poll_interval: float, stop: asyncio.Event) -> None:
    """Until a wake-up, the poll interval, or ``stop``, whichever comes first."""
    waiters = {
        asyncio.ensure_future(wakeup.wait(poll_interval)),
        asyncio.ensure_future(stop.wait()),
    }
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
