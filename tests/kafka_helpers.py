"""Helpers for tests over TCP: read a topic without a consumer group, wait for records."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.settings import Settings


def fast_kafka_settings(settings: Settings, prefix: str, **overrides: Any) -> Settings:
    """Short timeouts and small partitions so tests over TCP stay quick."""
    values = {
        "kafka_topic_prefix": prefix,
        "kafka_consumer_group": f"{prefix}-group",  # no rebalancing against earlier tests
        "kafka_case_event_partitions": 3,
        "kafka_inbound_partitions": 2,
        "kafka_shared_partitions": 1,
        "kafka_session_timeout_ms": 1000,
        "kafka_relay_poll_interval": 0.05,
        "kafka_broker_check_interval": 0.3,
        **overrides,
    }
    return settings.model_copy(update=values)


async def read_topic(
    bootstrap: str, topic: str, at_least: int = 0, timeout: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on ``topic`` (all partitions, from the start), waiting for ``at_least``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
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
