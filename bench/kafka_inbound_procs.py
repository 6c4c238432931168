"""Inbound spread over processes: K processes run the inbound subscribers alone (as
``rjb serve --no-relays`` does) in one consumer group, on one store.

One process's inbound shares one interpreter lock between aiokafka, parsing and the store's
Python; the group's partitions let K processes each store their own batches. The subscribers
join first (the group settles, each process holding some of the agency topic's partitions); then
an agency publishes a burst of N commands (confluent-kafka, far faster than they are stored), and
the clock runs from the first command stored to the last, over every process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any

import orjson
from confluent_kafka import Producer

from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from bench.kafka_inbound import key
from services.bootstrap import build
from services.settings import Settings


async def subscribe_and_count(
    settings: Settings,
    bootstrap: str,
    stored: Synchronized[int],
    assigned: Any,
    me: int,
    stop: Event,
) -> None:
    """Runs the inbound subscribers; adds what it stores to ``stored`` and notes its share of
    the agency topic's partitions in ``assigned[me]``, until ``stop``."""
    backbone = build(settings)
    inbound = backbone.kafka(bootstrap).inbound(quiet=True)
    await inbound.start()
    counted = 0
    try:
        while not stop.is_set():
            subscribers: list[Any] = list(inbound.broker.subscribers)
            consumers = [s.consumer for s in subscribers if s.consumer is not None]
            holding = {tp for c in consumers for tp in c.assignment() if ".commands." in tp.topic}
            assigned[me], count = len(holding), inbound.stats.stored_count
            with stored.get_lock():
                stored.value += count - counted
            counted = count
            if inbound.stats.dead_lettered:
                raise RuntimeError(f"dead-lettered: {inbound.stats.dead_lettered[0]}")
            await asyncio.sleep(0.002)
    finally:
        await inbound.stop()
        backbone.close()


def child(*args: Any) -> None:
    asyncio.run(subscribe_and_count(*args))


def burst(bootstrap: str, topic: str, commands: list[dict[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for command in commands:
        producer.produce(topic, orjson.dumps(command), key(command))
        producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("the burst was not all acked")


def inbound_rate(
    settings: Settings, bootstrap: str, commands: list[dict[str, Any]], processes: int
) -> float:
    """Commands/s stored by ``processes`` inbound processes draining a burst of ``commands``."""
    topics = Topics.from_settings(settings)
    agency = commands[0]["agency"]
    specs = [*topics.core(), topics.inbound_spec(agency)]
    asyncio.run(ensure_topics(client_kwargs(settings, bootstrap), specs))
    build(settings).close()  # the schema, before the processes race to create it
    spawn = multiprocessing.get_context("spawn")
    stored, assigned, stop = spawn.Value("i", 0), spawn.Array("i", processes), spawn.Event()
    children = [
        spawn.Process(target=child, args=(settings, bootstrap, stored, assigned, i, stop))
        for i in range(processes)
    ]
    for c in children:
        c.start()
    partitions = settings.kafka_inbound_partitions

    def settled() -> bool:
        held = list(assigned[:])
        return sum(held) == partitions and all(held)

    try:
        wait_until(settled, children, 120)
        time.sleep(1)  # every process holds partitions: the group is settled
        burst(bootstrap, topics.inbound_commands(agency), commands)
        wait_until(lambda: stored.value > 0, children, 60)
        started, first = time.perf_counter(), int(stored.value)
        wait_until(lambda: stored.value >= len(commands), children, 300)
        return (len(commands) - first) / (time.perf_counter() - started)
    finally:
        stop.set()
        for c in children:
            c.join(60)


def wait_until(done: Any, children: list[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if any(c.exitcode not in (None, 0) for c in children):
            raise RuntimeError("an inbound process failed")
        if time.monotonic() > deadline:
            raise TimeoutError("the inbound processes did not get there in time")
        time.sleep(0.002)
