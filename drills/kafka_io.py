"""The drills' own Kafka clients: a sender that remembers where each message landed, end
offsets and committed offsets (cheap progress probes), and whole-topic reads for the audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from adapters import topic_reader

Headers = list[tuple[str, bytes | None]]


@dataclass
class Message:
    """One inbound message; ``command_id`` is set for valid ones (None: meant to be rejected)."""

    key: bytes | None
    value: bytes
    headers: Headers
    command_id: str | None
    kind: str = "valid"
    partition: int = -1
    offset: int = -1


class Sender:
    """A plain producer (as an agency's would be) that records partition and offset."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            max_request_size=2_000_000,
            acks="all",
            linger_ms=5,
            request_timeout_ms=30_000,
        )
        self.sent: list[Message] = []

    async def __aenter__(self) -> Sender:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def send(self, messages: Sequence[Message]) -> None:
        """Send and wait for every ack; each message learns its partition and offset."""
        futures = [
            await self.producer.send(self.topic, m.value, key=m.key, headers=m.headers)
            for m in messages
        ]
        for message, future in zip(messages, futures, strict=True):
            meta = await future
            message.partition, message.offset = meta.partition, meta.offset
            self.sent.append(message)


async def end_total(bootstrap: str, topic: str) -> int:
    """The sum of the topic's end offsets (0 when it does not exist yet)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            return 0
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


async def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of ``topic``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


async def read_all(
    bootstrap: str, topic: str, at_least: int = 0, timeout: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    connection: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "max_partition_fetch_bytes": 4_000_000,
        "fetch_max_bytes": 60_000_000,
    }
    return await topic_reader.read_topic(connection, topic, at_least, timeout)
