"""Inbound reads parsed into commands, against the agency registry read once a moment.

Parsing a read needs the agencies an administrator registered (a command naming one is
otherwise malformed). Reading the registry for every read cost a thread hop and a round trip
on the way of every command, about a hundred times a second at 1,000 commands/s. The registry
only grows (agencies are registered, never removed, and an agency's role comes from its code),
so a copy read a moment ago can only *lack* an agency registered since, never accept a command
the store would refuse; and the store checks each command's role again, against the registry
read in the batch's own transaction. So a copy is reused for ``max_age`` seconds, and whatever it
rejects is parsed again against a fresh read before it is dead-lettered (an agency registered
by another process is never refused for want of it). A batch stored here that may have
registered an agency drops the copy at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from adapters.kafka_config import Topics
from domain.agencies import registered_agencies
from services.commands import Command
from services.inbound_errors import Rejected, describe
from services.inbound_parse import checked_command

log = logging.getLogger(__name__)

Registry = Mapping[str, frozenset[str]]

MAX_AGE = 1.0  # seconds a registry read is reused for parsing


class RegistryCache:
    """The last registry read, reused for ``max_age`` seconds unless dropped."""

    def __init__(
        self,
        read: Callable[[], Registry],
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self.max_age = max_age
        self._clock = clock
        self._held: tuple[float, Registry] | None = None
        self._forgotten = 0  # a read begun before a forget() is not kept
        self.reads = 0  # registry reads made

    async def current(self, fresh: bool = False) -> tuple[Registry, bool]:
        """The registry and whether it was read just now (False: a copy up to ``max_age`` old).
        A failed read raises (the store is down) and keeps no copy."""
        now = self._clock()
        if not fresh and self._held is not None and now - self._held[0] < self.max_age:
            return self._held[1], False
        forgotten = self._forgotten
        registry = await asyncio.to_thread(self._read)
        self.reads += 1
        if forgotten == self._forgotten:
            self._held = (now, registry)
        return registry, True

    def forget(self) -> None:
        """Drop the copy (and any read under way): the next parse reads the registry again."""
        self._held = None
        self._forgotten += 1


class ReadParser:
    """Each record of a read checked into its command, or the reason it has none."""

    def __init__(self, topics: Topics, max_message_bytes: int, registry: RegistryCache) -> None:
        self.topics = topics
        self.max_message_bytes = max_message_bytes
        self.registry = registry

    async def parse_all(
        self, records: list[Any], movement: bool
    ) -> list[Command | Rejected] | None:
        """Each record's command or rejection; None when the registry cannot be read (the
        store is down: the batch then goes one at a time, with retries)."""
        read = await self.registry_or_none()
        if read is None:
            return None
        agencies, fresh = read
        with registered_agencies(agencies):
            outcomes = [self.outcome(r, movement) for r in records]
        if not fresh and any(isinstance(o, Rejected) for o in outcomes):
            read = await self.registry_or_none(fresh=True)  # an agency registered since?
            if read is None:
                return None
            with registered_agencies(read[0]):
                outcomes = [
                    self.outcome(r, movement) if isinstance(o, Rejected) else o
                    for r, o in zip(records, outcomes, strict=True)
                ]
        return outcomes

    async def registry_or_none(self, fresh: bool = False) -> tuple[Registry, bool] | None:
        try:
            return await self.registry.current(fresh)
        except Exception as error:
            log.warning("inbound: the agency registry is unreadable (%s)", describe(error))
            return None

    def outcome(self, record: Any, movement: bool) -> Command | Rejected:
        try:
            return self.command_of(record, movement)
        except Rejected as rejected:
            return rejected

    def command_of(self, record: Any, movement: bool) -> Command:
        """The record's command; :class:`Rejected` when it has none. Within a
        ``registered_agencies`` block (the registry the read is parsed against)."""
        headers = record.headers or ()
        acting = None if movement else self.topics.agency_of_inbound_topic(record.topic)
        if not movement and acting is None:
            raise Rejected(f"{record.topic} is no agency's inbound topic", "UnknownTopic")
        return checked_command(record.value, headers, movement, self.max_message_bytes, acting)
