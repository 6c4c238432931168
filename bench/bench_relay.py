"""The relay (store -> case-event topic) next to raw aiokafka producing the same records, on
Apache Kafka, SQLite and PostgreSQL, in one run.

RJB_BENCH_RELAY_EVENTS events (default 100000; six per case, 600 commands per
``handle_batch``) are stored, then: raw aiokafka ``send`` of the records the relay would send
(same partition count and default partitioner, acks=all, the relay's idempotence), once with
aiokafka's defaults and once with the relay's linger, batch bytes and compression; then the
relay catching up from zero. Ratio = relay / raw with the relay's own settings.
RJB_BENCH_RELAY_STORES (default "sqlite,postgres") picks the stores.
RJB_BENCH_RELAY_SWEEP=1 also times the relay under other values of each knob (first store).
RJB_BENCH_RELAY_PROFILE=1 prints a cProfile of one catch-up (first store), by own time.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.apache_kafka import ApacheKafka
from adapters.relay_positions import RelayPosition
from bench.relay_workload import (
    Timing,
    filled_store,
    producer_options,
    raw_produce,
    record_bytes,
    relay_records,
    settle,
)
from services.bootstrap import build
from services.settings import Settings

SWEEP: list[dict[str, Any]] = [
    {},
    {"kafka_relay_compression": "none"},
    {"kafka_relay_compression": "gzip"},
    {"kafka_relay_compression": "lz4"},
    {"kafka_relay_compression": "zstd"},
    {"kafka_relay_linger_ms": 0},
    {"kafka_relay_linger_ms": 5},
    {"kafka_relay_batch_size": 500},
    {"kafka_relay_batch_size": 2000},
    {"kafka_relay_batch_size": 5000},
    {"kafka_relay_max_batch_bytes": 64 * 1024},
    {"kafka_relay_max_batch_bytes": 1024 * 1024},
]


async def relay_once(settings: Settings, bootstrap: str, profile: bool = False) -> Timing:
    """A fresh relay (own topic prefix) publishing the whole log from zero: wall seconds, and
    CPU seconds of this process (less moved than wall time by the other work on the machine)."""
    bb = build(settings)
    try:
        relay = bb.kafka(bootstrap).relay()
        await relay.start()
        relay.state = RelayPosition()  # from zero, whatever an earlier run saved
        await settle(bootstrap, relay.router.topic_specs()[0].name)
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        count = await relay.catch_up()
        elapsed = Timing(time.perf_counter() - started, time.process_time() - cpu)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(22)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        await relay.stop()
        assert count == int(bb.store.recorder.max_notification_id() or 0), count
    finally:
        bb.close()
    return elapsed


def rate(n: int, t: Timing) -> str:
    return f"{n / t.wall:7,.0f} events/s, CPU {t.cpu / n * 1e6:4.0f} us/event"


def knobs(s: Settings) -> str:
    return (
        f"batch {s.kafka_relay_batch_size}, linger {s.kafka_relay_linger_ms} ms, "
        f"{s.kafka_relay_max_batch_bytes // 1024} KiB batches, {s.kafka_relay_compression}"
    )


def compare(kind: str, settings: Settings, broker: ApacheKafka, events: int, run: int) -> None:
    base = settings.model_copy(update={"kafka_topic_prefix": f"relay{run}"})
    records, read, mapped = relay_records(base)
    partitions, idem = base.kafka_case_event_partitions, base.kafka_idempotent_producer
    n = len(records)

    def raw(name: str, options: dict[str, Any]) -> Timing:
        topic = f"raw{run}-{name}"
        return asyncio.run(raw_produce(broker.bootstrap, topic, partitions, records, idem, options))

    default = raw("default", {})
    same = raw("same", producer_options(base))
    relayed = asyncio.run(relay_once(base, broker.bootstrap))
    best = min(default.wall, same.wall)
    print(f"{kind}, {n} events; relay settings: {knobs(base)}")
    print(f"  raw aiokafka produce, aiokafka defaults:    {rate(n, default)}")
    print(f"  raw aiokafka produce, the relay's settings: {rate(n, same)}")
    print(f"  relay (read, map, seal, send, acks, save):  {rate(n, relayed)}")
    print(
        f"  relay/raw {same.wall / relayed.wall:.2f} (the relay's settings), "
        f"{default.wall / relayed.wall:.2f} (aiokafka defaults), "
        f"{best / relayed.wall:.2f} (the faster raw)"
    )
    print(
        f"  measured apart: reading the log {read:.2f} s, mapping and sealing {mapped:.2f} s "
        f"(relay {relayed.wall:.2f} s); {record_bytes(records)}",
        flush=True,
    )
    if os.environ.get("RJB_BENCH_RELAY_SWEEP") and run == 0:
        sweep(base, broker.bootstrap, n)
    if os.environ.get("RJB_BENCH_RELAY_PROFILE") and run == 0:
        profiled = base.model_copy(update={"kafka_topic_prefix": "profiled"})
        asyncio.run(relay_once(profiled, broker.bootstrap, profile=True))


def sweep(base: Settings, bootstrap: str, n: int, rounds: int = 3) -> None:
    """Each knob changed alone from the chosen settings, in interleaved rounds (the machine is
    shared: interleaving spreads its load over every variant); the median of each."""
    timings: dict[int, list[Timing]] = {i: [] for i in range(len(SWEEP))}
    for r in range(rounds):
        for i, change in enumerate(SWEEP):
            tried = base.model_copy(update={**change, "kafka_topic_prefix": f"sweep{r}-{i}"})
            timings[i].append(asyncio.run(relay_once(tried, bootstrap)))
    for i, change in enumerate(SWEEP):
        median = Timing(*(statistics.median(column) for column in zip(*timings[i], strict=True)))
        best = min(t.wall for t in timings[i])
        print(
            f"  relay with {knobs(base.model_copy(update=change))}: {rate(n, median)} "
            f"(median of {rounds}; best {n / best:,.0f}/s)",
            flush=True,
        )


def main() -> None:
    events = int(os.environ.get("RJB_BENCH_RELAY_EVENTS", "100000"))
    stores = os.environ.get("RJB_BENCH_RELAY_STORES", "sqlite,postgres").split(",")
    with tempfile.TemporaryDirectory() as tmp, ApacheKafka() as broker:
        print(f"broker: {broker.bootstrap} (Apache Kafka)", flush=True)
        for run, kind in enumerate(stores):
            with filled_store(kind, Path(tmp), events) as settings:
                compare(kind, settings, broker, events, run)


if __name__ == "__main__":
    main()
