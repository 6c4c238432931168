"""Relay latency at a steady rate: from a command's commit in the store to its events being
visible to a consumer of the case-event topic (relay following the log as in ``rjb serve``).

The writer shares the relay's process and store, as inbound and the HTTP API do in ``rjb serve``,
so on SQLite each save wakes the relay in process; the count of wake-ups is printed to show it.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.cloudevents import attributes
from services.bootstrap import Backbone, build
from services.commands import parse_command
from services.settings import Settings

Key = tuple[str, int]  # (aggregate id, version)


def write_steadily(
    backbone: Backbone, commands: list[dict[str, Any]], rate: float, stored: dict[Key, float]
) -> None:
    """Handle one command every 1/rate s; note when each event's transaction committed."""
    started = time.perf_counter()
    for i, raw in enumerate(commands):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        result = backbone.commands.handle(parse_command(raw))
        committed = time.perf_counter()
        for version in range(result.version - result.new_events + 1, result.version + 1):
            stored[(str(result.aggregate_id), version)] = committed


async def tail(consumer: AIOKafkaConsumer, seen: dict[Key, float], done: asyncio.Event) -> None:
    while not done.is_set():
        batch = await consumer.getmany(timeout_ms=50)
        now = time.perf_counter()
        for records in batch.values():
            for r in records:
                version = int(orjson.loads(r.value)["originator_version"])
                seen.setdefault((attributes(r.headers)["subject"], version), now)


async def latencies(
    settings: Settings,
    bootstrap: str,
    commands: list[dict[str, Any]],
    rate: float,
    fetch_wait_ms: int,
) -> tuple[list[tuple[float, float]], str]:
    """Each event's commit time and latency, and how the relay was woken."""
    backbone = build(settings)
    parts = backbone.kafka(bootstrap)
    relay = parts.relay()
    await relay.start()
    consumer = AIOKafkaConsumer(
        **parts.connection, enable_auto_commit=False, fetch_max_wait_ms=fetch_wait_ms
    )
    await consumer.start()
    stop, done = asyncio.Event(), asyncio.Event()
    stored: dict[Key, float] = {}
    seen: dict[Key, float] = {}
    try:
        topic = parts.topics.case_events
        deadline = time.monotonic() + 10
        while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()  # a new topic's metadata
            await asyncio.sleep(0.1)
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        tasks = [asyncio.create_task(relay.run(stop))]
        tasks.append(asyncio.create_task(tail(consumer, seen, done)))
        writer = threading.Thread(target=write_steadily, args=(backbone, commands, rate, stored))
        writer.start()
        await asyncio.to_thread(writer.join)
        deadline = time.monotonic() + 30
        while not set(stored) <= set(seen):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(set(stored) - set(seen))} events never became visible")
            await asyncio.sleep(0.01)
        done.set()
        stop.set()
        await asyncio.gather(*tasks)
        woken = getattr(relay.wakeup, "wakeups", getattr(relay.wakeup, "notifications", None))
    finally:
        stop.set()
        done.set()
        await consumer.stop()
        await relay.stop()
        backbone.close()
    how = f"woken {woken} times" if woken is not None else "polled"
    how += f", else polled every {settings.kafka_relay_poll_interval:g} s"
    return [(stored[k], seen[k] - stored[k]) for k in stored], how


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    ms = {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}
    return "  ".join(f"{name} {v * 1000:6.1f} ms" for name, v in ms.items())


async def measure(
    settings: Settings,
    bootstrap: str,
    commands: list[dict[str, Any]],
    rate: float,
    fetch_wait_ms: int,
    warm_up: float = 0.0,
) -> None:
    """Percentiles of the events committed after the first ``warm_up`` seconds (the relay, the
    consumer and the topic's partitions just started: their first round trips are not the
    steady state); the warm-up's own worst is printed beside them."""
    timed, woken = await latencies(settings, bootstrap, commands, rate, fetch_wait_ms)
    start = min(committed for committed, _ in timed)
    values = [latency for committed, latency in timed if committed - start >= warm_up]
    warm = [latency for committed, latency in timed if committed - start < warm_up]
    print(f"  {len(commands)} commands at {rate:g}/s -> {len(timed)} events; relay {woken}")
    if warm:
        worst = max(warm) * 1000
        print(f"  the first {warm_up:g} s ({len(warm)} events) not counted: max {worst:.1f} ms")
    print(f"  stored -> visible on the case-event topic: {percentiles(values)}", flush=True)
