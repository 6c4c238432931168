"""Inbound topics keep no plaintext command once the backbone has dealt with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from services.bootstrap import build
from services.kafka_runtime.inbound_trim import InboundTrimmer
from tests.conftest import sqlite_settings
from tests.kafka_helpers import (
    agencies_sending_in_tests,
    fast_kafka_settings,
    kent_police_topic,
    read_topic,
)
from tests.servers import Broker

NAME = "Priya Shah"


async def test_a_stored_command_naming_a_person_is_deleted_from_the_inbound_topic(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    parts = bb.kafka(kafka_broker.bootstrap)
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    inbound = parts.inbound(quiet=True)
    await inbound.start()
    try:
        referral = {
            "type": "refer_case",
            "command_id": "c-1",
            "user": "pc-1",
            "occurred_at": "2025-01-02T10:00:00+00:00",
            "route": "police",
            "cjs_stage": "pre_charge",
            "crime_type": "theft",
            "pcc_area": "kent",
            "crime_reported_on": None,
            "summary": f"{NAME}'s bicycle taken from the school",
        }
        producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(kent_police_topic(parts), orjson.dumps(referral), b"c-1")
        finally:
            await producer.stop()
        for _ in range(200):
            if inbound.stats.stored_count:
                break
            await asyncio.sleep(0.05)
        assert inbound.stats.stored_count == 1
        before = await read_topic(kafka_broker.bootstrap, kent_police_topic(parts), 1)
        assert NAME in before[0].value.decode()  # the agency's message, as sent
        trimmer = InboundTrimmer(parts.connection, parts.topics, bb.settings.kafka_consumer_group)
        for _ in range(100):  # the commit lands a moment after the store
            if await trimmer.trim():
                break
            await asyncio.sleep(0.05)
        assert trimmer.trimmed == 1
        after = await read_topic(kafka_broker.bootstrap, kent_police_topic(parts), 0, timeout=2)
        assert after == []
        assert await trimmer.trim() == 0  # nothing more to delete
    finally:
        await inbound.stop()
        bb.close()
