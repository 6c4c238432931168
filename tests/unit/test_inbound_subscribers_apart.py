"""The commands subscriber and the movements subscriber each keep their own batch in flight:
their handlers run side by side, and neither may wait on, or clash with, the other's batch."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from uuid import uuid4

import orjson
from aiokafka import TopicPartition

from services.command_apply import CommandResult
from services.commands import Command
from services.kafka_runtime.inbound import Inbound
from services.settings import Settings
from tests.unit.test_inbound_parse import command

COMMANDS = "rjb.inbound.police.kent.commands.v1"
MOVEMENTS = "rjb.inbound.prison-movements.v1"
MOVEMENT = {
    "eventType": "prison-offender-events.prisoner.received",
    "occurredAt": "2025-01-01T09:00Z",
    "additionalInformation": {"nomsNumber": "Z9999ZZ", "prisonId": "LEI", "reason": "ADMISSION"},
}


@dataclass
class Record:
    topic: str
    value: bytes
    offset: int
    partition: int = 0
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Consumer:
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    sought: dict[TopicPartition, int] = field(default_factory=dict)

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(COMMANDS, 0), TopicPartition(MOVEMENTS, 0)}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.update(offsets)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought[tp] = offset


@dataclass
class Message:
    raw_message: list[Record]
    consumer: Consumer


class SlowStore:
    """A command service whose transactions take a while, counting what each batch held."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def registered_agencies(self) -> dict[str, frozenset[str]]:
        return {}

    def handle_batch(self, commands: list[Command]) -> list[CommandResult]:
        time.sleep(0.05)
        self.batches.append([c.type for c in commands])
        return [CommandResult(c.command_id, c.type, uuid4(), 1, 1, False) for c in commands]


async def test_a_movement_batch_and_a_command_batch_handled_at_once_are_both_stored() -> None:
    store, consumer = SlowStore(), Consumer()
    inbound = Inbound(Settings(store="sqlite"), "127.0.0.1:1", store, quiet=True)  # type: ignore[arg-type]

    def referral(n: int) -> bytes:
        fields = command(command_id=f"c-{n}")
        return orjson.dumps({k: v for k, v in fields.items() if k != "agency"})

    first = Message([Record(COMMANDS, referral(1), 6)], consumer)
    await inbound.process_batch(first, movement=False)  # still being stored when the next come
    commands = Message([Record(COMMANDS, referral(2), 7)], consumer)
    movements = Message([Record(MOVEMENTS, orjson.dumps(MOVEMENT), 3)], consumer)
    await asyncio.gather(
        inbound.process_batch(commands, movement=False),
        inbound.process_batch(movements, movement=True),
    )
    for pipeline in inbound.pipelines.values():
        await pipeline.drain()
    stored = sorted(t for batch in store.batches for t in batch)
    assert stored == ["record_movement", "refer_case", "refer_case"]
    assert consumer.committed == {TopicPartition(COMMANDS, 0): 8, TopicPartition(MOVEMENTS, 0): 4}
    assert consumer.sought == {}  # nothing had to be read again
    assert inbound.stats.stored_count == 3
