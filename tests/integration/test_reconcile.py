"""Reconcile finds what the store holds and the broker lacks, per topic, and the repair puts it
back: over Apache Kafka, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from adapters.cloudevents import attributes
from adapters.local_broker import LocalBroker
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.kafka_runtime.wiring import KafkaParts
from services.reconcile import Reconciler
from tests.conftest import sqlite_settings
from tests.integration.test_sharing import HUB, PRISON, isa_story
from tests.kafka_helpers import fast_kafka_settings, read_topic


async def relay_everything(parts: KafkaParts) -> None:
    for relay in (parts.relay(), parts.sharing_relay()):
        await relay.start()
        await relay.catch_up()
        await relay.stop()


def log_positions(parts: KafkaParts, after: int = 0) -> list[int]:
    recorder = parts.backbone.store.recorder
    return [n.id for n in recorder.select_notifications(after + 1, 10_000)]


async def test_reconcile_reports_exactly_the_events_not_relayed_and_the_repair_publishes_them(
    parts: KafkaParts,
) -> None:
    commands = parts.backbone.commands
    run_script(commands, sharing_agreements())
    run_script(commands, isa_story())
    await relay_everything(parts)
    published = log_positions(parts)[-1]
    reconciler = Reconciler.of(parts)
    clean = await reconciler.check()
    assert clean.missing == 0
    assert [g.recipient for g in clean.gaps] == [None, HUB, PRISON]
    assert clean.gaps[0].expected == published and clean.gaps[1].expected > 0

    run_script(commands, head_teacher())  # stored, and no relay runs
    written = log_positions(parts, after=published)
    report = await reconciler.check()
    case_events = report.gaps[0]
    assert [m.position for m in case_events.missing] == written
    assert case_events.not_relayed_yet == len(written) and case_events.relay_position == published
    assert all(not g.missing for g in report.gaps[1:])  # no share decided yet, none missing

    assert await reconciler.repair(report) == len(written)
    assert (await reconciler.check()).missing == 0
    on_topic = await read_topic(parts.bootstrap, parts.topics.case_events, published)
    ids = [attributes(r.headers)["id"] for r in on_topic]
    assert len(ids) == len(set(ids)) == published + len(written)


async def test_a_cluster_that_lost_the_shared_topics_gets_back_the_records_the_relays_sent(
    parts: KafkaParts,
) -> None:
    run_script(parts.backbone.commands, sharing_agreements())
    run_script(parts.backbone.commands, isa_story())
    await relay_everything(parts)
    # The same store and cluster, other topics: as if the broker had lost every record.
    lost = dataclasses.replace(parts.topics, prefix=f"{parts.topics.prefix}-lost")
    reconciler = Reconciler(parts.backbone.store, parts.connection, lost)
    report = await reconciler.check()
    expected = {g.recipient: g.expected for g in report.gaps}
    assert {g.recipient: len(g.missing) for g in report.gaps} == expected
    assert all(g.not_relayed_yet == 0 for g in report.gaps)  # the relays had sent them all

    assert await reconciler.repair(report) == sum(expected.values())
    assert (await reconciler.check()).missing == 0
    for recipient in (HUB, PRISON):
        sent = await read_topic(parts.bootstrap, parts.topics.shared(recipient), 1)
        again = await read_topic(parts.bootstrap, lost.shared(recipient), 1)
        assert [(r.key, r.value, r.headers) for r in again] == [
            (r.key, r.value, r.headers) for r in sent
        ]


async def test_on_the_embedded_broker_reconcile_sees_records_relayed_in_batches(
    tansu_broker: LocalBroker, tmp_path: Path, topic_prefix: str
) -> None:
    settings = fast_kafka_settings(
        sqlite_settings(tmp_path), topic_prefix, kafka_idempotent_producer=False
    )
    bb = build(settings)
    try:
        run_script(bb.commands, head_teacher())
        parts = bb.kafka(tansu_broker.bootstrap)
        await relay_everything(parts)
        report = await Reconciler.of(parts).check()
        assert report.missing == 0 and report.gaps[0].expected == len(log_positions(parts))
    finally:
        bb.close()
