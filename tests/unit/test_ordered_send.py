"""The relay's sends keep each key's records in order even when a batch fails."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from adapters.cloudevents import Record
from adapters.ordered_send import send_in_order


class Batch:
    """Holds up to ``capacity`` records, like aiokafka's BatchBuilder holds up to a byte size."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.values: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: Any, headers: Any) -> Any:
        if len(self.values) >= self.capacity:
            return None
        self.values.append(value)
        return object()


class Producer:
    """Records every batch handed over; the batches in ``failing`` fail, the others are acked."""

    def __init__(self, capacity: int = 2, failing: tuple[int, ...] = ()) -> None:
        self.capacity = capacity
        self.failing = failing
        self.sent: list[tuple[int, list[bytes]]] = []
        self.acked: list[tuple[int, list[bytes]]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def create_batch(self) -> Batch:
        return Batch(self.capacity)

    async def send_batch(self, batch: Batch, topic: str, *, partition: int) -> Any:
        number = len(self.sent)
        self.sent.append((partition, batch.values))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if number in self.failing:
            future.set_exception(KafkaTimeoutError("batch expired"))
        else:
            self.acked.append((partition, batch.values))
            future.set_result(("meta", partition, number))
        return future


def events(key: str, versions: range) -> list[tuple[str, Record]]:
    return [("t", Record(key.encode(), f"{key}:{v}".encode(), [])) for v in versions]


def interleaved(*streams: list[tuple[str, Record]]) -> list[tuple[str, Record]]:
    out = []
    for items in zip(*streams, strict=True):
        out.extend(items)
    return out


async def test_one_cases_events_go_to_one_partition_in_version_order_in_bounded_batches() -> None:
    producer = Producer(capacity=2)
    acks = await send_in_order(producer, events("case-a", range(1, 8)))
    assert len(acks) == 4  # 7 records, 2 per batch
    assert len({p for p, _ in producer.sent}) == 1
    assert [v for _, values in producer.sent for v in values] == [
        f"case-a:{v}".encode() for v in range(1, 8)
    ]


async def test_after_a_failed_batch_nothing_later_of_that_partition_is_sent() -> None:
    """A batch that fails for good (expired) must not let a later batch of its partition be
    written first, or the relay's repeat would put the earlier events after the later ones."""
    keys = ["case-a", "case-b", "case-c", "case-d", "case-e", "case-f"]
    records = interleaved(*(events(k, range(1, 7)) for k in keys))
    producer = Producer(capacity=2, failing=(0,))
    with pytest.raises(KafkaTimeoutError):
        await send_in_order(producer, records)
    failed_partition = producer.sent[0][0]
    assert [p for p, _ in producer.sent].count(failed_partition) == 1
    # the other partitions' batches of that round were still settled, one each
    partitions = [p for p, _ in producer.sent]
    assert len(partitions) == len(set(partitions))


async def test_what_was_written_is_a_prefix_of_each_cases_events_so_a_repeat_keeps_order() -> None:
    keys = ["case-a", "case-b", "case-c", "case-d", "case-e", "case-f"]
    records = interleaved(*(events(k, range(1, 7)) for k in keys))
    healthy = Producer(capacity=2)
    await send_in_order(healthy, records)
    used = len({p for p, _ in healthy.sent})
    assert used >= 2
    producer = Producer(capacity=2, failing=(used + 1,))  # the second batch of the second round
    with pytest.raises(KafkaTimeoutError):
        await send_in_order(producer, records)
    assert len(producer.sent) == 2 * used  # two rounds, then it stopped
    written: dict[str, list[int]] = {}
    for _, values in producer.acked:
        for value in values:
            key, _, version = value.decode().partition(":")
            written.setdefault(key, []).append(int(version))
    for versions in written.values():
        assert versions == list(range(1, len(versions) + 1))
