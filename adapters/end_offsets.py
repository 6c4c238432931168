"""The end offsets of the relay's partitions, asked every few seconds on one consumer kept open.

A new consumer per check (connect, bootstrap metadata, ListOffsets, close) took 110-300 ms
during which the relay published nothing: the p99 of end-to-end latency. Kept open, a check is
one round trip. A failed check closes it and asks once more on a fresh consumer, so a broker
restarted or replaced behind the same address is asked exactly as before.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError


class EndOffsets:
    def __init__(self, connection: dict[str, Any]) -> None:
        self.connection = connection
        self._consumer: AIOKafkaConsumer | None = None

    async def of(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's end offset (ListOffsets, latest); an unreachable broker raises."""
        try:
            return await self._ask(partitions)
        except (KafkaError, OSError):
            await self.close()
            return await self._ask(partitions)

    async def _ask(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(**self.connection, enable_auto_commit=False)
            await consumer.start()
            self._consumer = consumer
        try:
            ends: dict[TopicPartition, int] = await self._consumer.end_offsets(partitions)
        except BaseException:
            await self.close()
            raise
        return ends

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
