"""Looks at the Kafka cluster in the background for ``/health`` and ``/metrics``.

Every ``RJB_HEALTH_KAFKA_INTERVAL`` seconds: does the broker answer (DescribeCluster, which
also names the cluster), and how far behind is the backbone's inbound consumer group (per
topic-partition: end offset minus committed offset; a partition the group never committed
counts from its log start). Health checks and scrapes read the last look, so a probe or a
scrape never waits for the broker, and a dead broker costs one bounded attempt per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from adapters.kafka_config import Topics

log = logging.getLogger(__name__)
TANSU_CLUSTER = "tansu_cluster"  # the id the embedded dev broker always reports


def kind_of(error: BaseException) -> str:
    """``ExceptionClass: message`` on one line, at most 300 characters."""
    name = type(error).__name__
    text = f"{name}: {error}".splitlines()[0] if str(error) else name
    return text if len(text) <= 300 else text[:299] + "…"


@dataclass(frozen=True)
class Look:
    """One look at the cluster: when, whether it answered, and what it said."""

    ok: bool
    detail: str
    at: float = field(default_factory=time.time)  # epoch seconds


@dataclass
class KafkaWatch:
    connection: dict[str, Any]
    group: str
    topics: Topics
    interval: float = 5.0
    timeout: float = 3.0
    broker: Look | None = None  # the last look; None before the first
    last_answer: Look | None = None  # the last look the broker answered
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    lag_at: float | None = None  # epoch seconds of the lag sample
    lag_error: str | None = None  # why the last sample failed, if it did
    # The dead letters not dealt with (DeadLetterQueue.summary: it reads the whole topic, so
    # every ``dead_letter_interval`` seconds): how many, the oldest's age, when sampled.
    dead_letters: Callable[[], Awaitable[Any]] | None = None
    dead_letter_interval: float = 30.0
    waiting: tuple[int, float, float] | None = None

    def oldest_dead_letter_age(self) -> float | None:
        """Seconds since the oldest dead letter not dealt with was written (0: none); None
        before the first count."""
        if self.waiting is None:
            return None
        count, age, at = self.waiting
        return age + (time.time() - at) if count else 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Look every ``interval`` seconds until ``stop``; never raises."""
        while not stop.is_set():
            await self.look()
            due = self.waiting is None or time.time() - self.waiting[2] >= self.dead_letter_interval
            if self.dead_letters is not None and self.broker and self.broker.ok and due:
                await self.count_dead_letters()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def look(self) -> None:
        """Ask the broker (its answer is the broker check), then sample the consumer lag (its
        failure is logged and leaves the last sample, with its time, in place)."""
        admin = AIOKafkaAdminClient(**self.connection, request_timeout_ms=int(self.timeout * 1000))
        try:
            try:
                await asyncio.wait_for(self._ask(admin), self.timeout)
            except Exception as error:  # unreachable, timed out, refused: all say the same
                if self.broker is None or self.broker.ok:
                    log.warning("kafka watch: the broker does not answer: %s", kind_of(error))
                self.broker = Look(False, kind_of(error))
                return
            if self.last_answer is not None and TANSU_CLUSTER in self.last_answer.detail:
                self.lag_error = "not sampled on the embedded dev broker (tansu)"
                return  # tansu's OffsetFetch answer breaks aiokafka's decoder (and the socket)
            try:
                await asyncio.wait_for(self._sample_lag(admin), 2 * self.timeout)
            except Exception as error:
                if self.lag_error is None:
                    log.warning("kafka watch: consumer lag not sampled: %s", kind_of(error))
                self.lag_error = kind_of(error)
            else:
                self.lag_error = None
        finally:
            await admin.close()

    async def count_dead_letters(self) -> None:
        assert self.dead_letters is not None
        try:
            found = await asyncio.wait_for(self.dead_letters(), 10 * self.timeout)
        except Exception as error:
            log.warning("kafka watch: dead letters not counted: %s", kind_of(error))
            return
        self.waiting = (found.count, found.oldest_age_seconds, time.time())

    async def _ask(self, admin: AIOKafkaAdminClient) -> None:
        await admin.start()
        cluster = (await admin.describe_cluster()).get("cluster_id") or "?"
        self.broker = self.last_answer = Look(True, f"cluster {cluster} answered")

    async def _sample_lag(self, admin: AIOKafkaAdminClient) -> None:
        committed = await admin.list_consumer_group_offsets(self.group)
        described = await admin.describe_topics()
        inbound = re.compile(self.topics.inbound_commands_pattern)
        parts = [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if t["topic"] == self.topics.movements or inbound.fullmatch(t["topic"])
            for p in t["partitions"]
        ]
        self.lag = await self._lag(parts, {tp: meta.offset for tp, meta in committed.items()})
        self.lag_at = time.time()

    async def _lag(
        self, parts: list[TopicPartition], committed: dict[TopicPartition, int]
    ) -> dict[tuple[str, int], int]:
        if not parts:
            return {}
        consumer = AIOKafkaConsumer(
            **self.connection, enable_auto_commit=False, request_timeout_ms=int(self.timeout * 1000)
        )
        try:
            await consumer.start()
            ends = await consumer.end_offsets(parts)
            starts = await consumer.beginning_offsets(parts)
        finally:
            await consumer.stop()
        lag: dict[tuple[str, int], int] = {}
        for tp in sorted(parts):
            done = committed.get(tp, -1)
            base = done if done >= 0 else starts.get(tp, 0)
            lag[(tp.topic, tp.partition)] = max(0, ends.get(tp, 0) - base)
        return lag
