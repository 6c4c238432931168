"""Drills that kill `rjb serve` with -9: the relay during writes, the whole process during
ingest, and the relay leader of two. After each kill a new process starts; the drill measures
how long until publishing (and ingest) resume."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from drills.harness import (
    GUARDS,
    Crash,
    Drill,
    Writer,
    audit,
    ensure_topics,
    inbound_topic,
    pump,
    wait_for,
)
from drills.kafka_io import Sender, committed, end_total
from drills.platform import Serve
from drills.workload import PER_CASE, valid_messages
from services.bootstrap import build
from services.settings import Settings

TAKEOVER_LIMIT = 10.0  # issue 11: another process publishes within 10 s of the leader's death


class Fleet:
    """The `rjb serve` processes of one drill; a crash is one that exited by itself."""

    def __init__(self, drill: Drill, settings: Settings) -> None:
        self.drill, self.settings, self.all = drill, settings, list[Serve]()

    def start(self) -> Serve:
        serve = Serve(self.settings, self.drill.site.workdir)
        self.all.append(serve)
        return serve

    @property
    def alive(self) -> list[Serve]:
        return [s for s in self.all if s.process.poll() is None]

    def check(self) -> None:
        for serve in self.all:
            if serve.crashed() and serve.log.name not in str(self.drill.row.failures):
                self.drill.row.fail(
                    f"crash: {serve.log.name} exited {serve.process.returncode}: {serve.tail(800)}"
                )

    def guard(self) -> None:
        """Raise :class:`Crash` when a process exited by itself."""
        for serve in self.all:
            if serve.crashed():
                raise Crash(
                    f"crash: {serve.log.name} exited {serve.process.returncode}: {serve.tail(800)}"
                )

    def stop(self) -> None:
        self.check()
        for serve in self.alive:
            serve.stop()


@contextlib.contextmanager
def fleet(drill: Drill, settings: Settings, count: int = 1) -> Iterator[Fleet]:
    ships = Fleet(drill, settings)
    GUARDS.append(ships.guard)
    try:
        for _ in range(count):
            ships.start()
        yield ships
    finally:
        GUARDS.remove(ships.guard)
        ships.stop()


async def leading(ships: Fleet, timeout: float = 60) -> Serve:
    """The process that leads the relays now (waits, bounded, for one to)."""
    found: list[Serve] = []

    async def one_leads() -> bool:
        found[:] = [s for s in ships.alive if s.leads]
        return bool(found)

    await wait_for(one_leads, timeout, "a relay leader")
    return found[-1]


async def publishing_after(settings: Settings, before: int, timeout: float) -> float:
    topic = f"{settings.kafka_topic_prefix}.case-events.v1"

    async def grew() -> bool:
        return await end_total(settings.kafka_bootstrap_servers, topic) > before

    return await wait_for(grew, timeout, "publishing to resume after the kill")


async def relay_kill(drill: Drill) -> None:
    """kill -9 the process running the relay, N times, while writes go on; a new one each time."""
    settings = drill.site.settings()
    backbone = build(settings)
    topic = f"{settings.kafka_topic_prefix}.case-events.v1"
    try:
        with fleet(drill, settings) as ships:
            with Writer(backbone, drill.tag, drill.rng, drill.size.rate) as writer:
                serve = await leading(ships)
                for _ in range(drill.size.relay_kills):
                    await asyncio.sleep(drill.rng.uniform(0.3, 1.0) * drill.size.spacing)
                    serve.kill()
                    killed = time.monotonic()
                    before = await end_total(settings.kafka_bootstrap_servers, topic)
                    serve = ships.start()
                    await publishing_after(settings, before, 30)
                    drill.row.recover_s = max(drill.row.recover_s or 0, time.monotonic() - killed)
                    ships.check()
            if writer.error is not None:
                drill.row.fail(f"writer: {writer.error!r}")
            await audit(drill, backbone, writer.written, topic)
    finally:
        backbone.close()


async def ingest_with_kills(drill: Drill, processes: int, kills: int, leader_only: bool) -> None:
    """Valid commands flow in at a steady rate while processes are killed (-9) one at a time,
    the leader each time when ``leader_only``; a new process starts after each kill."""
    settings = drill.site.settings()
    backbone = build(settings)
    topic, bootstrap = inbound_topic(settings), settings.kafka_bootstrap_servers
    group = settings.kafka_consumer_group
    case_topic = f"{settings.kafka_topic_prefix}.case-events.v1"
    spacing = drill.size.spacing
    cases = int(drill.size.rate * spacing * (kills + 2) / PER_CASE)
    messages = valid_messages(drill.tag, cases, drill.rng)
    try:
        await ensure_topics(backbone)
        with fleet(drill, settings, processes) as ships:
            await leading(ships)
            async with Sender(bootstrap, topic) as sender:
                sending = asyncio.create_task(pump(sender, messages, drill.size.rate))
                for _ in range(kills):
                    await asyncio.sleep(drill.rng.uniform(0.5, 1.5) * spacing)
                    victim = await leading(ships) if leader_only else drill.rng.choice(ships.alive)
                    victim.kill()  # gone for good before the snapshot: only others can advance
                    killed = time.monotonic()
                    before_pub = await end_total(bootstrap, case_topic)
                    before_in = sum((await committed(bootstrap, group, topic)).values())
                    ships.start()
                    await publishing_after(settings, before_pub, 30)
                    took = time.monotonic() - killed
                    if leader_only and took > TAKEOVER_LIMIT:
                        drill.row.fail(
                            f"leader takeover took {took:.1f} s (limit {TAKEOVER_LIMIT:.0f} s)"
                        )
                    await consuming_after(settings, topic, before_in, 60)
                    drill.row.recover_s = max(drill.row.recover_s or 0, time.monotonic() - killed)
                    ships.check()
                await asyncio.wait_for(sending, 300)
            await audit(drill, backbone, sender.sent, topic)
    finally:
        backbone.close()


async def consuming_after(settings: Settings, topic: str, before: int, timeout: float) -> float:
    async def grew() -> bool:
        done = await committed(
            settings.kafka_bootstrap_servers, settings.kafka_consumer_group, topic
        )
        return sum(done.values()) > before

    return await wait_for(grew, timeout, "ingest to resume after the kill")


async def serve_kill(drill: Drill) -> None:
    """kill -9 `rjb serve` while agencies' commands flow in: redelivery, one effect each."""
    await ingest_with_kills(drill, 1, drill.size.serve_kills, leader_only=False)


async def leader_kill(drill: Drill) -> None:
    """Two `rjb serve` processes; kill -9 whichever leads the relays: the other takes over."""
    await ingest_with_kills(drill, 2, drill.size.leader_kills, leader_only=True)
