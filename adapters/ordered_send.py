"""Sending records so that, per key, they land in order even when a send fails and is repeated.

What aiokafka 0.14 does without idempotence (``producer/sender.py``, ``message_accumulator.py``):
it has at most one produce request in flight per broker and mutes that request's partitions
until the request is finished, so a partition never has two batches in flight; a batch to be
retried goes back to the *head* of its partition's queue (``appendleft``) before the partition
is unmuted, so a retry cannot be overtaken by a later batch. What can reorder records is a batch
that *fails* for good (it expired: older than ``request_timeout_ms``; or a non-retriable error)
while a later batch of the same partition is still queued: the later one is then written, the
earlier one is not, and the relay's repeat from its saved position writes the earlier records
after the later ones.

So :func:`send_in_order` sends in rounds: per partition, one batch (as many of that partition's
next records as fit), all partitions at once; it awaits every batch of the round, and stops at
the first failure before any later batch of a failed partition is queued. What was written is a
prefix of each partition's records, and a repeat writes them again from the start.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from adapters.cloudevents import Record


class BatchProducer(Protocol):
    """The part of ``AIOKafkaProducer`` used here."""

    async def partitions_for(self, topic: str) -> Any: ...

    def create_batch(self) -> Any: ...

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any: ...


async def by_partition(
    producer: BatchProducer, records: Sequence[tuple[str, Record]]
) -> dict[TopicPartition, deque[Record]]:
    """Records per partition in their order; the partition as aiokafka's default partitioner
    (murmur2 of the key, as the Java client) picks it, so a key stays on its partition."""
    partitioner = DefaultPartitioner()
    partitions: dict[str, list[int]] = {}
    chosen: dict[tuple[str, bytes], TopicPartition] = {}  # murmur2 is pure Python: once per key
    out: dict[TopicPartition, deque[Record]] = {}
    for topic, record in records:
        tp = chosen.get((topic, record.key))
        if tp is None:
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            number = partitioner(record.key, partitions[topic], partitions[topic])
            tp = chosen[topic, record.key] = TopicPartition(topic, number)
        out.setdefault(tp, deque()).append(record)
    return out


async def send_in_order(
    producer: BatchProducer, records: Sequence[tuple[str, Record]]
) -> list[Any]:
    """Send ``(topic, record)`` pairs; returns one ``RecordMetadata`` per batch (offset = the
    batch's first offset); raises the first error, after every batch of its round settled."""
    pending = await by_partition(producer, records)
    acks: list[Any] = []
    while pending:
        futures: list[Any] = []
        try:
            for tp, queue in pending.items():
                batch = producer.create_batch()
                while queue and batch.append(
                    key=queue[0].key,
                    value=queue[0].value,
                    timestamp=None,
                    headers=queue[0].headers,
                ):
                    queue.popleft()
                futures.append(await producer.send_batch(batch, tp.topic, partition=tp.partition))
        finally:  # whatever happens, this round settles before anything else is sent
            results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        acks.extend(results)
        pending = {tp: queue for tp, queue in pending.items() if queue}
    return acks
