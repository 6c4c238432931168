"""One inbound batch being stored while the next is read and parsed.

Storing a batch is mostly waiting: on the database's commit and on the broker's offset commit.
The subscriber hands over the next read only when its handler returns, so the handler parses
what it read, leaves it gathered (:mod:`~services.kafka_runtime.inbound_gather`) and returns; a
storer waits for the batch being stored, then starts the next with all that was gathered. So at
most one batch is being stored, batches are stored in the order they were read, and nothing is
committed before it is stored.

Its offsets are committed in a task of their own, chained after the previous batch's commit (so
commits land in the order read and never move an offset back): the next batch is stored while
the broker answers, and a rebalance or stop waits for both.

The task reports what the next batches must know: the partitions it rewound, and to which
offset (a later batch's records of such a partition that start past that offset were read
before the rewind: they are dropped, and come again from that offset), and whether it may have
registered an agency (the next batch is then parsed again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from services.inbound_errors import describe
from services.kafka_runtime.inbound_gather import Gathering, Parsed

log = logging.getLogger("services.kafka_runtime.inbound")

Partition = tuple[str, int]
COMMIT_TIMEOUT = 15.0  # a commit the coordinator never answers must not stall the pipeline


@dataclass(frozen=True)
class Settled:
    """How a batch ended, as far as the next one is concerned."""

    rewound: dict[Partition, int] = field(default_factory=dict)  # partition -> offset sought
    registry_changed: bool = False


NOTHING = Settled()


class BatchPipeline:
    """At most one batch being stored at a time, in order; partitions rewound meanwhile."""

    def __init__(self, max_records: int = 500) -> None:
        self.gathering = Gathering(max_records)  # read while a batch is stored
        self.in_flight: asyncio.Task[Settled] | None = None
        self.committing: asyncio.Task[None] | None = None
        self.rewound: dict[Partition, int] = {}

    def start(self, storing: Coroutine[Any, Any, Settled]) -> None:
        assert self.in_flight is None or self.in_flight.done(), "one batch at a time"
        self.in_flight = asyncio.create_task(storing)

    async def settled(self) -> Settled:
        """Waits for the batch being stored; what it left for the next one."""
        task, self.in_flight = self.in_flight, None
        if task is None:
            return NOTHING
        before = await asyncio.shield(task)
        self.rewound.update(before.rewound)
        return before

    async def store_gathered(
        self,
        parse: Callable[[list[Any]], Awaitable[Parsed]],
        store: Callable[[Any, list[Any], Parsed], Coroutine[Any, Any, Settled]],
    ) -> None:
        """Once the batch being stored has ended, start storing all that was gathered meanwhile
        (``parse``d again if that batch may have registered an agency); until nothing waits."""
        gathering = self.gathering
        while gathering.reads:
            before = await self.settled()
            if before.registry_changed:
                gathering.generation += 1
            if not gathering.reads:  # forgotten meanwhile (partitions revoked)
                return
            reads = gathering.take()
            records = [r for read in reads for r in read.records]
            try:
                current = self.current(records)
                if not current:
                    continue
                if any(r.parsed is None or r.generation < gathering.generation for r in reads):
                    parsed = await parse(current)
                else:
                    kept = {id(r) for r in current}  # the parse of the records still current
                    parsed = [
                        p
                        for read in reads
                        for r, p in zip(read.records, read.parsed or (), strict=True)
                        if id(r) in kept
                    ]
                self.start(store(reads[-1].consumer, current, parsed))
            except Exception:  # never lost: the batch is read again
                log.exception("inbound batch from %s not started: read again", at(records[0]))
                self.rewound.update(rewind(reads[-1].consumer, records))

    def commit_after(self, commit: Callable[[], Awaitable[None]]) -> None:
        """Runs ``commit`` once the commits started before it have ended (each logs its own
        failure: an offset not committed is read again, and found applied)."""
        previous = self.committing

        async def in_order() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            try:
                await commit()
            except Exception as error:  # a later commit covers it; else read again
                log.warning("inbound commit not made: %s", error)

        self.committing = asyncio.create_task(in_order())

    async def committed(self) -> None:
        """Waits for the commits started so far (before committing anything out of turn)."""
        if self.committing is not None:
            await asyncio.wait({self.committing})

    def current(self, records: list[Any]) -> list[Any]:
        """``records`` without those read before their partition was rewound: a rewound
        partition's records are current again once they start at the offset sought."""
        stale = set()
        for where, offset in first_offsets(records).items():
            sought = self.rewound.get(where)
            if sought is None:
                continue
            if offset > sought:
                stale.add(where)
            else:
                del self.rewound[where]
        return [r for r in records if (r.topic, r.partition) not in stale]

    def forget(self, partitions: set[Partition]) -> None:
        """Partitions revoked: their new owner reads them from the committed offset."""
        for where in partitions:
            self.rewound.pop(where, None)
        self.gathering.forget(partitions)

    async def drain(self, timeout: float = 30.0) -> None:
        """Before a rebalance or a stop: the batch being stored is stored and committed (or,
        after ``timeout``, left to finish: its records are read again by whoever owns them).
        What was gathered meanwhile is handed to the store first."""
        if self.gathering.storer is not None:
            await asyncio.wait({self.gathering.storer}, timeout=timeout)
        task = self.in_flight
        if task is not None:
            await asyncio.wait({task}, timeout=timeout)
        if self.committing is not None:
            await asyncio.wait({self.committing}, timeout=timeout)


def at(record: Any) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


async def commit_offsets(consumer: Any, records: list[Any]) -> None:
    """Commit each partition of ``records`` past its last one (still ours: a partition
    revoked meanwhile is its new owner's, who reads it again; one effect per command)."""
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
    mine = consumer.assignment()
    offsets = {tp: offset for tp, offset in offsets.items() if tp in mine}
    if not offsets:
        return
    try:
        await asyncio.wait_for(consumer.commit(offsets), COMMIT_TIMEOUT)
    except (CommitFailedError, IllegalStateError) as error:
        log.warning("inbound commit not made (a rebalance): %s", describe(error))
    except TimeoutError:  # stored all the same: read again, they are found applied
        log.warning("inbound commit not made within %.0fs: moving on", COMMIT_TIMEOUT)


def first_offsets(records: list[Any]) -> dict[Partition, int]:
    """Each partition of ``records`` with the offset of its first record there."""
    first: dict[Partition, int] = {}
    for r in records:
        where = (r.topic, r.partition)
        first[where] = min(first.get(where, r.offset), r.offset)
    return first


def rewind(consumer: Any, records: list[Any]) -> dict[Partition, int]:
    """Seek each partition of ``records`` back to its first one there (they are read again);
    the offsets sought. A partition revoked meanwhile is its new owner's to read."""
    first = first_offsets(records)
    for (topic, partition), offset in list(first.items()):
        try:
            consumer.seek(TopicPartition(topic, partition), offset)
        except IllegalStateError:
            log.warning("inbound %s[%d] was revoked before it could be rewound", topic, partition)
            del first[(topic, partition)]
    return first
