"""What the inbound subscriber reads while a batch is being stored waits here; the next batch
takes all of it once that store has ended.

The handler used to hand a batch over to be stored and then wait for the store before it
returned, holding a batch it had read just after the store began. What arrived after that read
stayed at the broker: aiokafka does not fetch a partition again while records of it are buffered
and not taken. So a command that arrived during a store waited for that store, for the held
batch's store, and then for its own. Now the handler only parses what it read, leaves it here
and returns (aiokafka fetches again at once), and a storer takes everything gathered when the
store before ends: a command waits for the store under way and its own.

Bounded: the handler returns only once fewer than ``max_records`` records wait, so the
subscriber stops reading while a full batch is waiting; a batch takes the oldest records up to
``max_records``, the front part of a read if the whole does not fit.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.commands import Command
from services.inbound_errors import Rejected

Parsed = list[Command | Rejected] | None


@dataclass
class Read:
    """One read of the subscriber, parsed against the registry of ``generation``."""

    consumer: Any
    records: list[Any]
    parsed: Parsed
    generation: int

    def only(self, kept: Sequence[int]) -> Read:
        """This read with only the records (and their parse) at the indexes ``kept``."""
        parsed = [self.parsed[i] for i in kept] if self.parsed is not None else None
        return Read(self.consumer, [self.records[i] for i in kept], parsed, self.generation)


class Gathering:
    """Reads waiting for the next batch, in the order read; the registry's generation (it goes
    up when a stored batch may have registered an agency: what was parsed before is parsed
    again); the task taking them to the store."""

    def __init__(self, max_records: int = 500) -> None:
        self.max_records = max_records
        self.reads: deque[Read] = deque()
        self.waiting = 0  # records in ``reads``
        self.room = asyncio.Event()
        self.room.set()
        self.generation = 0
        self.storer: asyncio.Task[None] | None = None

    def put(self, read: Read) -> None:
        self.reads.append(read)
        self.waiting += len(read.records)
        if self.waiting >= self.max_records:
            self.room.clear()

    async def until_room(self) -> None:
        """Returns once fewer than ``max_records`` records wait (the reader may read again)."""
        await self.room.wait()

    def take(self) -> list[Read]:
        """The oldest ``max_records`` records (or all, if fewer wait), as reads: the last one
        taken may be the front part of a read, whose rest waits first in line (a partition's
        records stay in order: its front part is stored first)."""
        taken: list[Read] = []
        count = 0
        while self.reads and count < self.max_records:
            read, room = self.reads[0], self.max_records - count
            if len(read.records) <= room:
                taken.append(self.reads.popleft())
            else:
                taken.append(read.only(range(room)))
                self.reads[0] = read.only(range(room, len(read.records)))
            count += len(taken[-1].records)
        self.waiting -= count
        self._room_if_below()
        return taken

    def forget(self, partitions: set[tuple[str, int]]) -> None:
        """Partitions revoked: their waiting records are their new owner's to read (from the
        committed offset)."""
        kept: deque[Read] = deque()
        for read in self.reads:
            mine = [
                i for i, r in enumerate(read.records) if (r.topic, r.partition) not in partitions
            ]
            if mine:
                kept.append(read.only(mine))
        self.reads = kept
        self.waiting = sum(len(r.records) for r in kept)
        self._room_if_below()

    def _room_if_below(self) -> None:
        if self.waiting < self.max_records:
            self.room.set()

    async def drained(self) -> None:
        """Waits for the storer to have handed every waiting read to the store."""
        if self.storer is not None:
            await asyncio.wait({self.storer})
