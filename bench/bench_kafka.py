"""Inbound over Kafka next to raw aiokafka and raw eventsourcing on the same machine, in one run.

The broker is Apache Kafka (Maven jars, KRaft, as the tests use) unless
RJB_BENCH_KAFKA_BROKER=tansu picks the embedded dev broker. A backlog of N referrals
(RJB_BENCH_KAFKA_INBOUND, default 3000) on one agency's inbound topic is drained into the store
(consume, validate, store in batches, commit) and timed against a plain aiokafka consumer reading
the same N messages, the command service storing them directly (one by one, and 500 per batch),
and raw eventsourcing saving 100 aggregates per transaction on the same kind of store.
RJB_BENCH_KAFKA_STORES (default "postgres,sqlite") picks the stores. Then inbound spread over
processes (``kafka_inbound_procs``): RJB_BENCH_KAFKA_PROCESSES (default "1,2") processes running
only the inbound subscribers, in one group, drain a burst of RJB_BENCH_KAFKA_BURST (default
20000) referrals. The relay is timed by
bench_relay, end-to-end latency by bench_latency.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from adapters.apache_kafka import ApacheKafka
from adapters.local_broker import LocalBroker
from bench import kafka_inbound, kafka_inbound_procs
from bench.kafka_workload import referrals, store_settings


def main() -> None:
    inbound_n = int(os.environ.get("RJB_BENCH_KAFKA_INBOUND", "3000"))
    stores = os.environ.get("RJB_BENCH_KAFKA_STORES", "postgres,sqlite").split(",")
    tansu = os.environ.get("RJB_BENCH_KAFKA_BROKER", "apache") == "tansu"
    burst_n = int(os.environ.get("RJB_BENCH_KAFKA_BURST", "20000"))
    processes = [int(k) for k in os.environ.get("RJB_BENCH_KAFKA_PROCESSES", "1,2").split(",") if k]
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
            for count in processes:
                spread(kind, Path(tmp), broker.bootstrap, burst_n, count, n)


def spread(kind: str, tmp: Path, bootstrap: str, count: int, processes: int, n: int) -> None:
    """A burst of ``count`` referrals drained by ``processes`` inbound processes."""
    session = {
        "kafka_session_timeout_ms": 6000,
        "kafka_topic_prefix": f"spread{n}x{processes}",
        "kafka_consumer_group": f"bench-spread{n}x{processes}",
    }
    with store_settings(kind, tmp, **session) as s:
        rate = kafka_inbound_procs.inbound_rate(s, bootstrap, referrals(count), processes)
    print(
        f"  inbound, {processes} process(es) (rjb serve --no-relays), a burst of {count}: "
        f"{rate:7.0f} commands/s",
        flush=True,
    )


if __name__ == "__main__":
    main()
