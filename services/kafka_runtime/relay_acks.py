"""What a broker's acks and end offsets say about what it holds of ours.

A relay keeps, per topic-partition, the first offset acked in its last batch there. An ack at
or below it, or an end offset not above it, means the broker lost data (e.g. a memory broker
restarted, or a disk replaced): the relay then republishes from the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import TopicPartition

from adapters.relay_positions import RelayPosition


class BrokerLostData(Exception):
    """The broker holds less than it acknowledged to us."""


def acknowledged(before: RelayPosition, upto: int, acks: Iterable[Any]) -> RelayPosition:
    """The position after a batch up to notification ``upto`` whose record batches were acked
    with ``acks`` (one ``RecordMetadata`` per record batch: its first offset).

    Per partition, the first offset acked: Apache Kafka reports a partition's end past its last
    record, but tansu (the embedded dev broker) only past its last batch's base offset, so
    comparing the end with the last record's offset would see lost data there. Kept for tansu;
    on Apache Kafka the comparison is merely a little weaker than it could be."""
    first: dict[str, int] = {}
    for meta in acks:
        key = f"{meta.topic}:{meta.partition}"
        if meta.offset <= before.offsets.get(key, -1):
            raise BrokerLostData(
                f"{key} acked offset {meta.offset}, not above {before.offsets[key]}"
            )
        first[key] = min(first.get(key, meta.offset), meta.offset)
    return RelayPosition(upto, {**before.offsets, **first})


def partitions_of(position: RelayPosition) -> dict[TopicPartition, int]:
    """The partitions a position has offsets for, each with its first offset last acked."""
    return {
        TopicPartition(k.rpartition(":")[0], int(k.rpartition(":")[2])): v
        for k, v in position.offsets.items()
    }


def holds_all(acked: dict[TopicPartition, int], ends: dict[TopicPartition, int]) -> bool:
    """Whether every partition's end offset is past what was last acked there."""
    return all(ends.get(tp, 0) > offset for tp, offset in acked.items())
