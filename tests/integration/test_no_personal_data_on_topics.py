"""After the demo, a foreign client (confluent-kafka) reading every topic of the backbone finds
no personal string of the demo: personal fields travel sealed (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from domain.personal import personal_fields
from services.bootstrap import Backbone, build
from services.demo.runner import run_all
from tests.conftest import sqlite_settings
from tests.kafka_helpers import fast_kafka_settings
from tests.servers import Broker


def personal_strings(bb: Backbone) -> set[str]:
    """Every personal value the demo stored (decrypted), four characters or longer."""
    found: set[str] = set()
    for n in bb.store.recorder.select_notifications(1, 1_000_000):
        event = bb.store.mapper.to_domain_event(n)
        for name in personal_fields(type(event)):
            value: Any = getattr(event, name, None)
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, str) and len(item) >= 4:
                    found.add(item)
    return found


def everything_on(bootstrap: str, prefix: str) -> bytes:
    """Keys, values and header values of every record of every topic named ``prefix.*``."""
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    parts = [
        TopicPartition(name, p, OFFSET_BEGINNING)
        for name, topic in metadata.topics.items()
        if name.startswith(f"{prefix}.")
        for p in topic.partitions
    ]
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{prefix}.scanner",
            "enable.auto.commit": False,
        }
    )
    consumer.assign(parts)
    chunks: list[bytes] = []
    idle = 0
    try:
        while idle < 20:  # two seconds with nothing new: every partition read to its end
            message = consumer.poll(0.1)
            if message is None or message.error() is not None:
                idle += 1
                continue
            idle = 0
            chunks += [message.key() or b"", message.value() or b""]
            chunks += [v or b"" for _, v in message.headers() or []]
    finally:
        consumer.close()
    return b"\n".join(chunks)


async def test_no_personal_string_of_the_demo_is_in_clear_on_any_topic(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        run_all(bb.commands)
        parts = bb.kafka(kafka_broker.bootstrap)
        for relay in (parts.relay(), parts.sharing_relay()):
            await relay.start()
            try:
                await relay.catch_up()
            finally:
                await relay.stop()
        secrets = personal_strings(bb)
        assert len(secrets) > 20 and "Mrs A. (head teacher)" in secrets
        scanned = everything_on(kafka_broker.bootstrap, topic_prefix).decode(errors="replace")
        assert '"$personal"' in scanned  # the sealed envelopes are there
        assert sorted(s for s in secrets if s in scanned) == []
    finally:
        bb.close()
