"""The relays under faults: a send that fails leaves nothing advanced; a broker that comes back as
another cluster is noticed before anything is written to it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from adapters.apache_kafka import ApacheKafka
from adapters.relay_positions import RelayPositions
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.kafka_runtime import relay as relay_module
from tests.conftest import sqlite_settings
from tests.integration.test_relay import assert_complete_and_ordered, stored_count
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker


async def test_a_failed_send_of_agreement_events_leaves_the_sharing_router_as_it_was(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen from outside: the router applied agreement events while routing, the send failed,
    and the retry applied them again (AssertionError, `rjb serve` down)."""
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        run_script(bb.commands, sharing_agreements())
        run_script(bb.commands, head_teacher())
        relay = bb.kafka(kafka_broker.bootstrap).sharing_relay()
        await relay.start()
        real_send = relay_module.send_in_order
        failures = iter([True, False])

        async def flaky(producer: Any, records: Any) -> Any:
            if next(failures, False):
                raise KafkaTimeoutError("broker gone mid-batch")
            return await real_send(producer, records)

        monkeypatch.setattr(relay_module, "send_in_order", flaky)
        with pytest.raises(KafkaTimeoutError):
            await relay.step()
        assert relay.state.position == 0 and relay.router.pending == []
        published = await relay.catch_up()  # the retry: no AssertionError, nothing twice
        await relay.stop()
        assert published == stored_count(bb)
        assert relay.router.recipients  # the agreement was followed once, in order
    finally:
        bb.close()


async def test_a_broker_formatted_anew_is_noticed_before_the_next_batch_is_written_to_it(
    own_kafka_broker: ApacheKafka, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        run_script(bb.commands, head_teacher())
        relay = bb.kafka(own_kafka_broker.bootstrap).relay()
        await relay.start()
        first_cluster = relay.cluster
        assert await relay.catch_up() == stored_count(bb)
        await asyncio.to_thread(own_kafka_broker.restart)  # empty, under a new cluster id
        run_script(bb.commands, sharing_agreements())  # more events while the relay is away
        assert await relay.step() == 0  # noticed before writing: no batch went to the new one
        assert relay.cluster == own_kafka_broker.cluster_id != first_cluster
        assert relay.state.position == 0  # a cluster it never wrote to: from the beginning
        await relay.catch_up()
        await relay.stop()
        topic = relay.router.topic_specs()[0].name
        records = await read_topic(own_kafka_broker.bootstrap, topic, stored_count(bb))
        assert len(records) == stored_count(bb)  # each event once, nothing before version 1
        assert_complete_and_ordered(records, bb)
        positions = RelayPositions(bb.store)
        assert positions.load("case-events", first_cluster).position > 0
        assert positions.load("case-events", relay.cluster).position == stored_count(bb)
    finally:
        bb.close()
