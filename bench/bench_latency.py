"""End-to-end latency at a steady rate on Apache Kafka, on PostgreSQL and SQLite.

1. From an agency's send to its inbound topic until the command's event is on the case-event
   topic: a process runs the backbone as ``rjb serve`` does (inbound in batches, relays,
   ``bench.latency_serve``); this one publishes referrals at RJB_BENCH_LATENCY_RATE commands/s
   (default 1000) for RJB_BENCH_LATENCY_SECONDS (default 10), after RJB_BENCH_LATENCY_WARMUP
   seconds (default 45) at the same rate that are not counted (the broker, started for the
   bench, spends them compiling its hot paths: its C2 compiler threads took 40-60 % of a core
   until about 40 s after it started, 10 % after), and consumes the case-event topic.
   Latency is counted from each send's *scheduled* time, so a publisher falling behind is
   counted, not hidden. Target (issue 14): p99 <= 100 ms at 1,000 commands/s on PostgreSQL.
2. From a store commit until visible on the case-event topic (``bench.kafka_latency``), SQLite,
   RJB_BENCH_LATENCY_COMMIT_RATE commands/s (default 100): the relay woken in process by each
   save. The first RJB_BENCH_LATENCY_COMMIT_WARMUP seconds (default 2) are not counted: the
   relay, its consumer and the topic have just started. Target: p99 <= 100 ms.
RJB_BENCH_LATENCY_STORES (default "postgres,sqlite") picks the stores, RJB_BENCH_LATENCY_SHAPES
(default "one,split") the backbone's shape: one process as ``rjb serve`` runs by default, or
inbound and relays in two (``--no-relays`` / ``--no-inbound``), each with its own interpreter;
"split2" runs two inbound processes (one consumer group) beside the relays' process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import orjson

from adapters.apache_kafka import ApacheKafka
from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from bench import kafka_latency
from bench.kafka_inbound import key
from bench.kafka_workload import commands, referrals, store_settings
from bench.latency_serve import backbone_process
from bench.latency_tail import CaseEventTail, publish_steadily
from services.settings import Settings


def agency_and_subscriber(
    settings: Settings, bootstrap: str, rate: float, n: int, steady: Event, warm_up: int
) -> None:
    """``warm_up`` commands at ``rate`` first, not counted (a broker just started compiles its
    hot paths, caches and connections fill, the group settles), then ``n`` counted."""
    topics = Topics.from_settings(settings)
    work = referrals(warm_up + n + 1)
    topic = topics.inbound_commands(work[0]["agency"])
    core = [*topics.core(), topics.inbound_spec(work[0]["agency"])]
    asyncio.run(ensure_topics(client_kwargs(settings, bootstrap), core))
    sends = [(c["case_id"], key(c), orjson.dumps(c)) for c in work]
    tail = CaseEventTail(bootstrap, topics.case_events)
    tail.start()
    try:
        warm = sends.pop()  # the inbound group has joined and the relay runs: the clock may start
        publish_steadily(bootstrap, topic, [warm], rate)
        tail.until_seen({warm[0]}, timeout=120)
        scheduled, lag = publish_steadily(bootstrap, topic, sends, rate, (warm_up, steady.set))
        tail.until_seen(set(scheduled), timeout=30, quiet=True)
    finally:
        tail.stop()
    counted = {case: scheduled[case] for case, _, _ in sends[warm_up:]}
    report(counted, tail, lag)


def report(scheduled: dict[str, float], tail: CaseEventTail, lag: float) -> None:
    """Percentiles of the whole path, and of its two halves split at the event's recording."""
    wall = time.time() - time.perf_counter()  # perf_counter -> epoch seconds
    arrived = [c for c in scheduled if c in tail.seen]
    total = [tail.seen[c] - scheduled[c] for c in arrived]
    inbound = [tail.recorded[c] - scheduled[c] - wall for c in arrived]
    relay = [tail.seen[c] + wall - tail.recorded[c] for c in arrived]
    if dump := os.environ.get("RJB_BENCH_LATENCY_DUMP"):  # each case, to see where the tail is
        start = min(scheduled.values())
        with open(dump, "a") as out:
            for c, t, i, r in zip(arrived, total, inbound, relay, strict=True):
                out.write(f"{scheduled[c] - start:.4f} {t:.4f} {i:.4f} {r:.4f}\n")
    print(
        f"  {len(arrived)} of {len(scheduled)} arrived (publisher at most {lag * 1000:.0f} ms "
        "behind schedule)"
    )
    print(f"  agency send -> event on the case-event topic: {kafka_latency.percentiles(total)}")
    print(f"    send -> recorded (inbound):               {kafka_latency.percentiles(inbound)}")
    print(
        f"    recorded -> on the topic (relay):         {kafka_latency.percentiles(relay)}",
        flush=True,
    )


