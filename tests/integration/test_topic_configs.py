"""Every topic the backbone creates has explicit retention and cleanup configs, read back from
Apache Kafka with DescribeConfigs; a topic found with other values is altered at start (its other
topic settings kept), or only warned about when alignment is off; the dev broker still starts."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from adapters.kafka_config import Topics, ensure_topics
from adapters.local_broker import LocalBroker
from adapters.topic_configs import DAY_MS, topic_configs
from tests.conftest import sqlite_settings
from tests.kafka_helpers import fast_kafka_settings
from tests.servers import Broker

pytestmark = pytest.mark.asyncio


def topics(tmp_path: Path, prefix: str, **overrides: object) -> Topics:
    return Topics.from_settings(fast_kafka_settings(sqlite_settings(tmp_path), prefix, **overrides))


async def configs(bootstrap: str, names: list[str]) -> dict[str, dict[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = await topic_configs(admin, names)
    finally:
        await admin.close()
    return {name: {k: v for k, (v, _) in entries.items()} for name, entries in found.items()}


async def listed(admin: AIOKafkaAdminClient, topic: str) -> None:
    """Until the broker lists a topic just created (as a topic made earlier would be)."""
    for _ in range(100):
        if topic in await admin.list_topics():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{topic} was not created")


async def test_every_topic_is_created_with_its_retention_and_cleanup_policy(
    kafka_broker: Broker, topic_prefix: str, tmp_path: Path
) -> None:
    t = topics(tmp_path, topic_prefix)
    specs = [*t.core(), t.inbound_spec("police:kent"), t.shared_spec("pcc:kent")]
    await ensure_topics({"bootstrap_servers": kafka_broker.bootstrap}, specs)

    found = await configs(kafka_broker.bootstrap, [s.name for s in specs])
    retention = {name: int(c["retention.ms"]) for name, c in found.items()}
    assert retention == {
        t.case_events: -1,
        t.shared("pcc:kent"): -1,
        t.inbound_commands("police:kent"): 7 * DAY_MS,
        t.movements: 7 * DAY_MS,
        t.dead_letter: 14 * DAY_MS,
    }
    assert {c["cleanup.policy"] for c in found.values()} == {"delete"}  # none compacted
    assert found[t.dead_letter]["max.message.bytes"] == "1048588"


async def test_a_topic_found_with_another_retention_is_altered_at_start_keeping_its_other_settings(
    kafka_broker: Broker, topic_prefix: str, tmp_path: Path
) -> None:
    t = topics(tmp_path, topic_prefix, kafka_dead_letter_retention_days=2)
    connection = {"bootstrap_servers": kafka_broker.bootstrap}
    admin = AIOKafkaAdminClient(**connection)
    await admin.start()
    try:
        by_hand = {"retention.ms": "-1", "segment.ms": "3600000"}  # kept for ever: not allowed
        await admin.create_topics([NewTopic(t.dead_letter, 1, 1, topic_configs=by_hand)])
        await listed(admin, t.dead_letter)
    finally:
        await admin.close()

    await ensure_topics(connection, t.core())

    for _ in range(100):  # the broker applies the controller's config record a moment later
        (found,) = (await configs(kafka_broker.bootstrap, [t.dead_letter])).values()
        if found["retention.ms"] == str(2 * DAY_MS):
            break
        await asyncio.sleep(0.1)
    assert found["retention.ms"] == str(2 * DAY_MS) and found["cleanup.policy"] == "delete"
    assert found["segment.ms"] == "3600000"  # the operator's own setting stays


async def test_with_alignment_off_a_differing_topic_is_only_warned_about(
    kafka_broker: Broker, topic_prefix: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    t = topics(tmp_path, topic_prefix, kafka_align_topic_configs=False)
    connection = {"bootstrap_servers": kafka_broker.bootstrap}
    admin = AIOKafkaAdminClient(**connection)
    await admin.start()
    try:
        short = {"retention.ms": "1000"}
        await admin.create_topics([NewTopic(t.movements, 1, 1, topic_configs=short)])
        await listed(admin, t.movements)
    finally:
        await admin.close()

    with caplog.at_level(logging.WARNING, logger="adapters.topic_configs"):
        await ensure_topics(connection, t.core())

    (found,) = (await configs(kafka_broker.bootstrap, [t.movements])).values()
    assert found["retention.ms"] == "1000"
    assert (
        f"topic {t.movements}: retention.ms is 1000, the settings say {7 * DAY_MS}" in caplog.text
    )


async def test_the_dev_broker_still_creates_the_topics(
    tansu_broker: LocalBroker, topic_prefix: str, tmp_path: Path
) -> None:
    t = topics(tmp_path, topic_prefix)
    connection = {"bootstrap_servers": tansu_broker.bootstrap}
    await ensure_topics(connection, t.core())
    await ensure_topics(connection, t.core())  # existing: checked (or said unsupported), no error
    admin = AIOKafkaAdminClient(**connection)
    await admin.start()
    try:
        assert {s.name for s in t.core()} <= set(await admin.list_topics())
    finally:
        await admin.close()
