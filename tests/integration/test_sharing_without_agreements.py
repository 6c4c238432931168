"""The sharing relay decodes an event only when an agreement could send it somewhere: with no
agreement naming any recipient, events go nowhere and record no decision, undecoded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_config import Topics
from adapters.stored_records import StoredRecords
from services.bootstrap import Backbone, build
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.kafka_runtime import routing
from services.kafka_runtime.relay import Relay
from services.sharing import SharingRouter
from tests.conftest import sqlite_settings
from tests.integration.test_relay import stored_count
from tests.kafka_helpers import fast_kafka_settings
from tests.servers import Broker


def test_with_no_agreement_the_sharing_relay_decodes_nothing_and_decides_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bb = build(sqlite_settings(tmp_path))
    try:
        run_script(bb.commands, head_teacher())
        router = SharingRouter(bb.store, Topics.from_settings(bb.settings))
        notifications = list(bb.store.recorder.select_notifications(1, 1000))

        def decoded(*_: Any) -> Any:
            raise AssertionError("decoded an event with no agreement to decide it by")

        monkeypatch.setattr(routing, "sealed_event", decoded)
        records = StoredRecords(bb.store, "http://rjb.test")
        assert routing.outgoing(bb.store, router, records, notifications) == []
        assert router.pending == []
    finally:
        bb.close()


def test_agreement_events_are_still_followed_and_then_every_event_is_decided(
    tmp_path: Path,
) -> None:
    bb = build(sqlite_settings(tmp_path))
    try:
        run_script(bb.commands, sharing_agreements())
        run_script(bb.commands, head_teacher())
        router = SharingRouter(bb.store, Topics.from_settings(bb.settings))
        notifications = list(bb.store.recorder.select_notifications(1, 1000))
        records = StoredRecords(bb.store, "http://rjb.test")
        routing.outgoing(bb.store, router, records, notifications)
        assert router.recipients  # the agreements were followed
        decided = {row.aggregate_id for row in router.pending}
        cases = {str(n.originator_id) for n in notifications if "Case" in n.topic}
        assert cases <= decided  # each case's events were decided for the recipients
    finally:
        bb.close()


async def test_a_batch_that_goes_nowhere_asks_the_broker_nothing_and_still_moves_on(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        run_script(bb.commands, head_teacher())  # no agreement: the sharing relay sends nothing
        relay = bb.kafka(kafka_broker.bootstrap).sharing_relay()
        await relay.start()
        asked = 0
        real = relay.identity.current

        async def counted() -> str:
            nonlocal asked
            asked += 1
            return await real()

        relay.identity.current = counted  # type: ignore[method-assign]
        try:
            assert await relay.catch_up() == stored_count(bb)
        finally:
            await relay.stop()
        assert asked == 0
        assert relay.positions.load("shared", relay.cluster).position == stored_count(bb)
    finally:
        bb.close()


@pytest.fixture
def kbb(kafka_broker: Broker, tmp_path: Path, topic_prefix: str) -> Iterator[Backbone]:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    yield bb
    bb.close()


def sharing_relay_in_fives(bb: Backbone, bootstrap: str) -> Relay:
    """The sharing relay reading five notifications a batch, its idle save an hour away."""
    relay = bb.kafka(bootstrap).sharing_relay()
    relay.batch_size, relay.idle_save_every = 5, 3600.0
    return relay


async def test_batches_that_go_nowhere_save_the_position_at_most_once_a_second_and_on_stop(
    kafka_broker: Broker, kbb: Backbone
) -> None:
    run_script(kbb.commands, head_teacher())  # no agreement: the sharing relay sends nothing
    relay = sharing_relay_in_fives(kbb, kafka_broker.bootstrap)
    await relay.start()
    try:
        assert await relay.catch_up() == stored_count(kbb)
        assert relay.state.position == stored_count(kbb)
        saved = relay.positions.load("shared", relay.cluster).position
        assert saved == 5, "only the first batch is saved while nothing is sent"
    finally:
        await relay.stop()
    assert relay.positions.load("shared", relay.cluster).position == stored_count(kbb)


async def test_a_crash_before_the_idle_save_only_reads_again_what_sent_nothing(
    kafka_broker: Broker, kbb: Backbone
) -> None:
    run_script(kbb.commands, head_teacher())
    crashed = sharing_relay_in_fives(kbb, kafka_broker.bootstrap)
    await crashed.start()
    await crashed.catch_up()
    assert crashed.producer is not None
    await crashed.producer.stop()  # killed: never stopped, its idle position never saved
    successor = kbb.kafka(kafka_broker.bootstrap).sharing_relay()
    await successor.start()
    try:
        assert successor.state.position == 5
        assert await successor.catch_up() == stored_count(kbb) - 5
        assert successor.router.topic_specs() == []  # nothing was, or is, shared
    finally:
        await successor.stop()
        crashed.unsaved = False  # its connections closed, its position still not saved
        await crashed.stop()


async def test_a_batch_with_decisions_is_saved_at_once_with_its_decisions(
    kafka_broker: Broker, kbb: Backbone
) -> None:
    run_script(kbb.commands, sharing_agreements())
    run_script(kbb.commands, head_teacher())
    relay = sharing_relay_in_fives(kbb, kafka_broker.bootstrap)
    await relay.start()
    try:
        await relay.catch_up()
        saved = relay.positions.load("shared", relay.cluster).position
        assert saved == relay.state.position == stored_count(kbb)
        assert not relay.unsaved
    finally:
        await relay.stop()
