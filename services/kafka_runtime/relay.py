"""Log tailing: publishes the store's notification log to Kafka, at least once, never a gap.

The relay reads notifications after what it has handed to the broker, sends them, waits for the
broker's acks, and only then saves the new position: a crash before the save means the batch is
sent again (duplicates, which subscribers drop by event id) but never skipped. One batch is in
flight at a time, and the next one is read and built while it is: it is written only once the
batch before it is acknowledged, so a failed batch is never overtaken by a later one (the relay
then reads again from its saved position). What goes where is decided by a :class:`Router`
(every event to the case-event topic; ISA-filtered copies to shared topics). If the broker
reports less than it once acked, it lost data (e.g. a memory broker restarted) and the relay
republishes everything from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from adapters.event_store import EventStore
from adapters.kafka_config import TopicSpec, ensure_topics
from adapters.kept_open import ClusterIdentity, EndOffsets
from adapters.ordered_send import send_in_order
from adapters.relay_positions import RelayPosition, RelayPositions
from adapters.stored_records import StoredRecords
from services.kafka_runtime.relay_acks import BrokerLostData
from services.kafka_runtime.relay_checks import BrokerChecks
from services.kafka_runtime.relay_saves import IDLE_SAVE_EVERY, PositionSaves
from services.kafka_runtime.relay_wakeup import Polling, Wakeup, pause
from services.kafka_runtime.routing import CaseEventRouter, Outgoing, Router, outgoing

__all__ = ["BrokerLostData", "CaseEventRouter", "Outgoing", "Relay", "Router", "Wakeup"]

log = logging.getLogger(__name__)

# The next batch is read while one of at least this many notifications is in flight. Behind a
# smaller one (a quiet log) a read would only contend for the interpreter lock with its send:
# at 100 commands/s on SQLite, commit -> visible took 20 ms at the median with it, 12 without.
READ_AHEAD_FROM = 10


class Relay(BrokerChecks, PositionSaves):
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
        compression: str = "lz4",
        idle_save_every: float = IDLE_SAVE_EVERY,
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
        self.state = RelayPosition()  # what the broker has acknowledged (saved, unless idle)
        self.idle_save_every = idle_save_every
        self.saved_at = -float("inf")  # time.monotonic() of the last save
        self.unsaved = False  # state moved past the saved position by batches that sent nothing
        self.read_upto = 0  # the last notification handed to the producer
        self.in_flight: asyncio.Task[None] | None = None  # that batch, until acked and saved
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
        await self.move_to(
            await asyncio.to_thread(self.positions.load, self.router.name, self.cluster)
        )
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
        await self._land()
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None
        await self.identity.close()
        await self.end_offsets.close()
        await self.wakeup.close()

    async def step(self) -> int:
        """Publish the next batch and wait until the broker has it and its position is saved;
        returns how many notifications it covered."""
        moved = await self.hand_over()
        await self.settled()
        return moved

    async def hand_over(self) -> int:
        """Read and route the next batch while the one before it is in flight; once that one is
        acknowledged (and the cluster checked), hand this one to the producer. Returns how many
        notifications it covered: 0 when the log is exhausted and nothing is in flight."""
        assert self.producer is not None, "start() the relay first"
        notifications = await asyncio.to_thread(self._read_batch)
        if not notifications:
            await self.settled()
            return 0
        asking: asyncio.Future[str] | None = None
        try:
            out = self._outgoing(notifications)
            if out:  # nothing to write: no cluster to check, the position moves on
                asking = asyncio.ensure_future(self.identity.current())
            await self._settle()
            if asking is not None and await self.cluster_changed(await asking):
                return 0  # the next batch starts from this cluster's own position
        except BaseException:
            if asking is not None:
                asking.cancel()
            await self.rewind()  # nothing the router learnt holds until the broker has it
            raise
        self.read_upto = notifications[-1].id
        self.in_flight = asyncio.create_task(self._publish(notifications[-1].id, out))
        return len(notifications)

    async def settled(self) -> None:
        """Until the batch in flight is acknowledged and its position saved; if it failed, its
        error, after the relay has gone back to its saved position."""
        try:
            await self._settle()
        except BaseException:
            await self.rewind()
            raise

    async def _land(self) -> None:
        """Before going: what is in flight lands and is saved, and so is an idle position."""
        with contextlib.suppress(Exception):
            await self._settle()
            await self.save_unsaved()

    async def _settle(self) -> None:
        task, self.in_flight = self.in_flight, None
        if task is not None:
            await task

    async def rewind(self) -> None:
        """Read again from the saved position, once what was in flight has landed or failed:
        what was read or routed past it is forgotten."""
        with contextlib.suppress(Exception):
            await self._settle()
        await self.move_to(self.state)

    async def move_to(self, position: RelayPosition) -> None:
        self.state, self.read_upto = position, position.position
        await asyncio.to_thread(self.router.reset, position.position)

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

    def _read_batch(self) -> list[Any]:
        """The next notifications; keys destroyed by another process are dropped before decoding."""
        return self.store.read_notifications(self.read_upto + 1, self.batch_size)

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

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the log until ``stop`` is set; survives broker outages by retrying."""
        loop = asyncio.get_running_loop()
        next_check = 0.0
        try:
            while not stop.is_set():
                try:
                    if loop.time() >= next_check:
                        await self.check()
                        next_check = loop.time() + self.check_interval
                    moved = await self.hand_over()
                    if 0 < moved < READ_AHEAD_FROM:
                        await self.settled()
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
                await pause(self.wakeup, self.poll_interval, stop)
        finally:
            await self._land()