SHAPES: dict[
    str, list[dict[str, bool]]
] = {  # RJB_BENCH_LATENCY_SHAPES: the backbone in one process, or inbound and relays apart
    "one": [{}],
    "split": [{"serve_relays": False}, {"serve_inbound": False}],
    "split2": [{"serve_relays": False}, {"serve_relays": False}, {"serve_inbound": False}],
}


HOW = {
    "one": "one process",
    "split": "inbound and relays in two processes",
    "split2": "two inbound processes and one for the relays",
}


def end_to_end(
    settings: Settings, bootstrap: str, rate: float, n: int, shape: str, warm_up: int
) -> None:
    spawn = multiprocessing.get_context("spawn")
    steady, stop = spawn.Event(), spawn.Event()
    children = []
    for roles in SHAPES[shape]:
        ready = spawn.Event()
        mine = settings.model_copy(update=roles)
        child = spawn.Process(
            target=backbone_process, args=(mine, bootstrap, ready, steady, stop, n)
        )
        child.start()
        children.append(child)
        if not ready.wait(120):
            raise TimeoutError("the backbone did not start")
    try:
        agency_and_subscriber(settings, bootstrap, rate, n, steady, warm_up)
    finally:
        stop.set()
        for child in children:
            child.join(60)


def main() -> None:
    rate = float(os.environ.get("RJB_BENCH_LATENCY_RATE", "1000"))
    seconds = float(os.environ.get("RJB_BENCH_LATENCY_SECONDS", "10"))
    warm_up = float(os.environ.get("RJB_BENCH_LATENCY_WARMUP", "45"))
    commit_rate = float(os.environ.get("RJB_BENCH_LATENCY_COMMIT_RATE", "100"))
    commit_warm_up = float(os.environ.get("RJB_BENCH_LATENCY_COMMIT_WARMUP", "2"))
    stores = os.environ.get("RJB_BENCH_LATENCY_STORES", "postgres,sqlite").split(",")
    shapes = os.environ.get("RJB_BENCH_LATENCY_SHAPES", "one,split").split(",")
    target = "(target p99 <= 100 ms)"
    with tempfile.TemporaryDirectory() as tmp, ApacheKafka() as broker:
        print(f"broker: {broker.bootstrap} (Apache Kafka)")
        runs = [(kind, shape) for kind in stores for shape in shapes]
        for n, (kind, shape) in enumerate(runs):
            how = HOW[shape]
            print(
                f"end to end, {kind}, {how}, {rate:g} commands/s for {seconds:g} s after "
                f"{warm_up:g} s of warm-up at that rate {target}:"
            )
            session = {"kafka_topic_prefix": f"e2e{n}", "kafka_consumer_group": f"bench-e2e{n}"}
            with store_settings(kind, Path(tmp), **session) as s:
                counted, warm = int(rate * seconds), int(rate * warm_up)
                end_to_end(s, broker.bootstrap, rate, counted, shape, warm)
        if "sqlite" in stores:
            print(f"store commit -> visible, sqlite, {commit_rate:g} commands/s {target}:")
            prefix = {"kafka_topic_prefix": "commit", "kafka_consumer_group": "bench-commit"}
            with store_settings("sqlite", Path(tmp), **prefix) as s:
                work = commands(int(commit_rate * (seconds + commit_warm_up)))
                measured = kafka_latency.measure(
                    s, broker.bootstrap, work, commit_rate, 10, commit_warm_up
                )
                asyncio.run(measured)


if __name__ == "__main__":
    main()
