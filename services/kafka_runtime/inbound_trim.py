"""Inbound topics keep nothing once it is dealt with: records up to the committed offset go.

An agency's command arrives in clear on its own inbound topic (it is the agency's message to the
backbone). Once the backbone has stored it or dead-lettered it (sealed), its consumer group has
committed past it and the record has no further use; left there it would be a plaintext copy of
personal data that no erasure reaches. So every ``RJB_KAFKA_INBOUND_TRIM_INTERVAL`` seconds the
backbone deletes each inbound partition's records below its group's committed offset (Kafka's
DeleteRecords: the log start moves, the records can no longer be read). Retention (7 days) is
the bound when the backbone is not running. Not on tansu, which has no DeleteRecords.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from adapters.kafka_config import Topics

log = logging.getLogger(__name__)
TANSU_CLUSTER = "tansu_cluster"


class InboundTrimmer:
    def __init__(
        self, connection: dict[str, Any], topics: Topics, group: str, interval: float = 10.0
    ) -> None:
        self.connection = connection
        self.topics = topics
        self.group = group
        self.interval = interval
        self.trimmed = 0  # records deleted so far
        self.disabled = ""  # why trimming is off, if it is

    async def trim(self) -> int:
        """Delete what the group has committed past; returns how many records went."""
        admin = AIOKafkaAdminClient(**self.connection)
        await admin.start()
        try:
            if (await admin.describe_cluster()).get("cluster_id") == TANSU_CLUSTER:
                self.disabled = "the embedded dev broker (tansu) has no DeleteRecords"
                return 0
            committed = await admin.list_consumer_group_offsets(self.group)
            inbound = re.compile(self.topics.inbound_commands_pattern)
            wanted = {
                tp: RecordsToDelete(meta.offset)
                for tp, meta in committed.items()
                if meta.offset > 0
                and (tp.topic == self.topics.movements or inbound.fullmatch(tp.topic))
            }
            if not wanted:
                return 0
            starts = await self._log_starts(list(wanted))
            due = {tp: r for tp, r in wanted.items() if r.before_offset > starts.get(tp, 0)}
            if due:
                await admin.delete_records(due)
            gone = sum(int(r.before_offset) - starts.get(tp, 0) for tp, r in due.items())
            self.trimmed += gone
            return gone
        finally:
            await admin.close()

    async def _log_starts(self, parts: list[TopicPartition]) -> dict[TopicPartition, int]:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(**self.connection, enable_auto_commit=False)
        await consumer.start()
        try:
            starts: dict[TopicPartition, int] = await consumer.beginning_offsets(parts)
            return starts
        finally:
            await consumer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set() and not self.disabled:
            try:
                gone = await self.trim()
                if gone:
                    log.info("inbound trim: %d dealt-with records deleted", gone)
            except Exception as error:  # the broker may be away: the next round tries again
                log.warning("inbound trim failed: %s: %s", type(error).__name__, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
