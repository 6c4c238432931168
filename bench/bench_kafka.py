"""Relay throughput vs raw aiokafka producing the same records, on a local tansu broker.

Size: RJB_BENCH_KAFKA_COPIES copies of the six stories (default 3).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from adapters.cloudevents import to_record
from adapters.local_broker import LocalBroker
from services.bootstrap import build
from services.demo.runner import run_all
from services.settings import Settings


def fill(settings: Settings, copies: int) -> None:
    for i in range(copies):
        bb = build(settings.model_copy(update={"kafka_topic_prefix": f"c{i}"}))
        try:
            from services.demo.runner import all_scripts

            scripts = all_scripts()
            for s in scripts:  # distinct case ids and command ids per copy
                s.story = f"{s.story}-{i}"
                s.__post_init__()
                for c in s.commands:
                    c["command_id"] = f"{i}-{c['command_id']}"
                    if "case_id" in c:
                        c["case_id"] = str(s.case_id)
                    if "reference" in c:
                        c["reference"] = f"{c['reference']}-{i}"
            run_all(bb.commands, scripts)
        finally:
            bb.close()


async def measure(broker: LocalBroker, settings: Settings) -> None:
    bb = build(settings)
    try:
        events = [(n.id, bb.store.mapper.to_domain_event(n))
                  for n in bb.store.recorder.select_notifications(1, 10**7)]  # fmt: skip
        records = [to_record(e, seq) for seq, e in events]
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all",
                                    enable_idempotence=False, linger_ms=2)  # fmt: skip
        await producer.start()
        started = time.perf_counter()
        futures = [await producer.send("raw-bench", r.value, r.key, headers=r.headers)
                   for r in records]  # fmt: skip
        await asyncio.gather(*futures)
        raw = time.perf_counter() - started
        await producer.stop()
        relay = bb.kafka(broker.bootstrap).relay()
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
    with tempfile.TemporaryDirectory() as tmp, LocalBroker() as broker:
        settings = Settings(store="sqlite", sqlite_path=Path(tmp) / "bench.sqlite3")
        fill(settings, copies)
        asyncio.run(measure(broker, settings))


if __name__ == "__main__":
    main()
