"""Commands read while a batch is being stored wait together for the next batch: the subscriber
keeps reading (it is never held on a batch read just after the store began), the next batch takes
all of them once the store ends, and no more than a batch's worth waits."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiokafka import TopicPartition

from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.inbound_gather import Gathering, Read
from services.settings import Settings
from tests.unit.test_inbound_parse import command
from tests.unit.test_inbound_subscribers_apart import (
    COMMANDS,
    Consumer,
    Message,
    Record,
    SlowStore,
)


def referral(n: int) -> bytes:
    fields = command(command_id=f"c-{n}")
    return orjson.dumps({k: v for k, v in fields.items() if k != "agency"})


def inbound_on(store: SlowStore) -> Inbound:
    return Inbound(Settings(store="sqlite"), "127.0.0.1:1", store, quiet=True)  # type: ignore[arg-type]


async def test_commands_read_while_a_batch_is_stored_are_stored_together_in_the_next() -> None:
    store, consumer = SlowStore(), Consumer()
    inbound = inbound_on(store)
    await inbound.process_batch(Message([Record(COMMANDS, referral(0), 0)], consumer), False)
    await asyncio.sleep(0.01)  # the first batch is being stored (50 ms)
    for n in range(1, 4):  # three reads during that store: each returns at once
        read = Message([Record(COMMANDS, referral(n), n)], consumer)
        await asyncio.wait_for(inbound.process_batch(read, movement=False), 0.03)
    await inbound.pipelines[False].drain()
    assert [len(batch) for batch in store.batches] == [1, 3]
    assert consumer.committed == {TopicPartition(COMMANDS, 0): 4}
    assert inbound.stats.stored_count == 4


async def test_the_reader_waits_while_a_whole_batch_is_already_waiting() -> None:
    store, consumer = SlowStore(), Consumer()
    inbound = inbound_on(store)
    pipeline = inbound.pipelines[False]
    pipeline.gathering.max_records = 2
    await inbound.process_batch(Message([Record(COMMANDS, referral(0), 0)], consumer), False)
    await asyncio.sleep(0.01)
    await inbound.process_batch(Message([Record(COMMANDS, referral(1), 1)], consumer), False)
    full = Message([Record(COMMANDS, referral(2), 2)], consumer)
    reading = asyncio.create_task(inbound.process_batch(full, movement=False))
    await asyncio.sleep(0.02)
    assert not reading.done()  # two wait: no further read until the next batch takes them
    await asyncio.wait_for(reading, 1)
    await pipeline.drain()
    assert [len(batch) for batch in store.batches] == [1, 2]
    assert consumer.committed == {TopicPartition(COMMANDS, 0): 3}


def test_a_batch_takes_the_oldest_records_up_to_its_size_splitting_a_read() -> None:
    gathering = Gathering(max_records=3)
    for first, size in ((0, 2), (2, 2), (4, 5)):
        records = [Record(COMMANDS, b"{}", first + i) for i in range(size)]
        gathering.put(Read(None, records, [f"parsed {r.offset}" for r in records], 0))  # type: ignore[misc]
    batches = [gathering.take() for _ in range(3)]
    offsets = [[r.offset for read in batch for r in read.records] for batch in batches]
    assert offsets == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    parsed: Any = [p for read in batches[1] for p in read.parsed or ()]
    assert parsed == ["parsed 3", "parsed 4", "parsed 5"]
    assert gathering.waiting == 0 and gathering.room.is_set()


def test_records_of_revoked_partitions_are_left_to_their_new_owner() -> None:
    gathering = Gathering(max_records=10)
    mine, theirs = Record(COMMANDS, b"{}", 5, partition=0), Record(COMMANDS, b"{}", 9, partition=1)
    gathering.put(Read(None, [mine, theirs], ["kept", "dropped"], 0))  # type: ignore[list-item]
    gathering.put(Read(None, [theirs], None, 0))
    gathering.forget({(COMMANDS, 1)})
    left: Any = [(r.records, r.parsed) for r in gathering.reads]
    assert left == [([mine], ["kept"])]
    assert gathering.waiting == 1
