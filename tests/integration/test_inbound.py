"""Agencies send commands and prison movements over Kafka; bad input is dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from adapters.cloudevents import attributes
from services.bootstrap import Backbone, build
from services.demo.stories import head_teacher
from services.kafka_runtime.dead_letters import DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.wiring import KafkaParts
from tests.conftest import sqlite_settings
from tests.dead_letter_helpers import opened
from tests.kafka_helpers import (
    agencies_sending_in_tests,
    fast_kafka_settings,
    kent_police_topic,
    read_topic,
)
from tests.servers import Broker
from tests.unit.test_inbound_parse import command


@pytest.fixture
def parts(kafka_broker: Broker, tmp_path: Path, topic_prefix: str) -> Iterator[KafkaParts]:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    yield bb.kafka(kafka_broker.bootstrap)
    bb.close()


@pytest.fixture
async def inbound(parts: KafkaParts) -> AsyncIterator[Inbound]:
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    service = parts.inbound()
    await service.start()
    yield service
    await service.stop()


async def send(bootstrap: str, messages: list[tuple[str, bytes, bytes, list[Any]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for topic, key, value, headers in messages:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def story_messages(parts: KafkaParts) -> list[tuple[str, bytes, bytes, list[Any]]]:
    out = []
    for kind, payload in head_teacher().steps():
        if kind == "movement":
            noms = payload["additionalInformation"]["nomsNumber"]
            out.append((parts.topics.movements, noms.encode(), orjson.dumps(payload), []))
        else:
            key = payload.get("case_id") or payload.get("reference") or payload["command_id"]
            topic = parts.topics.inbound_commands(payload["agency"])
            out.append((topic, str(key).encode(), orjson.dumps(payload), []))
    return out


async def test_a_story_sent_over_kafka_is_stored_and_comes_back_on_the_case_event_topic(
    parts: KafkaParts, inbound: Inbound
) -> None:
    messages = story_messages(parts)
    for sent, message in enumerate(messages, start=1):
        # Each agency writes its own topic, so Kafka orders nothing across agencies: like the
        # agencies themselves, the test sends a step once the one it follows is stored.
        await send(parts.bootstrap, [message])
        await until(lambda n=sent: inbound.stats.stored_count == n)  # type: ignore[misc]
    assert inbound.stats.dead_letter_count == 0
    backbone: Backbone = parts.backbone
    case = backbone.commands.load(head_teacher().case_id)
    assert case.closed_reason.value == "completed"
    relay = parts.relay()
    await relay.start()
    total = await relay.catch_up()
    await relay.stop()
    records = await read_topic(parts.bootstrap, parts.topics.case_events, total)
    types = [
        attributes(r.headers)["type"]
        for r in records
        if r.key == str(head_teacher().case_id).encode()
    ]
    assert "uk.gov.rj.case.case_closed.v1" in types
    assert any(
        t == "uk.gov.rj.custody.movement_recorded.v1"
        for t in (attributes(r.headers)["type"] for r in records)
    )


async def test_bad_messages_go_to_the_dead_letter_topic_with_the_reason_and_original_bytes(
    parts: KafkaParts, inbound: Inbound
) -> None:
    t = parts.topics
    kent, prison, hub = (t.inbound_commands(a) for a in ("police:kent", "prison:LEI", "pcc:kent"))
    consent = {
        "type": "record_consent",
        "command_id": "c-9",
        "agency": "prison:LEI",
        "user": "officer",
        "occurred_at": "2025-01-02T10:00:00+00:00",
        "case_id": "6f1c6ad8-4a0d-4c7c-9a43-3c3ea1b0a111",
        "participant_id": "o1",
        "form_reference": "F-1",
    }
    bad: list[tuple[str, bytes, bytes, list[Any]]] = [
        (kent, b"k1", b"{not json", [("trace", b"x")]),
        (kent, b"k2", orjson.dumps(command(type="teleport_offender")), []),
        (prison, b"k3", orjson.dumps(consent), []),
        (kent, b"k4", orjson.dumps(command(crime_type="jaywalking")), []),
        (
            t.movements,
            b"k5",
            orjson.dumps(
                {
                    "eventType": "prison-offender-events.prisoner.received",
                    "occurredAt": "2025-01-01T10:00:00Z",
                    "additionalInformation": {"prisonId": "LEI"},
                }
            ),
            [],
        ),
        (kent, b"k6", orjson.dumps(command(command_id="c-2")), [("rjb_agency", b"police:essex")]),
        (hub, b"k7", orjson.dumps({**consent, "agency": "pcc:kent"}), []),
        # FastStream's own decoder would fail on this before our dead-letter handling
        (kent, b"k8", b"\xff{", [("content-type", b"application/json")]),
    ]
    await send(parts.bootstrap, bad)
    await until(lambda: inbound.stats.dead_letter_count == len(bad))
    dead = await read_topic(parts.bootstrap, t.dead_letter, len(bad))
    by_key = {opened(parts, r)[0]: r for r in dead}  # sealed: opened for the key, as rjb dlq does
    reasons = {k: dict(r.headers)[DLQ_REASON].decode() for k, r in by_key.items()}
    assert reasons[b"k1"].startswith("malformed JSON")
    assert reasons[b"k2"] == "unknown command type 'teleport_offender'"
    assert reasons[b"k3"] == (
        "agency role: a prison agency may not send record_consent "
        "[rule: an_agency_sends_only_the_commands_its_role_allows]"
    )
    assert reasons[b"k4"].startswith("schema violation: refer_case.crime_type")
    assert reasons[b"k5"].startswith("schema violation")
    assert reasons[b"k6"] == (
        "sent by police:essex but claims to come from police:kent "
        "[rule: an_agency_acts_only_as_itself]"
    )
    assert reasons[b"k7"].startswith("domain rule: no Case")
    assert reasons[b"k7"].endswith("[rule: commands_name_an_existing_aggregate]")
    assert reasons[b"k8"].startswith("malformed JSON")
    first = by_key[b"k1"]
    _, original_headers, value = opened(parts, first)
    assert value == b"{not json" and original_headers == [("trace", b"x")]
    headers = dict(first.headers)
    assert headers[DLQ_TOPIC].decode() == kent
    assert int(headers[DLQ_PARTITION]) in range(2) and int(headers[DLQ_OFFSET]) >= 0
    assert inbound.stats.stored_count == 0


async def test_a_command_redelivered_after_a_crash_before_commit_has_one_effect(
    parts: KafkaParts, inbound: Inbound
) -> None:
    real = parts.backbone.commands
    calls: list[bool] = []

    class CrashOnceAfterStoring:
        def handle(self, cmd: Any) -> Any:
            result = real.handle(cmd)
            calls.append(result.duplicate)
            if len(calls) == 1:
                raise ConnectionError("crashed after storing, before the offset was committed")
            return result

    inbound.commands = CrashOnceAfterStoring()  # type: ignore[assignment]
    message = orjson.dumps(command())
    await send(parts.bootstrap, [(kent_police_topic(parts), b"c-1", message, [])] * 2)
    await until(lambda: len(calls) == 3)
    assert calls == [False, True, True]  # stored once; the redelivery and the resend were no-ops
    case_id = inbound.stats.stored[0].aggregate_id
    assert real.load(case_id).version == 1


async def test_a_command_naming_another_agency_than_its_topic_is_dead_lettered_as_impersonation(
    parts: KafkaParts, inbound: Inbound
) -> None:
    kent = kent_police_topic(parts)
    forged = orjson.dumps(command(agency="police:essex", command_id="c-forged"))
    unnamed = {k: v for k, v in command(command_id="c-own").items() if k != "agency"}
    await send(
        parts.bootstrap, [(kent, b"k1", forged, []), (kent, b"k1", orjson.dumps(unnamed), [])]
    )
    await until(lambda: inbound.stats.stored_count == 1 and inbound.stats.dead_letter_count == 1)
    dead = await read_topic(parts.bootstrap, parts.topics.dead_letter, 1)
    reason = dict(dead[0].headers)[DLQ_REASON].decode()
    assert reason.startswith("impersonation: read from the inbound topic of police:kent")
    assert "'police:essex'" in reason and inbound.health.impersonations == 1
    stored = inbound.stats.stored[0]
    case = parts.backbone.commands.load(stored.aggregate_id)
    assert case.collect_events() == [] and stored.command_id == "c-own"
    assert parts.backbone.store.recorder.max_notification_id() == 1  # the forged one: nothing
