"""The sharing relay decodes an event only when an agreement could send it somewhere: with no
agreement naming any recipient, events go nowhere and record no decision, undecoded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_config import Topics
from adapters.stored_records import StoredRecords
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.kafka_runtime import routing
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
