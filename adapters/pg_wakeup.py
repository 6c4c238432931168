"""LISTEN/NOTIFY wake-up for the relay on PostgreSQL.

eventsourcing's PostgreSQL recorder NOTIFYs a channel in each insert transaction. The relay
listens so it publishes at once; a lost notification (or a dropped listening connection) only
delays it to the next poll, because the relay polls anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

log = logging.getLogger(__name__)


class PgNotifyWakeup:
    def __init__(self, conninfo: str, channel: str) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self.event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.notifications = 0

    async def listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f'LISTEN "{self.channel}"')
                    async for _ in conn.notifies():
                        self.notifications += 1
                        self.event.set()
            except psycopg.Error as error:
                log.warning("LISTEN %s lost (%r); polling until it reconnects", self.channel, error)
                await asyncio.sleep(1.0)

    async def wait(self, timeout: float) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self.listen())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
