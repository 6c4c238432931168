"""The relay benchmark's pieces: a store of N events, the records the relay would send, and raw
aiokafka producing those records, so that the relay is timed next to the client it sits on."""

from __future__ import annotations

import asyncio
import gzip
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import cramjam
from aiokafka import AIOKafkaProducer

from adapters.cloudevents import Record
from adapters.kafka_config import TopicSpec, ensure_topics
from adapters.stored_records import StoredRecords
from bench.bench_store import case_commands
from bench.kafka_workload import store_settings
from services.bootstrap import build
from services.kafka_runtime.routing import CaseEventRouter, outgoing
from services.settings import Settings


class Timing(NamedTuple):
    wall: float
    cpu: float  # of this process


CASES_PER_BATCH = 100  # 600 commands per handle_batch: one transaction each


def fill(settings: Settings, events: int) -> float:
    """At least ``events`` events (six per case), written by ``handle_batch``; seconds taken."""
    bb = build(settings)
    started = time.perf_counter()
    try:
        cases = -(-events // 6)
        for first in range(0, cases, CASES_PER_BATCH):
            last = min(cases, first + CASES_PER_BATCH)
            batch = [c for n in range(first, last) for c in case_commands(n)]
            refused = [r for r in bb.commands.handle_batch(batch) if isinstance(r, Exception)]
            assert not refused, refused[0]
    finally:
        bb.close()
    return time.perf_counter() - started


@contextmanager
def filled_store(kind: str, tmp: Path, events: int) -> Iterator[Settings]:
    with store_settings(kind, tmp) as settings:
        seconds = fill(settings, events)
        print(f"{kind}: stored {events} events in {seconds:.1f} s", flush=True)
        yield settings


def relay_records(settings: Settings) -> tuple[list[Record], float, float]:
    """Every stored event as the relay sends it (CloudEvents, personal fields sealed), and the
    seconds spent reading the log (in the relay's batches) and mapping it (as the relay does:
    :func:`services.kafka_runtime.routing.outgoing`), apart."""
    bb = build(settings)
    try:
        store, size, parts = bb.store, settings.kafka_relay_batch_size, bb.kafka("")
        started, notifications = time.perf_counter(), list[Any]()
        while batch := store.recorder.select_notifications(len(notifications) + 1, size):
            notifications += batch
        read = time.perf_counter() - started
        records = StoredRecords(store, parts.dataref_base)
        out = outgoing(store, CaseEventRouter(parts.topics), records, notifications)
        return [o.record for o in out], read, time.perf_counter() - started - read
    finally:
        bb.close()


def record_bytes(records: list[Record], chunk: int = 100) -> str:
    """Mean bytes of a record (value, key, headers) and how much each codec shrinks runs of
    ``chunk`` values (about one partition's share of a relay step)."""
    sizes = [
        len(r.value) + len(r.key) + sum(len(k) + len(v) for k, v in r.headers) for r in records
    ]
    chunks = [
        b"".join(r.value for r in records[i : i + chunk]) for i in range(0, 50 * chunk, chunk)
    ]
    raw = sum(len(c) for c in chunks)
    codecs: dict[str, Callable[[bytes], bytes]] = {
        "gzip": gzip.compress,
        "lz4": lambda b: bytes(cramjam.lz4.compress_block(b)),
        "zstd": lambda b: bytes(cramjam.zstd.compress(b)),
    }
    ratios = ", ".join(
        f"{name} {raw / sum(len(f(c)) for c in chunks):.1f}x" for name, f in codecs.items()
    )
    return f"{statistics.mean(sizes):.0f} bytes; values shrink {ratios} (runs of {chunk})"


async def warm_up(producer: AIOKafkaProducer, topic: str) -> None:
    """One record to each partition, acked: new partitions' leaders are elected and known (else
    the first sends meet NotLeaderForPartition retries, and those would be timed)."""
    await asyncio.sleep(1)
    for p in sorted(await producer.partitions_for(topic)):
        await producer.send_and_wait(topic, b"warm-up", b"warm-up", partition=p)


async def settle(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await warm_up(producer, topic)
    finally:
        await producer.stop()


def producer_options(settings: Settings) -> dict[str, Any]:
    """The relay's batching and compression settings, as aiokafka producer arguments."""
    compression = settings.kafka_relay_compression
    return {
        "linger_ms": settings.kafka_relay_linger_ms,
        "max_batch_size": settings.kafka_relay_max_batch_bytes,
        "compression_type": None if compression == "none" else compression,
    }


async def raw_produce(
    bootstrap: str,
    topic: str,
    partitions: int,
    records: list[Record],
    idempotent: bool,
    options: dict[str, Any],
) -> Timing:
    """Plain ``send`` of every record (default partitioner, acks=all) until acked."""
    await ensure_topics({"bootstrap_servers": bootstrap}, [TopicSpec(topic, partitions, "", "")])
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=idempotent, **options
    )
    await producer.start()
    try:
        await warm_up(producer, topic)
        started, cpu = time.perf_counter(), time.process_time()
        futures = [await producer.send(topic, r.value, r.key, headers=r.headers) for r in records]
        await asyncio.gather(*futures)
        return Timing(time.perf_counter() - started, time.process_time() - cpu)
    finally:
        await producer.stop()
