"""The embedded dev broker of `make run` (tansu, in memory) keeps working: a small smoke set.

Everything else runs on Apache Kafka; these keep the relay's tansu path honest (no idempotent
producer there, and a restarted tansu comes back empty on the same port).
"""

from __future__ import annotations

from adapters.local_broker import LocalBroker
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import head_teacher
from services.settings import Settings
from tests.integration.test_relay import (
    assert_complete_and_ordered,
    republished_after_broker_loss,
    stored_count,
)
from tests.kafka_helpers import fast_kafka_settings, read_topic


async def test_on_tansu_the_relay_publishes_every_event_without_the_idempotent_producer(
    tansu_broker: LocalBroker, store_settings: Settings, topic_prefix: str
) -> None:
    settings = fast_kafka_settings(store_settings, topic_prefix, kafka_idempotent_producer=False)
    bb = build(settings)
    try:
        run_script(bb.commands, head_teacher())
        relay = bb.kafka(tansu_broker.bootstrap).relay()
        await relay.start()
        try:
            assert await relay.catch_up() == stored_count(bb)
            assert await relay.broker_has_our_data()
        finally:
            await relay.stop()
        records = await read_topic(tansu_broker.bootstrap, relay.router.topic_specs()[0].name)
        assert_complete_and_ordered(records, bb)
    finally:
        bb.close()


async def test_on_tansu_a_broker_restarted_empty_gets_everything_republished(
    store_settings: Settings, topic_prefix: str
) -> None:
    with LocalBroker() as broker:
        settings = store_settings.model_copy(update={"kafka_idempotent_producer": False})
        await republished_after_broker_loss(broker, settings, topic_prefix)
