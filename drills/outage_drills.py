"""Drills where a server goes away under a running backbone: the broker killed and replaced by
an empty one (everything must be republished, in order per key), and PostgreSQL stopped for
seconds during ingest (inbound must wait and retry, and commit nothing past an unstored message).
Each runs on a server of its own, so the shared ones stay up."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from drills.harness import (
    Drill,
    Writer,
    all_committed,
    audit,
    ensure_topics,
    inbound_topic,
    pump,
    wait_for,
)
from drills.kafka_io import Message, Sender, committed, end_total
from drills.process_drills import fleet, leading
from drills.verdict import StoreLog, store_log
from drills.workload import PER_CASE, valid_messages
from services.bootstrap import build


async def broker_loss(drill: Drill) -> None:
    """kill -9 the broker while `rjb serve` relays and writes go on; a fresh, empty broker on
    the same port (new cluster id): the relay must republish the whole log from version 1."""
    with drill.site.own_kafka() as broker:
        settings = drill.site.settings(kafka_bootstrap_servers=broker.bootstrap)
        case_topic = f"{settings.kafka_topic_prefix}.case-events.v1"
        backbone = build(settings)
        try:
            with fleet(drill, settings) as ships:
                with Writer(backbone, drill.tag, drill.rng, drill.size.rate) as writer:
                    await leading(ships)
                    await asyncio.sleep(drill.size.spacing)
                    await asyncio.to_thread(broker.restart)
                    back = time.monotonic()
                    stored_then = len(store_log(backbone).events)

                    async def republished() -> bool:
                        return await end_total(broker.bootstrap, case_topic) >= stored_then

                    await wait_for(republished, 90, "the log republished to the fresh broker")
                    drill.row.recover_s = time.monotonic() - back
                    await asyncio.sleep(drill.size.spacing / 2)  # and it goes on publishing
                    ships.check()
                if writer.error is not None:
                    drill.row.fail(f"writer: {writer.error!r}")
                await audit(drill, backbone, writer.written, "")
        finally:
            backbone.close()


Sample = tuple[datetime, dict[int, int]]  # when, the group's committed offset per partition


async def postgres_outage(drill: Drill) -> None:
    """Stop PostgreSQL (immediate: a crash as clients see it) for ``outage_seconds`` while
    commands flow in, then start it again with its data."""
    outage = drill.size.outage_seconds
    with drill.site.own_postgres() as (server, pg):
        settings = drill.site.settings(pg)
        topic, bootstrap = inbound_topic(settings), settings.kafka_bootstrap_servers
        group = settings.kafka_consumer_group
        cases = int(drill.size.rate * (outage + 3 * drill.size.spacing) / PER_CASE)
        messages = valid_messages(drill.tag, cases, drill.rng)
        setup = build(settings)
        await ensure_topics(setup)
        setup.close()
        samples: list[Sample] = []
        with fleet(drill, settings) as ships:
            await leading(ships)
            async with Sender(bootstrap, topic) as sender:
                sending = asyncio.create_task(pump(sender, messages, drill.size.rate))
                await asyncio.sleep(drill.size.spacing)
                await asyncio.to_thread(server.stop, "immediate")
                down = time.monotonic()
                while time.monotonic() - down < outage:
                    samples.append((datetime.now(UTC), await committed(bootstrap, group, topic)))
                    await asyncio.sleep(0.5)
                at_back = sum((await committed(bootstrap, group, topic)).values())
                await asyncio.to_thread(server.start)
                back = time.monotonic()

                async def resumed() -> bool:
                    return sum((await committed(bootstrap, group, topic)).values()) > at_back

                await wait_for(resumed, 90, "ingest to resume after PostgreSQL came back")
                drill.row.recover_s = time.monotonic() - back
                before_back = list(sender.sent)
                await wait_for(
                    lambda: all_committed(settings, topic, before_back),
                    300,
                    "ingest to catch up after PostgreSQL came back",
                )
                ships.check()
                await asyncio.wait_for(sending, 300)
            backbone = build(settings)
            try:
                await audit(drill, backbone, sender.sent, topic)
                early = committed_too_early(sender.sent, samples, store_log(backbone))
            finally:
                backbone.close()
        for message, when in early[:5]:
            drill.row.fail(
                f"committed past {message.command_id} at {when:%H:%M:%S.%f} before it was stored"
            )


def committed_too_early(
    sent: list[Message], samples: list[Sample], log: StoreLog
) -> list[tuple[Message, datetime]]:
    """Messages the group had committed past (during the outage) before they were stored."""
    early = []
    for when, offsets in samples:
        for m in sent:
            if m.offset < offsets.get(m.partition, 0):
                stored = log.recorded.get(m.command_id or "")
                if stored is None or stored > when:
                    early.append((m, when))
    return early
