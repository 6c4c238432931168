"""A second client library (confluent-kafka / librdkafka) reads the case-event topic."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from adapters.cloudevents import attributes
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import learning_difficulties
from tests.conftest import sqlite_settings
from tests.kafka_helpers import fast_kafka_settings
from tests.servers import Broker


def read_with_librdkafka(bootstrap: str, topic: str, partitions: int, want: int) -> list[object]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "confluent-reader",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    records: list[object] = []
    try:
        for _ in range(200):
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                records.append(message)
            if len(records) >= want:
                break
    finally:
        consumer.close()
    return records


async def test_confluent_kafka_reads_the_case_events_and_their_cloudevents_headers(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        story = learning_difficulties()
        run_script(bb.commands, story)
        parts = bb.kafka(kafka_broker.bootstrap)
        relay = parts.relay()
        await relay.start()
        total = await relay.catch_up()
        await relay.stop()
        records = await asyncio.to_thread(
            read_with_librdkafka,
            kafka_broker.bootstrap,
            parts.topics.case_events,
            parts.topics.case_event_partitions,
            total,
        )
    finally:
        bb.close()
    assert len(records) == total
    mine = [m for m in records if m.key() == str(story.case_id).encode()]  # type: ignore[attr-defined]
    ce = [attributes(m.headers()) for m in mine]  # type: ignore[attr-defined]
    assert ce[0]["type"] == "uk.gov.rj.case.referred.v2" and ce[0]["specversion"] == "1.0"
    assert all(c["subject"] == str(story.case_id) for c in ce)
    versions = [orjson.loads(m.value())["originator_version"] for m in mine]  # type: ignore[attr-defined]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))
