"""The agency and the subscriber of ``bench_latency``: other systems, on librdkafka.

Agencies and their subscribers are other organisations' systems; they would use a Java or
librdkafka client, not this backbone's Python. confluent-kafka (librdkafka) does its work in
its own C threads, so the bench's clients take little of the machine's two cores from the
backbone, the broker and PostgreSQL: with aiokafka they took about a third of a core at
1,000 commands/s. Each runs in a thread of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition

from adapters.cloudevents import attributes


def publish_steadily(
    bootstrap: str,
    topic: str,
    work: list[tuple[str, bytes, bytes]],
    rate: float,
    at: tuple[int, Callable[[], Any]] = (0, lambda: None),
) -> tuple[dict[str, float], float]:
    """Sends ``work`` (case id, key, value) at ``rate``/s, acks=all; returns each case's
    scheduled send time (perf_counter) and how far the publisher fell behind at worst (from
    ``at``'s index on, where it calls ``at``'s function: the end of a warm-up)."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})  # librdkafka defaults
    failed: list[str] = []

    def acked(error: Any, _message: Any) -> None:
        if error is not None:
            failed.append(str(error))

    scheduled: dict[str, float] = {}
    lag = 0.0
    started = time.perf_counter() + 0.01
    for i, (case, key, value) in enumerate(work):
        due = started + i / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        if i == at[0]:
            at[1]()
        if i >= at[0]:
            lag = max(lag, time.perf_counter() - due)
        scheduled[case] = due
        producer.produce(topic, value, key, on_delivery=acked)
        producer.poll(0)
    if producer.flush(30) or failed:
        raise RuntimeError(f"the agency's sends were not all acked: {failed[:3]}")
    return scheduled, lag


class CaseEventTail:
    """Assigned every partition of the case-event topic (no group), from the end. Per case id,
    its first event's arrival (``seen``, perf_counter) and when the backbone recorded it
    (``recorded``, the event's own timestamp, epoch seconds): the split between inbound and
    relay."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "bench-latency-tail",  # required; nothing is committed
                "enable.auto.commit": False,
            }
        )
        partitions = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = []  # the end now, not when a first fetch resolves OFFSET_END (the warm-up's)
        for p in sorted(partitions):
            _, end = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            ends.append(TopicPartition(topic, p, end))
        self.consumer.assign(ends)
        self.seen: dict[str, float] = {}
        self.recorded: dict[str, float] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.follow, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def follow(self) -> None:
        while not self.stopping.is_set():
            # poll, not consume(n, timeout): a batch consume returns only when it has n records
            # or its timeout is up, which would count up to that timeout into the latency
            record = self.consumer.poll(0.05)
            if record is not None and record.error() is None:
                now = time.perf_counter()
                case = attributes(record.headers() or [])["subject"]
                if case not in self.seen:
                    self.seen[case] = now
                    stamp = orjson.loads(record.value() or b"{}")["timestamp"]
                    self.recorded[case] = datetime.fromisoformat(stamp).timestamp()

    def until_seen(self, cases: set[str], timeout: float, quiet: bool = False) -> None:
        """Waits for every case in ``cases``; past ``timeout`` raises, or returns if ``quiet``."""
        deadline = time.monotonic() + timeout
        while not cases <= self.seen.keys():
            if time.monotonic() > deadline:
                if quiet:
                    return
                raise TimeoutError(f"{len(cases - self.seen.keys())} cases never arrived")
            time.sleep(0.01)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)
        self.consumer.close()
