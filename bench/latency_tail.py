"""A plain consumer of the case-event topic that notes when each case's first event arrives."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.cloudevents import attributes


class CaseEventTail:
    """Assigned every partition (no group), from the end. Per case id, its first event's arrival
    (``seen``, perf_counter) and when the backbone recorded it (``recorded``, the event's own
    timestamp, epoch seconds): the split between inbound and relay."""

    def __init__(self, connection: dict[str, Any], topic: str, fetch_wait_ms: int = 10) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(
            **connection, enable_auto_commit=False, fetch_max_wait_ms=fetch_wait_ms
        )
        self.seen: dict[str, float] = {}
        self.recorded: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        deadline = time.monotonic() + 10
        while not self.consumer.partitions_for_topic(self.topic) and time.monotonic() < deadline:
            await self.consumer._client.force_metadata_update()  # a new topic's metadata
            await asyncio.sleep(0.1)
        partitions = sorted(self.consumer.partitions_for_topic(self.topic) or ())
        tps = [TopicPartition(self.topic, p) for p in partitions]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self.task = asyncio.create_task(self.follow())

    async def follow(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=50)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    case = attributes(record.headers)["subject"]
                    if case not in self.seen:
                        self.seen[case] = now
                        stamp = orjson.loads(record.value)["timestamp"]
                        self.recorded[case] = datetime.fromisoformat(stamp).timestamp()

    async def until_seen(self, cases: set[str], timeout: float, quiet: bool = False) -> None:
        """Waits for every case in ``cases``; past ``timeout`` raises, or returns if ``quiet``."""
        deadline = time.monotonic() + timeout
        while not cases <= self.seen.keys():
            if time.monotonic() > deadline:
                if quiet:
                    return
                raise TimeoutError(f"{len(cases - self.seen.keys())} cases never arrived")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()
