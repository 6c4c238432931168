"""The relay publishes the notification log to the case-event topic, complete and in order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapters.apache_kafka import ApacheKafka
from adapters.cloudevents import attributes
from adapters.dedupe import Deduplicator
from adapters.local_broker import LocalBroker
from services.bootstrap import Backbone, build
from services.demo.runner import run_all, run_script
from services.demo.stories import head_teacher
from services.settings import Settings
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker, PgDatabase


@pytest.fixture
def kbackbone(store_settings: Settings, topic_prefix: str) -> Iterator[Backbone]:
    bb = build(fast_kafka_settings(store_settings, topic_prefix))
    yield bb
    bb.close()


def stored_count(bb: Backbone) -> int:
    return int(bb.store.recorder.max_notification_id() or 0)


def versions_by_key(records: list[Any]) -> dict[bytes, list[int]]:
    out: dict[bytes, list[int]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        out[r.key].append(orjson.loads(r.value)["originator_version"])
    return out


def assert_complete_and_ordered(records: list[Any], bb: Backbone) -> None:
    """Every stored event is there; per key, first sightings run 1, 2, 3, ... with no gap."""
    stored = {
        (n.originator_id.bytes, n.originator_version)
        for n in bb.store.recorder.select_notifications(1, 100_000)
    }
    for key, versions in versions_by_key(records).items():
        first_seen = list(dict.fromkeys(versions))
        assert first_seen == list(range(1, len(first_seen) + 1)), (key, versions)
    import uuid

    seen = {
        (uuid.UUID(r.key.decode()).bytes, orjson.loads(r.value)["originator_version"])
        for r in records
    }
    assert seen == stored


async def test_every_stored_event_reaches_the_case_event_topic_as_a_cloudevent(
    kafka_broker: Broker, kbackbone: Backbone
) -> None:
    run_script(kbackbone.commands, head_teacher())
    relay = kbackbone.kafka(kafka_broker.bootstrap).relay()
    await relay.start()
    try:
        published = await relay.catch_up()
    finally:
        await relay.stop()
    assert published == stored_count(kbackbone)
    topic = relay.router.topic_specs()[0].name
    records = await read_topic(kafka_broker.bootstrap, topic, at_least=published)
    assert len(records) == published
    assert_complete_and_ordered(records, kbackbone)
    referral = next(r for r in records if attributes(r.headers)["type"].endswith("referred.v2"))
    ce = attributes(referral.headers)
    assert ce["specversion"] == "1.0"
    assert ce["source"] == "police:west-yorkshire"
    assert ce["subject"] == referral.key.decode() == str(head_teacher().case_id)
    assert ce["datacontenttype"] == "application/json"
    assert ce["time"].startswith("2023-03-01")
    assert orjson.loads(referral.value)["crime_type"] == "burglary"


async def test_a_relay_killed_mid_stream_resumes_with_no_gap_and_per_key_order_kept(
    kafka_broker: Broker, kbackbone: Backbone
) -> None:
    run_all(kbackbone.commands)
    parts = kbackbone.kafka(kafka_broker.bootstrap)
    first = parts.relay()
    first.batch_size = 25
    await first.start()
    await first.step()
    await first.step()

    def crash(*_: object) -> None:
        raise RuntimeError("killed after the broker acked, before the position was saved")

    first.positions.save = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await first.step()
    await first.stop()

    second = parts.relay()
    await second.start()
    try:
        assert second.state.position == 50
        await second.catch_up()
    finally:
        await second.stop()
    total = stored_count(kbackbone)
    records = await read_topic(kafka_broker.bootstrap, parts.topics.case_events, total + 25)
    assert len(records) == total + 25  # the unsaved batch went twice: duplicates, no gap
    assert_complete_and_ordered(records, kbackbone)
    subscriber = Deduplicator()
    applied = [
        r
        for r in sorted(records, key=lambda r: (r.partition, r.offset))
        if subscriber.first_time_record(r.headers, orjson.loads(r.value)["originator_version"])
    ]
    assert len(applied) == total and subscriber.duplicates == 25


async def test_a_broker_restarted_empty_gets_everything_republished(
    own_kafka_broker: ApacheKafka, store_settings: Settings, topic_prefix: str
) -> None:
    await republished_after_broker_loss(own_kafka_broker, store_settings, topic_prefix)


async def republished_after_broker_loss(
    broker: ApacheKafka | LocalBroker, store_settings: Settings, topic_prefix: str
) -> None:
    """The broker comes back empty (a new cluster on the same port); the relay notices and
    publishes everything again, per key in version order."""
    bb = build(fast_kafka_settings(store_settings, topic_prefix))
    try:
        run_script(bb.commands, head_teacher())
        relay = bb.kafka(broker.bootstrap).relay()
        await relay.start()
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        topic = relay.router.topic_specs()[0].name
        total = stored_count(bb)
        assert len(await read_topic(broker.bootstrap, topic, total)) == total
        await asyncio.to_thread(broker.restart)
        records = await read_topic(broker.bootstrap, topic, total, timeout=30)
        stop.set()
        await task
        await relay.stop()
        assert relay.republished >= 1
        assert len(records) >= total
        assert_complete_and_ordered(records, bb)
    finally:
        bb.close()


async def woken_long_before_its_next_poll(store: Settings, bootstrap: str, prefix: str) -> Any:
    """Store a story while the relay waits out a 30 s poll; it must publish within 10 s.
    Returns the relay's wake-up (each test asks it how it was woken)."""
    settings = fast_kafka_settings(
        store, prefix, kafka_relay_poll_interval=30.0, kafka_broker_check_interval=60.0
    )
    bb = build(settings)
    relay = bb.kafka(bootstrap).relay()
    await relay.start()
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(0.3)  # the relay has polled once and is now waiting
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(run_script, bb.commands, head_teacher())
        total = stored_count(bb)
        records = await read_topic(bootstrap, relay.router.topic_specs()[0].name, total, timeout=10)
        assert len(records) == total
        assert loop.time() - started < 10  # far below the 30 s poll interval
        return relay.wakeup
    finally:
        stop.set()
        await task
        await relay.stop()
        bb.close()


