"""Poison pills on every partition are dead-lettered with a reason; the messages behind them flow.

Over TCP on Apache Kafka, on SQLite and PostgreSQL. Also: headers with null and binary values,
and a malformed message near 1 MB, whose dead letter is cut to fit with the original's size and
sha256 (and cut further when the dead-letter topic refuses even that).
"""

from __future__ import annotations

import asyncio
import hashlib
import os

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.kafka_runtime.dead_letters import (
    DLQ_ERROR,
    DLQ_PARTITION,
    DLQ_REASON,
    DLQ_SHA256,
    DLQ_SIZE,
    DLQ_TRUNCATED,
)
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.wiring import KafkaParts
from tests.dead_letter_helpers import opened
from tests.integration.test_inbound import command, until
from tests.kafka_helpers import (
    kent_police_topic,
    read_topic,
)

Message = tuple[int, bytes, list[tuple[str, bytes | None]]]  # partition, value, headers


async def send_to(bootstrap: str, topic: str, messages: list[Message]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=False, max_request_size=2_000_000
    )
    await producer.start()
    try:
        for partition, value, headers in messages:
            await producer.send_and_wait(topic, value, partition=partition, headers=headers)
    finally:
        await producer.stop()


async def committed(parts: KafkaParts) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=parts.bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(parts.settings.kafka_consumer_group)
    finally:
        await admin.close()
    return {
        tp.partition: meta.offset
        for tp, meta in offsets.items()
        if tp.topic == kent_police_topic(parts)
    }


async def committed_soon(parts: KafkaParts, expected: dict[int, int]) -> dict[int, int]:
    """The group's committed offsets on the command topic, once they equal ``expected`` (or 5 s)."""
    for _ in range(50):
        offsets = {p: o for p, o in (await committed(parts)).items() if p in expected}
        if offsets == expected:
            break
        await asyncio.sleep(0.1)
    return offsets


POISON: list[tuple[bytes, str]] = [
    (orjson.dumps(command(type=["x"])), "unknown command type ['x']"),
    (orjson.dumps(command(type={"a": 1})), "unknown command type {'a': 1}"),
    (orjson.dumps(command(summary={"at": {"depth": [1]}})), "schema violation: refer_case.summary"),
    (b"\xfe" + os.urandom(200), "malformed JSON: not UTF-8: UnicodeDecodeError"),
    (b'[{"type": "refer_case"}]', "malformed message: expected a JSON object, got list"),
    (b"[" * 100_000 + b"]" * 100_000, "malformed JSON: JSONDecodeError: depth limit exceeded"),
]


async def test_a_poison_pill_per_partition_is_dead_lettered_and_good_messages_behind_it_are_stored(
    parts: KafkaParts, inbound: Inbound
) -> None:
    odd_headers: list[tuple[str, bytes | None]] = [("trace", None), ("blob", b"\xff\x00\xfe")]
    messages: list[Message] = []
    for partition in (0, 1):
        messages += [(partition, value, odd_headers) for value, _ in POISON]
        messages += [
            (partition, orjson.dumps(command(command_id=f"c-{partition}-{n}")), odd_headers)
            for n in range(3)
        ]
    await send_to(parts.bootstrap, kent_police_topic(parts), messages)
    await until(lambda: inbound.stats.stored_count == 6 and inbound.stats.dead_letter_count == 12)

    dead = await read_topic(parts.bootstrap, parts.topics.dead_letter, 12)
    assert len(dead) == 12
    from_partition = [
        [r for r in dead if dict(r.headers)[DLQ_PARTITION] == p] for p in (b"0", b"1")
    ]
    for record, (value, reason) in zip(
        from_partition[0] + from_partition[1], POISON * 2, strict=True
    ):
        headers = dict(record.headers)
        assert headers[DLQ_REASON].decode().startswith(reason)
        assert headers[DLQ_ERROR]
        _, original_headers, original = opened(parts, record)
        assert original == value
        assert original_headers == odd_headers  # null and binary values kept as they came
    assert inbound.health.healthy and inbound.health.dead_letters == 12
    assert await committed_soon(parts, {0: 9, 1: 9}) == {0: 9, 1: 9}


async def test_a_malformed_message_near_1_mb_is_dead_lettered_cut_to_fit_with_its_size_and_sha256(
    parts: KafkaParts, inbound: Inbound
) -> None:
    value = b"{" + os.urandom(1_040_000)  # the broker takes it; with dlq headers it would not fit
    await send_to(
        parts.bootstrap,
        kent_police_topic(parts),
        [(0, value, [("trace", None)])],
    )
    await until(lambda: inbound.stats.dead_letter_count == 1)
    (record,) = await read_topic(parts.bootstrap, parts.topics.dead_letter, 1)
    headers = dict(record.headers)
    assert headers[DLQ_REASON].decode().startswith("message too large: 1040001 bytes")
    assert headers[DLQ_TRUNCATED] == b"value"
    assert int(headers[DLQ_SIZE]) == len(value)
    assert headers[DLQ_SHA256].decode() == hashlib.sha256(value).hexdigest()
    cut = opened(parts, record)[2]
    assert value.startswith(cut) and 900_000 < len(cut) < 1_000_000
    assert opened(parts, record)[1] == [("trace", None)]
    assert await committed_soon(parts, {0: 1}) == {0: 1}


async def test_a_dead_letter_topic_with_a_smaller_size_limit_gets_a_smaller_form_never_none(
    parts: KafkaParts,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=parts.bootstrap)
    await admin.start()
    try:
        small = NewTopic(
            parts.topics.dead_letter, 1, 1, topic_configs={"max.message.bytes": "20000"}
        )
        await admin.create_topics([small])
    finally:
        await admin.close()
    await parts.ensure_inbound_topics(["police:kent"])
    service = parts.inbound()
    await service.start()
    try:
        value = b"<" + b"x" * 200_000
        await send_to(parts.bootstrap, kent_police_topic(parts), [(1, value, [])])
        await until(lambda: service.stats.dead_letter_count == 1)
    finally:
        await service.stop()
    (record,) = await read_topic(parts.bootstrap, parts.topics.dead_letter, 1)
    headers = dict(record.headers)
    assert headers[DLQ_TRUNCATED] == b"value" and len(record.value) < 20_000
    assert headers[DLQ_SHA256].decode() == hashlib.sha256(value).hexdigest()
    assert await committed_soon(parts, {1: 1}) == {1: 1}
