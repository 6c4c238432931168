"""One inbound batch is stored while the next is parsed: order, rewinds and revocations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError

from services.kafka_runtime.inbound_pipeline import BatchPipeline, Settled, rewind

TOPIC = "rjb.inbound.police.kent.commands.v1"


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int


def records(partition: int, *offsets: int) -> list[Record]:
    return [Record(TOPIC, partition, o) for o in offsets]


class Consumer:
    def __init__(self, revoked: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.revoked = revoked
        self.sought: dict[TopicPartition, int] = {}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        if tp.partition in self.revoked:
            raise IllegalStateError("no longer assigned")
        self.sought[tp] = offset


async def test_the_next_batch_waits_for_the_one_being_stored_and_learns_how_it_ended() -> None:
    pipeline, order = BatchPipeline(), []

    async def storing(name: str, ended: Settled) -> Settled:
        await asyncio.sleep(0.01)
        order.append(name)
        return ended

    pipeline.start(storing("first", Settled(registry_changed=True)))
    order.append("second parsed")  # while the first is being stored
    before = await pipeline.settled()
    pipeline.start(storing("second", Settled()))
    assert before.registry_changed
    assert (await pipeline.settled()) == Settled()
    assert order == ["second parsed", "first", "second"]


async def test_only_one_batch_is_stored_at_a_time() -> None:
    pipeline = BatchPipeline()
    pipeline.start(asyncio.sleep(0.05, Settled()))
    second = asyncio.sleep(0, Settled())
    with pytest.raises(AssertionError):
        pipeline.start(second)
    second.close()
    await pipeline.drain()


async def test_records_read_before_their_partition_was_rewound_are_dropped() -> None:
    pipeline = BatchPipeline()
    pipeline.start(asyncio.sleep(0, Settled(rewound={(TOPIC, 0): 10})))
    await pipeline.settled()
    stale = records(0, 12, 13) + records(1, 40)
    assert pipeline.current(stale) == records(1, 40)  # partition 1 was never rewound
    again = records(0, 10, 11, 12)
    assert pipeline.current(again) == again  # read again from the offset sought
    assert pipeline.current(records(0, 13)) == records(0, 13)  # and current from then on


async def test_a_revoked_partition_is_its_new_owners_and_not_held_back() -> None:
    pipeline = BatchPipeline()
    pipeline.start(asyncio.sleep(0, Settled(rewound={(TOPIC, 0): 10})))
    await pipeline.settled()
    pipeline.forget({(TOPIC, 0)})
    assert pipeline.current(records(0, 20)) == records(0, 20)


def test_a_failed_batch_is_rewound_to_its_first_record_on_each_partition() -> None:
    consumer = Consumer(revoked={2})
    batch = records(0, 7, 8) + records(1, 3) + records(0, 9) + records(2, 5)
    assert rewind(consumer, batch) == {(TOPIC, 0): 7, (TOPIC, 1): 3}
    assert consumer.sought == {TopicPartition(TOPIC, 0): 7, TopicPartition(TOPIC, 1): 3}


async def test_draining_waits_for_the_batch_being_stored() -> None:
    pipeline, stored = BatchPipeline(), []

    async def storing() -> Settled:
        await asyncio.sleep(0.02)
        stored.append(True)
        return Settled()

    pipeline.start(storing())
    await pipeline.drain()
    assert stored == [True]


async def test_commits_land_in_the_order_their_batches_were_read() -> None:
    pipeline, landed = BatchPipeline(), []

    def committing(name: str, takes: float) -> object:
        async def commit() -> None:
            await asyncio.sleep(takes)
            landed.append(name)

        return commit

    pipeline.commit_after(committing("first", 0.05))  # type: ignore[arg-type]
    pipeline.commit_after(committing("second", 0.0))  # type: ignore[arg-type]
    await pipeline.committed()
    assert landed == ["first", "second"]


async def test_a_failed_commit_does_not_stop_the_ones_after_it() -> None:
    pipeline, landed = BatchPipeline(), []

    async def refused() -> None:
        raise ConnectionError("coordinator gone")

    async def accepted() -> None:
        landed.append("later")

    pipeline.commit_after(refused)
    pipeline.commit_after(accepted)
    await pipeline.committed()
    assert landed == ["later"]


async def test_a_rebalance_waits_for_the_commit_still_on_its_way() -> None:
    pipeline, landed = BatchPipeline(), []

    async def slow_commit() -> None:
        await asyncio.sleep(0.05)
        landed.append("committed")

    pipeline.commit_after(slow_commit)
    await pipeline.drain()
    assert landed == ["committed"]
