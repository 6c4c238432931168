"""What every drill shares: its size, a bounded wait that names what stalled, a steady sender
(as agencies send), a steady writer straight into the store, and the audit at the end."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from drills.kafka_io import Message, Sender, committed, end_total, read_all
from drills.platform import Site
from drills.verdict import (
    Row,
    apply_topic,
    dead_letter_reasons,
    judge_messages,
    store_log,
    topic_audit,
)
from drills.workload import AGENCY, case_commands
from services.bootstrap import Backbone
from services.settings import Settings


@dataclass(frozen=True)
class Size:
    name: str
    relay_kills: int
    serve_kills: int
    leader_kills: int
    outage_seconds: float
    fuzz_bad: int
    fuzz_cases: int
    rate: int  # valid messages (or writes) per second during fault drills
    spacing: float  # seconds of traffic before, between and after faults


SIZES = {
    "full": Size(
        "full",
        relay_kills=10,
        serve_kills=3,
        leader_kills=3,
        outage_seconds=12,
        fuzz_bad=5000,
        fuzz_cases=250,
        rate=25,
        spacing=6,
    ),
    "small": Size(
        "small",
        relay_kills=1,
        serve_kills=1,
        leader_kills=1,
        outage_seconds=3,
        fuzz_bad=200,
        fuzz_cases=15,
        rate=20,
        spacing=2,
    ),
}


class Stall(Exception):
    """A bounded wait ran out: the backbone did not get there in time."""


class Crash(Stall):
    """An `rjb serve` exited by itself: no use waiting for it."""


GUARDS: list[Callable[[], None]] = []  # checks run at every poll of a bounded wait


@dataclass
class Drill:
    site: Site
    size: Size
    rng: random.Random
    row: Row
    tag: str
    seed: int


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    """Seconds until ``condition`` held; :class:`Stall` after ``timeout``."""
    start = time.monotonic()
    while not await condition():
        for guard in GUARDS:
            guard()
        if time.monotonic() - start > timeout:
            raise Stall(f"stalled: {what} within {timeout:.0f} s")
        await asyncio.sleep(0.2)
    return time.monotonic() - start


async def pump(sender: Sender, messages: Sequence[Message], rate: int, chunk: int = 8) -> None:
    """Send at about ``rate`` messages per second, in order, until all are sent."""
    for i in range(0, len(messages), chunk):
        started = time.monotonic()
        await sender.send(messages[i : i + chunk])
        await asyncio.sleep(max(0.0, chunk / rate - (time.monotonic() - started)))


class Writer:
    """Writes case commands straight into the store at a steady rate, in a thread (the
    relay drills' writes: no Kafka on the way in)."""

    def __init__(self, backbone: Backbone, tag: str, rng: random.Random, rate: int) -> None:
        self.backbone, self.tag, self.rng, self.rate = backbone, tag, rng, rate
        self.written: list[Message] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        n = 0
        try:
            while not self.stopping.is_set():
                for command in case_commands(self.tag, n, self.rng):
                    self.backbone.commands.handle(self.backbone.commands.parse(command))
                    self.written.append(Message(None, b"", [], command["command_id"]))
                    time.sleep(1 / self.rate)
                n += 1
        except BaseException as error:  # reported by the drill, not lost in the thread
            self.error = error

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(30)


def inbound_topic(settings: Settings) -> str:
    return f"{settings.kafka_topic_prefix}.inbound.{AGENCY.replace(':', '.')}.commands.v1"


async def ensure_topics(backbone: Backbone) -> None:
    parts = backbone.kafka()
    await parts.ensure_inbound_topics([AGENCY])


async def all_committed(settings: Settings, topic: str, sent: Sequence[Message]) -> bool:
    """The group has committed past every message sent."""
    ends: dict[int, int] = {}
    for m in sent:
        ends[m.partition] = max(ends.get(m.partition, 0), m.offset + 1)
    done = await committed(settings.kafka_bootstrap_servers, settings.kafka_consumer_group, topic)
    return all(done.get(p, -1) >= end for p, end in ends.items())


async def audit(
    drill: Drill, backbone: Backbone, sent: Sequence[Message], topic: str, timeout: float = 120
) -> None:
    """Wait (bounded) for the inbound to commit everything and the relay to publish every
    stored event, then count what happened to each message and each event."""
    s, row = backbone.settings, drill.row
    bootstrap, case_topic = s.kafka_bootstrap_servers, f"{s.kafka_topic_prefix}.case-events.v1"
    if any(m.partition >= 0 for m in sent):
        await wait_for(lambda: all_committed(s, topic, sent), timeout, "every message consumed")
    log = store_log(backbone)

    async def published() -> bool:
        return await end_total(bootstrap, case_topic) >= len(log.events)

    await wait_for(published, timeout, "every stored event on the case-event topic")
    for _ in range(20):  # bounded: the end offsets may count duplicates before the last events
        records = await read_all(bootstrap, case_topic, len(log.events))
        found = topic_audit(records, log.events)
        if not found.missing:
            break
        await asyncio.sleep(1)
    dlq = f"{s.kafka_topic_prefix}.dead-letter.v1"
    dead = await read_all(bootstrap, dlq, 0, 60) if await end_total(bootstrap, dlq) else []
    judge_messages(row, topic, sent, log, dead_letter_reasons(dead))
    apply_topic(row, found)
