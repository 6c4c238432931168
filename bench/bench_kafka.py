"""Inbound over Kafka next to raw aiokafka and raw eventsourcing on the same machine, in one run.

The broker is Apache Kafka (Maven jars, KRaft, as the tests use) unless
RJB_BENCH_KAFKA_BROKER=tansu picks the embedded dev broker. A backlog of N referrals
(RJB_BENCH_KAFKA_INBOUND, default 3000) on one agency's inbound topic is drained into the store
(consume, validate, store in batches, commit) and timed against a plain aiokafka consumer reading
the same N messages, the command service storing them directly (one by one, and 500 per batch),
and raw eventsourcing saving 100 aggregates per transaction on the same kind of store.
RJB_BENCH_KAFKA_STORES (default "postgres,sqlite") picks the stores. The relay is timed by
bench_relay, end-to-end latency by bench_latency.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from adapters.apache_kafka import ApacheKafka
from adapters.local_broker import LocalBroker
from bench import kafka_inbound
from bench.kafka_workload import referrals, store_settings


def main() -> None:
    inbound_n = int(os.environ.get("RJB_BENCH_KAFKA_INBOUND", "3000"))
    stores = os.environ.get("RJB_BENCH_KAFKA_STORES", "postgres,sqlite").split(",")
    tansu = os.environ.get("RJB_BENCH_KAFKA_BROKER", "apache") == "tansu"
    with tempfile.TemporaryDirectory() as tmp, LocalBroker() if tansu else ApacheKafka() as broker:
        print(f"broker: {broker.bootstrap} ({'tansu, memory' if tansu else 'Apache Kafka'})")
        work = referrals(inbound_n)
        for n, kind in enumerate(stores):
            session = {
                "kafka_session_timeout_ms": 6000,
                "kafka_topic_prefix": f"in{n}",
                "kafka_consumer_group": f"bench-in{n}",
            }
            print(f"inbound, {kind}: a backlog of {inbound_n} commands")
            with (
                store_settings(kind, Path(tmp), **session) as s,
                store_settings(kind, Path(tmp)) as direct,
                store_settings(kind, Path(tmp)) as batched,
            ):
                measure = kafka_inbound.measure(
                    s, direct, broker.bootstrap, work, kind, Path(tmp), batched
                )
                asyncio.run(measure)


if __name__ == "__main__":
    main()
