"""Reads a whole topic (every partition, from the start) without joining a consumer group.

For read-backs and checks (the Kafka demo, tests, benchmarks): partition assignment avoids the
group join, which on the dev broker takes about a session timeout.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


async def read_topic(
    connection: dict[str, Any], topic: str, at_least: int = 0, timeout: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on ``topic`` up to its end offsets, waiting for ``at_least`` records."""
    consumer = AIOKafkaConsumer(**connection, enable_auto_commit=False)
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        parts: set[int] = set()
        while not parts and loop.time() < deadline:
            parts = consumer.partitions_for_topic(topic) or set()
            if not parts:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.05)
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            for part in batch.values():
                records.extend(part)
            if len(records) >= at_least:
                positions = [await consumer.position(tp) for tp in tps]
                if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                    break
            else:
                ends = await consumer.end_offsets(tps)
        return records
    finally:
        await consumer.stop()
