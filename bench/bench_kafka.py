"""Kafka backbone figures next to raw aiokafka on the same local broker, in one run.

The broker is Apache Kafka (Maven jars, KRaft, as the tests use) unless
RJB_BENCH_KAFKA_BROKER=tansu picks the embedded dev broker.

1. Relay events/s (read log, map, send, await acks, save position) vs raw aiokafka produce of
   the same records. Size: RJB_BENCH_KAFKA_COPIES copies of the six stories (default 3).
2. Inbound commands/s (publish N commands, until all stored) vs raw aiokafka consume of the same
   N messages, and the command service storing them directly, on SQLite and PostgreSQL.
   N: RJB_BENCH_KAFKA_INBOUND (default 3000). Beside them: the command service one by one and
   500 per batch, and raw eventsourcing saving 100 aggregates per transaction on the same store.
3. End-to-end latency (store commit -> visible to a consumer of the case-event topic) at a
   steady RJB_BENCH_KAFKA_RATE commands/s (default 100) for RJB_BENCH_KAFKA_SECONDS (default
   10), on PostgreSQL (LISTEN/NOTIFY wakes the relay) and SQLite (polled every
   RJB_KAFKA_RELAY_POLL_INTERVAL, default 0.5 s).
   The measuring consumer uses fetch_max_wait_ms RJB_BENCH_KAFKA_FETCH_WAIT_MS (default 10):
   tansu answers a fetch only when that wait ends, even when records arrived earlier (Apache
   Kafka answers as soon as there is data), so aiokafka's default 500 ms would be measured.
RJB_BENCH_KAFKA_STORES (default "postgres,sqlite") picks the stores for 2 and 3.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from adapters.apache_kafka import ApacheKafka
from adapters.cloudevents import to_record
from adapters.kafka_config import TopicSpec, ensure_topics
from adapters.local_broker import LocalBroker
from bench import kafka_inbound, kafka_latency
from bench.kafka_workload import commands, referrals, store_settings, story_copy
from services.bootstrap import build
from services.demo.runner import run_all
from services.settings import Settings


def fill(settings: Settings, copies: int) -> None:
    bb = build(settings)
    try:
        for i in range(copies):
            run_all(bb.commands, story_copy(i))
    finally:
        bb.close()


async def relay_vs_raw(broker: LocalBroker | ApacheKafka, settings: Settings) -> None:
    bb = build(settings)
    try:
        events = [(n.id, bb.store.mapper.to_domain_event(n))
                  for n in bb.store.recorder.select_notifications(1, 10**7)]  # fmt: skip
        records = [to_record(e, seq) for seq, e in events]
        spec = TopicSpec("raw-bench", settings.kafka_case_event_partitions, "key", "raw")
        await ensure_topics({"bootstrap_servers": broker.bootstrap}, [spec])
        relay = bb.kafka(broker.bootstrap).relay()
        await relay.ensure_topics()
        await asyncio.sleep(2)  # new partitions' leaders settle (NotLeaderForPartition retries)
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap, acks="all", linger_ms=2,
            enable_idempotence=settings.kafka_idempotent_producer,
        )  # fmt: skip
        await producer.start()
        started = time.perf_counter()
        futures = [await producer.send("raw-bench", r.value, r.key, headers=r.headers)
                   for r in records]  # fmt: skip
        await asyncio.gather(*futures)
        raw = time.perf_counter() - started
        await producer.stop()
        await relay.start()
        started = time.perf_counter()
        count = await relay.catch_up()
        relayed = time.perf_counter() - started
        await relay.stop()
    finally:
        bb.close()
    n = len(records)
    print(f"events: {n}")
    print(f"raw aiokafka produce: {n / raw:10.0f} events/s")
    print(
        f"relay (store -> topic): {count / relayed:8.0f} events/s  (relay/raw {raw / relayed:.2f})"
    )


def main() -> None:
    copies = int(os.environ.get("RJB_BENCH_KAFKA_COPIES", "3"))
    inbound_n = int(os.environ.get("RJB_BENCH_KAFKA_INBOUND", "3000"))
    rate = float(os.environ.get("RJB_BENCH_KAFKA_RATE", "100"))
    seconds = float(os.environ.get("RJB_BENCH_KAFKA_SECONDS", "10"))
    fetch_wait = int(os.environ.get("RJB_BENCH_KAFKA_FETCH_WAIT_MS", "10"))
    stores = os.environ.get("RJB_BENCH_KAFKA_STORES", "postgres,sqlite").split(",")
    tansu = os.environ.get("RJB_BENCH_KAFKA_BROKER", "apache") == "tansu"
    with tempfile.TemporaryDirectory() as tmp, LocalBroker() if tansu else ApacheKafka() as broker:
        print(f"broker: {broker.bootstrap} ({'tansu, memory' if tansu else 'Apache Kafka'})")
        settings = Settings(
            store="sqlite", sqlite_path=Path(tmp) / "bench.sqlite3",
            kafka_idempotent_producer=not tansu,
        )  # fmt: skip
        fill(settings, copies)
        print("relay, SQLite:")
        asyncio.run(relay_vs_raw(broker, settings))
        work = referrals(inbound_n)
        for n, kind in enumerate(stores):
            session = {"kafka_session_timeout_ms": 1000, "kafka_topic_prefix": f"in{n}",
                       "kafka_consumer_group": f"bench-in{n}"}  # fmt: skip
            print(f"inbound, {kind}: {inbound_n} commands")
            with (
                store_settings(kind, Path(tmp), **session) as s,
                store_settings(kind, Path(tmp)) as direct,
                store_settings(kind, Path(tmp)) as batched,
            ):
                asyncio.run(kafka_inbound.measure(
                    s, direct, broker.bootstrap, work, kind, Path(tmp), batched,
                ))  # fmt: skip
        for n, kind in enumerate(stores):
            print(f"end-to-end latency, {kind}:")
            with store_settings(
                kind, Path(tmp), kafka_topic_prefix=f"lat{n}", kafka_consumer_group=f"bench-lat{n}"
            ) as s:
                work = commands(int(rate * seconds))
                asyncio.run(kafka_latency.measure(s, broker.bootstrap, work, rate, fetch_wait))


if __name__ == "__main__":
    main()
