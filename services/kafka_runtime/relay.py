"""Log tailing: publishes the store's notification log to Kafka, at least once, never a gap.

The relay reads notifications after its saved position, sends them, waits for the broker's
acks, and only then saves the new position: a crash before the save means the batch is sent
again (duplicates, which subscribers drop by event id) but never skipped. What goes where is
decided by a :class:`Router` (every event to the case-event topic; ISA-filtered copies to
shared topics). If the broker reports less than it once acked, it lost data (e.g. a memory
broker restarted) and the relay republishes everything from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from adapters.event_store import EventStore
from adapters.kafka_config import TopicSpec, ensure_topics
from adapters.kept_open import ClusterIdentity, EndOffsets
from adapters.ordered_send import send_in_order
from adapters.relay_positions import RelayPosition, RelayPositions
from adapters.stored_records import StoredRecords
from services.kafka_runtime.routing import CaseEventRouter, Outgoing, Router, outgoing

__all__ = ["CaseEventRouter", "Outgoing", "Relay", "Router", "Wakeup"]

log = logging.getLogger(__name__)


class Wakeup(Protocol):
    async def wait(self, timeout: float) -> None: ...

    async def close(self) -> None: ...


class Polling:
    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(timeout)

    async def close(self) -> None:
        pass


class BrokerLostData(Exception):
    """The broker holds less than it acknowledged to us."""


class Relay:
    def __init__(
        self,
        store: EventStore,
        connection: dict[str, Any],
        router: Router,
        *,
        batch_size: int = 2000,
        poll_interval: float = 0.5,
        check_interval: float = 5.0,
        replication_factor: int = 1,
        wakeup: Wakeup | None = None,
        idempotent: bool = True,
        dataref_base: str = "http://127.0.0.1:8080",
        linger_ms: int = 0,
        max_batch_bytes: int = 256 * 1024,
        compression: str = "zstd",
    ) -> None:
        self.store = store
        self.connection = connection
        self.router = router
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.check_interval = check_interval
        self.replication_factor = replication_factor
        self.wakeup = wakeup or Polling()
        self.idempotent = idempotent
        self.records = StoredRecords(store, dataref_base)  # dataref: where to resolve them
        self.producer_options: dict[str, Any] = {
            "linger_ms": linger_ms,
            "max_batch_size": max_batch_bytes,
            "compression_type": None if compression == "none" else compression,
        }
        self.positions = RelayPositions(store)
        self.state = RelayPosition()
        self.cluster = ""
        self.identity = ClusterIdentity(connection)
        self.end_offsets = EndOffsets(connection)
        self.producer: AIOKafkaProducer | None = None
        self.republished = 0
        self.last_success: float | None = None  # epoch seconds of the last turn without error
        self.last_failure: tuple[float, str] | None = None  # when and what failed since then

    async def start(self) -> None:
        await self.ensure_topics()
        self.cluster = await self.identity.current()
        self.state = await asyncio.to_thread(self.positions.load, self.router.name, self.cluster)
        await asyncio.to_thread(self.router.reset, self.state.position)
        self.producer = AIOKafkaProducer(
            **self.connection,
            acks="all",
            enable_idempotence=self.idempotent,
            request_timeout_ms=10_000,
            **self.producer_options,
        )
        await self.producer.start()

    async def ensure_topics(self) -> None:
        await ensure_topics(self.connection, self.router.topic_specs(), self.replication_factor)

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None
        await self.identity.close()
        await self.end_offsets.close()
        await self.wakeup.close()

    async def step(self) -> int:
        """Publish the next batch; returns how many notifications it covered."""
        assert self.producer is not None, "start() the relay first"
        notifications = await asyncio.to_thread(self._read_batch)
        if not notifications:
            return 0
        try:
            out = self._outgoing(notifications)
            acks: list[Any] = []  # nothing to write: no cluster to check, the position moves on
            if out:
                if await self.cluster_changed():
                    return 0  # the next step starts from this cluster's own position
                acks = await self._send(out)
        except BaseException:
            # Nothing the router learnt from this batch holds until the broker has it.
            await asyncio.to_thread(self.router.reset, self.state.position)
            raise
        # One ack per record batch (its first offset). Per partition, the first offset acked:
        # Apache Kafka reports a partition's end past its last record, but tansu (the embedded
        # dev broker) only past its last batch's base offset, so comparing the end with the
        # last record's offset would see lost data there. Kept for tansu; on Apache Kafka the
        # comparison is merely a little weaker than it could be.
        first: dict[str, int] = {}
        for meta in acks:
            key = f"{meta.topic}:{meta.partition}"
            if meta.offset <= self.state.offsets.get(key, -1):
                raise BrokerLostData(
                    f"{key} acked offset {meta.offset}, not above {self.state.offsets[key]}"
                )
            first[key] = min(first.get(key, meta.offset), meta.offset)
        position = RelayPosition(notifications[-1].id, {**self.state.offsets, **first})
        await asyncio.to_thread(self._acknowledged, position)
        self.state = position
        return len(notifications)

    def _acknowledged(self, position: RelayPosition) -> None:
        """What the broker now has: the router's decisions recorded, then the position saved."""
        self.router.acked(position.position)
        self.positions.save(self.router.name, self.cluster, position)

    def _outgoing(self, notifications: list[Any]) -> list[Outgoing]:
        out = outgoing(self.store, self.router, self.records, notifications)
        declared = {s.name for s in self.router.topic_specs()}
        if any(o.topic not in declared for o in out):
            raise RuntimeError("router produced a topic it does not declare")
        return out

    async def _send(self, out: list[Outgoing]) -> list[Any]:
        assert self.producer is not None
        await self.ensure_new_topics(self.router.topic_specs())
        return await send_in_order(self.producer, [(o.topic, o.record) for o in out])

    async def cluster_changed(self) -> bool:
        """Checked before each batch is written: a broker with another cluster id is another
        cluster (a lost one formatted anew, or a fail-over to a different one), which has none
        of what we sent; publishing there starts from that cluster's own saved position."""
        current = await self.identity.current()
        if current == self.cluster:
            return False
        log.warning(
            "relay %s: cluster %s is now %s; publishing from its own position",
            self.router.name,
            self.cluster,
            current,
        )
        self.cluster = current
        self.republished += 1
        self._known_topics = frozenset()
        self.state = await asyncio.to_thread(self.positions.load, self.router.name, current)
        await asyncio.to_thread(self.router.reset, self.state.position)
        return True

    def _read_batch(self) -> list[Any]:
        """The next notifications; keys destroyed by another process are dropped before decoding."""
        batch = self.store.recorder.select_notifications(self.state.position + 1, self.batch_size)
        if batch:
            self.store.recheck_erasures()
        return list(batch)

    _known_topics: frozenset[str] = frozenset()

    async def ensure_new_topics(self, specs: list[TopicSpec]) -> None:
        names = frozenset(s.name for s in specs)
        if not names <= self._known_topics:
            await ensure_topics(self.connection, specs, self.replication_factor)
            self._known_topics = names

    async def catch_up(self) -> int:
        """Publish until the log is exhausted (used by tests, the demo and the benchmark)."""
        total = 0
        while count := await self.step():
            total += count
        return total

    async def broker_has_our_data(self) -> bool:
        if not self.state.offsets:
            return True
        await self.ensure_topics()
        parts = {
            TopicPartition(k.rpartition(":")[0], int(k.rpartition(":")[2])): v
            for k, v in self.state.offsets.items()
        }
        ends = await self.end_offsets.of(list(parts))
        return all(ends.get(tp, 0) > offset for tp, offset in parts.items())

    async def republish(self) -> None:
        """Start again from the beginning of the log (the broker lost what we sent)."""
        log.warning("relay %s: broker lost data, republishing from the store", self.router.name)
        self.republished += 1
        self._known_topics = frozenset()
        await self.ensure_topics()
        self.state = RelayPosition()
        await asyncio.to_thread(self.positions.save, self.router.name, self.cluster, self.state)
        await asyncio.to_thread(self.router.reset, 0)

    async def check(self) -> None:
        if not await self.broker_has_our_data():
            await self.republish()

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the log until ``stop`` is set; survives broker outages by retrying."""
        loop = asyncio.get_running_loop()
        next_check = 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_check:
                    await self.check()
                    next_check = loop.time() + self.check_interval
                moved = await self.step()
                self.last_success, self.last_failure = time.time(), None
                if moved:
                    continue
            except BrokerLostData:
                await self.republish()
                continue
            except (KafkaError, OSError) as error:
                log.warning("relay %s: %r; retrying", self.router.name, error)
                self.last_failure = (time.time(), f"{type(error).__name__}: {error}")
                next_check = 0.0
            await self.pause(stop)

    async def pause(self, stop: asyncio.Event) -> None:
        """Until a wake-up, the poll interval, or ``stop``, whichever comes first."""
        waiters = {
            asyncio.ensure_future(self.wakeup.wait(self.poll_interval)),
            asyncio.ensure_future(stop.wait()),
        }
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