@pytest.mark.postgres
async def test_on_postgresql_a_notification_wakes_the_relay_long_before_its_next_poll(
    kafka_broker: Broker, pg_database: PgDatabase, topic_prefix: str
) -> None:
    from tests.conftest import pg_settings

    wakeup = await woken_long_before_its_next_poll(
        pg_settings(pg_database), kafka_broker.bootstrap, topic_prefix
    )
    assert getattr(wakeup, "notifications", 0) > 0


async def test_a_batch_of_many_events_per_partition_is_not_taken_for_lost_data(
    kafka_broker: Broker, kbackbone: Backbone
) -> None:
    """A partition's end is compared with the first offset of the last batch acked there: on
    Apache Kafka the end is past the last record, on tansu past the last batch's base offset."""
    run_script(kbackbone.commands, head_teacher())
    relay = kbackbone.kafka(kafka_broker.bootstrap).relay()
    await relay.start()
    try:
        assert await relay.catch_up() == stored_count(kbackbone)
        assert await relay.broker_has_our_data()
    finally:
        await relay.stop()


async def test_the_broker_check_asks_on_one_consumer_kept_open_between_checks(
    kafka_broker: Broker, kbackbone: Backbone
) -> None:
    """A new consumer per check held the relay up for 110-300 ms every few seconds."""
    run_script(kbackbone.commands, head_teacher())
    relay = kbackbone.kafka(kafka_broker.bootstrap).relay()
    await relay.start()
    try:
        await relay.catch_up()
        assert await relay.broker_has_our_data()
        kept = relay.end_offsets.client._client
        assert kept is not None
        assert await relay.broker_has_our_data()
        assert relay.end_offsets.client._client is kept
    finally:
        await relay.stop()
    assert relay.end_offsets.client._client is None  # closed with the relay


async def test_on_sqlite_a_save_in_the_same_process_wakes_the_relay_long_before_its_next_poll(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    from tests.conftest import sqlite_settings

    wakeup = await woken_long_before_its_next_poll(
        sqlite_settings(tmp_path), kafka_broker.bootstrap, topic_prefix
    )
    assert getattr(wakeup, "wakeups", 0) > 0
