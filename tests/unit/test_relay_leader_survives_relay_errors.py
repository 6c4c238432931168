"""A relay that stops with an error ends the leader's term, not `rjb serve`: found by the
PostgreSQL-outage drill (the relay's position save raised OperationalError and the process
exited 1)."""

from __future__ import annotations

import asyncio

from eventsourcing.persistence import OperationalError

from services.kafka_runtime.relay_leader import RelayLeadership


class AlwaysFree:
    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        pass


class Relay:
    """Fails its first run as a relay does when PostgreSQL goes away mid-save."""

    runs = 0

    async def start(self) -> None:
        pass

    async def run(self, stop: asyncio.Event) -> None:
        Relay.runs += 1
        if Relay.runs == 1:
            raise OperationalError("consuming input failed: server closed the connection")
        await stop.wait()

    async def stop(self) -> None:
        pass


async def test_a_relay_error_ends_the_term_and_the_leader_leads_again() -> None:
    leadership = RelayLeadership(lambda: [Relay()], AlwaysFree(), interval=0.05)  # type: ignore[arg-type, list-item]
    stop = asyncio.Event()
    task = asyncio.create_task(leadership.run(stop))
    for _ in range(100):
        if leadership.terms >= 2 and Relay.runs >= 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)  # returned, did not raise
    assert leadership.terms == 2
    assert leadership.last_error is not None and "OperationalError" in leadership.last_error
