"""Inbound commands/s: a backlog of N agency commands on the inbound topic drained into the
store, next to a plain aiokafka consumer reading the same N messages off that topic."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from bench.bench_store import EVENTS_PER_CASE, raw_batched_run
from bench.pg import postgres_env, scratch_database
from services.bootstrap import build
from services.commands import parse_command
from services.kafka_runtime.inbound import Inbound
from services.settings import Settings

WARM_UP_MOVEMENT = {
    "eventType": "prison-offender-events.prisoner.received",
    "occurredAt": "2025-01-01T09:00Z",
    "additionalInformation": {"nomsNumber": "Z9999ZZ", "prisonId": "LEI", "reason": "ADMISSION"},
}


def key(command: dict[str, Any]) -> bytes:
    return str(command.get("case_id") or command.get("reference") or command["command_id"]).encode()


async def until_stored(inbound: Inbound, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while inbound.stats.stored_count < count:
        if inbound.stats.dead_lettered:
            raise RuntimeError(f"dead-lettered: {inbound.stats.dead_lettered[0]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{inbound.stats.stored_count} of {count} stored")
        await asyncio.sleep(0.005)


async def inbound_rate(settings: Settings, bootstrap: str, commands: list[dict[str, Any]]) -> float:
    """Seconds to drain a backlog: every command is on the agency's topic before the
    subscribers start; the clock runs from the first batch stored (the group joined) until the
    last, and the commands of that first batch are not counted (see :func:`measure`). Each batch
    is timed as it is stored: the subscribers' start may return only after much of the backlog
    is (reading the count once it had returned made a whole backlog look like one batch's
    time, and a rate of 18 commands/s)."""
    backbone = build(settings)
    parts = backbone.kafka(bootstrap)
    topic = parts.topics.inbound_commands(commands[0]["agency"])
    await parts.ensure_inbound_topics([commands[0]["agency"]])
    inbound = parts.inbound(quiet=True)
    core = inbound.topics.core()
    await ensure_topics(client_kwargs(settings, bootstrap), core, settings.kafka_replication_factor)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5
    )
    await producer.start()
    try:
        await producer.send_and_wait(inbound.topics.movements, orjson.dumps(WARM_UP_MOVEMENT))
        acks = [await producer.send(topic, orjson.dumps(c), key(c)) for c in commands]
        await asyncio.gather(*acks)
    finally:
        await producer.stop()
    batches: list[tuple[float, int]] = []  # when each batch was stored, and its size
    attempt = inbound.attempt_batch

    async def timed(records: list[Any], parsed: list[Any]) -> bool:
        changed = await attempt(records, parsed)
        if records[0].topic == topic:  # the agency's commands (not the warm-up movement)
            batches.append((time.perf_counter(), len(records)))
        return changed

    inbound.attempt_batch = timed  # type: ignore[method-assign]
    await inbound.start()  # may return after much of the backlog is stored: timed by batch
    try:
        await until_stored(inbound, 1 + len(commands))
        if len(batches) < 2:
            raise RuntimeError("the backlog was stored in one batch: nothing to time it by")
        (started, first), stopped = batches[0], batches[-1][0]
        return (stopped - started) * len(commands) / (len(commands) - first)
    finally:
        await inbound.stop()
        backbone.close()


async def raw_consume(bootstrap: str, topic: str, count: int) -> float:
    """Seconds for a plain aiokafka consumer (assigned, no group) to read ``count`` records."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + 10
        while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        started = time.perf_counter()
        read = 0
        while read < count:
            batch = await consumer.getmany(timeout_ms=100)
            read += sum(len(records) for records in batch.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def direct_rate(settings: Settings, commands: list[dict[str, Any]], batch: int = 1) -> float:
    """Seconds for the command service alone to store the same commands (no Kafka): one by one
    (``handle``), or ``batch`` at a time (``handle_batch``, one transaction each)."""
    backbone = build(settings)
    try:
        first, *rest = [parse_command(c) for c in commands]
        backbone.commands.handle(first)  # as the inbound warm-up: not timed
        started = time.perf_counter()
        if batch == 1:
            for command in rest:
                backbone.commands.handle(command)
        else:
            for at in range(0, len(rest), batch):
                backbone.commands.handle_batch(rest[at : at + batch])
        return time.perf_counter() - started
    finally:
        backbone.close()


def raw_batched_rate(kind: str, tmp: Path, cases: int = 1000) -> float:
    """Raw eventsourcing, 100 aggregates (600 events) per save, on a fresh store of ``kind``:
    events/s (the group-commit baseline of ``bench_store``)."""
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(dir=tmp)) / "raw.sqlite3"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        return cases * EVENTS_PER_CASE / raw_batched_run(env, cases)
    with scratch_database() as name:
        return cases * EVENTS_PER_CASE / raw_batched_run(postgres_env(name), cases)


async def measure(
    settings: Settings,
    direct: Settings,
    bootstrap: str,
    commands: list[dict[str, Any]],
    kind: str = "",
    tmp: Path | None = None,
    batched: Settings | None = None,
) -> None:
    direct_s = direct_rate(direct, commands)
    batched_s = direct_rate(batched, commands, batch=500) if batched is not None else None
    stored_s = await inbound_rate(settings, bootstrap, commands)
    n = len(commands) - 1
    topic = Topics.from_settings(settings).inbound_commands(commands[0]["agency"])
    raw_s = await raw_consume(bootstrap, topic, n + 1)
    raw, inbound = (n + 1) / raw_s, n / stored_s
    print(f"  raw aiokafka consume of the same messages: {raw:8.0f} messages/s")
    print(
        f"  inbound (consume, validate, store, commit): {inbound:7.0f} commands/s"
        f"  (inbound/raw consume {inbound / raw:.3f})"
    )
    print(
        f"  the command service alone, one by one:     {n / direct_s:7.0f} commands/s"
        f"  (inbound/direct {direct_s / stored_s:.2f})"
    )
    if batched_s is not None:
        print(
            f"  the command service alone, 500 per batch:  {n / batched_s:7.0f} commands/s"
            f"  (inbound/batched {batched_s / stored_s:.2f})"
        )
    if kind and tmp is not None:
        es = raw_batched_rate(kind, tmp)
        print(
            f"  raw eventsourcing, 100 aggregates per save: {es:6.0f} events/s"
            f"  (inbound/raw eventsourcing {inbound / es:.2f})"
        )
