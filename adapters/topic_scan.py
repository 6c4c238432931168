"""Reads a topic from its start to the end offsets it had when the scan began, with no group.

For the operators' tools (dead letters, reconcile): unlike :mod:`adapters.topic_reader` there is
no overall deadline that could cut a long topic short and pass the rest for missing; the scan
fails instead when the broker sends nothing for ``idle_timeout`` seconds while records remain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

T = TypeVar("T")
Raw: TypeAlias = ConsumerRecord[bytes, bytes]


async def topic_exists(consumer: AIOKafkaConsumer, topic: str) -> bool:
    return topic in await consumer.topics()


async def partitions(consumer: AIOKafkaConsumer, topic: str, wait: float = 5.0) -> set[int]:
    """The partitions of an existing topic, once the client's metadata has it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not (found := consumer.partitions_for_topic(topic) or set()):
        if loop.time() > deadline:
            raise TimeoutError(f"{topic}: no partitions in the metadata after {wait:g} s")
        await consumer._client.add_topic(topic)
        await asyncio.sleep(0.05)
    return set(found)


async def scan(
    connection: dict[str, Any],
    topic: str,
    keep: Callable[[Raw], T | None],
    idle_timeout: float = 30.0,
) -> list[T]:
    """``keep(record)`` for every record of ``topic`` (None results dropped); [] if no topic."""
    consumer = AIOKafkaConsumer(**connection, enable_auto_commit=False)
    try:
        await consumer.start()
        if not await topic_exists(consumer, topic):
            return []
        parts = await partitions(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[T] = []
        loop = asyncio.get_running_loop()
        last_progress = loop.time()
        while True:
            positions = {tp: await consumer.position(tp) for tp in tps}
            if all(positions[tp] >= ends[tp] for tp in tps):
                return out
            batch = await consumer.getmany(timeout_ms=200)
            if any(batch.values()):
                last_progress = loop.time()
            elif loop.time() - last_progress > idle_timeout:
                raise TimeoutError(f"{topic}: no records for {idle_timeout:g} s before its end")
            # Records past the end offsets are kept: tansu reports a partition's end as its last
            # batch's base offset + 1, so the end can fall inside the last batch.
            for records in batch.values():
                out.extend(kept for record in records if (kept := keep(record)) is not None)
    finally:
        await consumer.stop()
