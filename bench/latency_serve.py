"""The backbone as ``rjb serve`` runs it (inbound subscribers and relays, ``running``), in a
process of its own for ``bench_latency``: the agency and the subscriber are other systems, so
they do not share its event loop or its interpreter lock."""

from __future__ import annotations

import asyncio
import os
from multiprocessing.synchronize import Event

from services.kafka_runtime.relay import Relay
from services.kafka_runtime.serving import running
from services.settings import Settings


async def serve(
    settings: Settings, bootstrap: str, ready: Event, steady: Event, stop: Event, commands: int
) -> None:
    """Runs until ``stop``; the CPU is counted from ``steady`` (after the warm-up command) and
    shared over the ``commands`` sent."""
    async with running(settings, bootstrap, quiet=True) as run:
        ready.set()
        before: dict[int, float] = {}
        while not stop.is_set():
            run.check()
            if steady.is_set() and not before:
                before = thread_cpu()
            await asyncio.sleep(0.01)
        after = thread_cpu()
        stored = run.inbound.stats.stored_count
        print(summary(run.relays, stored, before, after, settings, commands), flush=True)


def thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, by thread id (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[int(task)] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def summary(
    relays: list[Relay],
    stored: int,
    before: dict[int, float],
    after: dict[int, float],
    settings: Settings,
    commands: int,
) -> str:
    """How the relays were woken, and the CPU the backbone spent per command: on the event loop
    (FastStream, both relays' mapping and sending) and on worker threads (store reads/writes)."""
    woken = [
        getattr(r.wakeup, "wakeups", getattr(r.wakeup, "notifications", 0))
        + getattr(r.wakeup, "noticed", 0)  # SQLite: commits by another process, seen by watch
        for r in relays
    ]
    spent = {t: after[t] - before.get(t, 0.0) for t in after}
    loop = spent.pop(os.getpid(), 0.0)
    per = 1000 / max(commands, 1)
    workers = sum(spent.values())
    total = (loop + workers) * per
    woke = f"relays (case events, shared) woken {woken} times" if relays else "no relays"
    return (
        f"  backbone process ({settings.serving}): {stored} stored by inbound; {woke}, else "
        f"polled every {settings.kafka_relay_poll_interval:g} s; CPU per command {total:.2f} "
        f"ms: event loop {loop * per:.2f}, worker threads {workers * per:.2f}"
    )


def backbone_process(
    settings: Settings, bootstrap: str, ready: Event, steady: Event, stop: Event, commands: int
) -> None:
    asyncio.run(serve(settings, bootstrap, ready, steady, stop, commands))
