"""Pausing one inbound partition while its message cannot be stored, and resuming it later.

The consumer is first seeked back to the message (``nack``), so the partition's committed offset
can never pass it, whatever other partitions commit meanwhile; then the partition is paused (the
consumer fetches nothing more from it) and a timer resumes it, when the message is tried again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError

from services.kafka_runtime.inbound_health import InboundHealth
from services.kafka_runtime.inbound_pipeline import BatchPipeline

log = logging.getLogger("services.kafka_runtime.inbound")


class PartitionPauser:
    def __init__(self, health: InboundHealth, seconds: float) -> None:
        self.health = health
        self.seconds = seconds
        self.resumers: dict[TopicPartition, asyncio.Task[None]] = {}

    async def pause(self, msg: Any, error: str) -> None:
        """Rewind to ``msg``, pause its partition, and resume it after ``seconds``."""
        await self.pause_at(msg.consumer, msg.raw_message, error)

    async def pause_at(self, consumer: Any, record: Any, error: str) -> None:
        """Rewind ``record``'s partition to it, pause the partition, resume it after
        ``seconds``. Only this partition is rewound (a batch may hold several)."""
        tp = TopicPartition(record.topic, record.partition)
        try:
            consumer.seek(tp, record.offset)
            consumer.pause(tp)
        except IllegalStateError:  # revoked meanwhile: its new owner starts before this message
            log.warning("inbound %s[%d] was revoked while failing", tp.topic, tp.partition)
            self.health.done(tp.topic, tp.partition)
            return
        trouble = self.health.troubles[(tp.topic, tp.partition)]
        self.health.pause(trouble, self.seconds)
        where = f"{tp.topic}[{tp.partition}]"
        log.error(
            "inbound %s PAUSED at offset %d after %d attempts, for %.0fs: %s",
            *(where, record.offset, trouble.attempts, self.seconds, error),
        )
        self.cancel({tp})
        self.resumers[tp] = asyncio.create_task(self.resume_later(consumer, tp))

    async def resume_later(self, consumer: Any, tp: TopicPartition) -> None:
        await asyncio.sleep(self.seconds)
        self.resumers.pop(tp, None)
        self.health.resumed(tp.topic, tp.partition)
        if tp in consumer.assignment():
            log.warning("inbound %s[%d] resumed: trying its message again", tp.topic, tp.partition)
            consumer.resume(tp)

    def cancel(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            task = self.resumers.pop(tp, None)
            if task is not None:
                task.cancel()

    def cancel_all(self) -> None:
        self.cancel(set(self.resumers))


class Revocations(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions taken away in a rebalance: their pauses and troubles are no longer ours."""

    def __init__(self, pauser: PartitionPauser, pipeline: BatchPipeline | None = None) -> None:
        self.pauser = pauser
        self.pipeline = pipeline

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self.pipeline is not None:  # the batch being stored commits while it still may
            await self.pipeline.drain()
            self.pipeline.forget({(tp.topic, tp.partition) for tp in revoked})
        self.pauser.cancel(set(revoked))
        self.pauser.health.forget({(tp.topic, tp.partition) for tp in revoked})

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        pass
