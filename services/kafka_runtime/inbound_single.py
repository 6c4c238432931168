"""Inbound messages one at a time: how a batch that could not be stored at once goes.

Each message is stored or dead-lettered and then committed. Only a store that cannot be reached,
or a dead letter that cannot be written, is tried again, with back-off; after the last attempt
the message's partition is paused (the consumer is seeked back to it, so no commit from any
partition passes it) and that partition's later messages are left for after the pause. What an
earlier attempt at the batch stored is found applied (idempotent on ``command_id``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from domain.agencies import registered_agencies
from services.command_apply import CommandResult
from services.commands import Command
from services.inbound_errors import Rejected, apply, describe
from services.kafka_runtime.inbound_pipeline import at, commit_offsets

if TYPE_CHECKING:
    from services.kafka_runtime.inbound import Inbound

log = logging.getLogger("services.kafka_runtime.inbound")


class OneAtATime:
    """The retries and the partition pause of single messages, for one :class:`Inbound`."""

    def __init__(self, inbound: Inbound) -> None:
        self.inbound = inbound

    async def settle_all(
        self, consumer: Any, records: list[Any], movement: bool
    ) -> dict[tuple[str, int], int]:
        """Each record in turn, committed once settled; a paused partition's later records are
        left for after the pause (the consumer was rewound to its stuck record). Returns the
        partitions paused, with the offset each was rewound to."""
        stuck: dict[tuple[str, int], int] = {}
        for record in records:
            where = (record.topic, record.partition)
            if where in stuck:
                continue
            if await self.settle(consumer, record, movement):
                await commit_offsets(consumer, [record])
            else:
                stuck[where] = record.offset
        return stuck

    async def settle(self, consumer: Any, record: Any, movement: bool) -> bool:
        """Store or dead-letter one record with retries; False once its partition is paused."""
        attempt = 0
        while True:
            try:
                await self.attempt(record, movement)
            except Exception as error:  # the store or the dead-letter topic, not the message
                attempt += 1
                where = (record.topic, record.partition, record.offset)
                self.inbound.health.failed(*where, describe(error))
                if attempt >= self.inbound.limits.retry_attempts:
                    await self.inbound.pauser.pause_at(consumer, record, describe(error))
                    return False
                wait = self.inbound.limits.backoff(attempt)
                tries = f"attempt {attempt} of {self.inbound.limits.retry_attempts}"
                log.warning(
                    "inbound %s not stored (%s), again in %.1fs: %s",
                    *(at(record), tries, wait, describe(error)),
                )
                await asyncio.sleep(wait)
                continue
            self.inbound.health.done(record.topic, record.partition)
            return True

    async def attempt(self, record: Any, movement: bool) -> None:
        """Store the record's command, or dead-letter it; raises when it could do neither."""
        agencies, _ = await self.inbound.registry.current(fresh=True)
        try:
            with registered_agencies(agencies):
                command = self.inbound.parser.command_of(record, movement)
            result = await self.store(command)
        except Rejected as rejected:
            await self.inbound.dead_letter(record, rejected)
            return
        self.inbound.stats.record_stored(result)

    async def store(self, command: Command) -> CommandResult:
        assert self.inbound.commands is not None, "inbound needs a command service to store into"
        return await asyncio.to_thread(apply, self.inbound.commands, command)
