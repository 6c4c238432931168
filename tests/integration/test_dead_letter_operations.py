"""Operators deal with dead letters: list them, read one, retry it to its source topic after a
fix, or purge it; every action is recorded with who and why. Over Apache Kafka, on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid

import orjson
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from adapters.dead_letter_actions import Action, DeadLetterActions
from services.dead_letter_view import LetterFilter
from services.dlq import DeadLetterQueue
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.wiring import KafkaParts
from tests.integration.test_inbound import command, until
from tests.integration.test_inbound_poison import send_to
from tests.kafka_helpers import kent_police_topic

OPERATOR = "police:kent/ops-1"


async def send_command(parts: KafkaParts, **fields: object) -> None:
    await send_message(parts, command(**fields))


async def send_message(parts: KafkaParts, message: dict[str, object]) -> None:
    value = orjson.dumps(message)
    await send_to(parts.bootstrap, kent_police_topic(parts), [(0, value, [("trace", b"t-1")])])


async def test_retrying_a_schema_violation_dead_letters_it_again_as_a_new_letter(
    parts: KafkaParts, inbound: Inbound
) -> None:
    dlq = DeadLetterQueue.of(parts)
    await send_command(parts, summary={"not": "text"})
    await until(lambda: inbound.stats.dead_letter_count == 1)
    (first,) = await dlq.letters()
    assert first.letter.reason.startswith("schema violation: refer_case.summary")
    assert first.letter.source_topic == kent_police_topic(parts)
    assert first.letter.original_headers() == []  # sealed: a list opens nothing
    shown = await dlq.get(str(first.letter.id))  # `rjb dlq show` opens it
    assert shown.letter.original_headers() == [("trace", b"t-1")]
    assert await dlq.oldest_age_seconds() >= 0.0 and (await dlq.summary()).count == 1

    (done,) = await dlq.retry([str(first.letter.id)], OPERATOR, "INC-42: schema fixed upstream")
    assert done.done and done.detail.startswith(f"sent to {kent_police_topic(parts)}[0]@")
    await until(lambda: inbound.stats.dead_letter_count == 2)

    (again,) = await dlq.letters()  # the retried one is dealt with; its new letter waits
    assert again.letter.id.offset > first.letter.id.offset
    assert again.letter.reason == first.letter.reason
    reopened = (await dlq.get(str(again.letter.id))).letter
    assert reopened.original_headers() == [("trace", b"t-1")]  # no rjb_dlq_* on the retry
    repeat = await dlq.retry([str(first.letter.id)], OPERATOR, "twice")
    assert not repeat[0].done and repeat[0].detail.startswith("already dealt with: retry by")

    (purged,) = await dlq.purge([str(again.letter.id)], OPERATOR, "INC-42: agency resent")
    assert purged.done
    assert await dlq.letters() == [] and await dlq.oldest_age_seconds() == 0.0
    assert len(await dlq.letters(LetterFilter(handled_too=True))) == 2

    rows = DeadLetterActions(parts.backbone.store).all(parts.topics.dead_letter)
    assert [(r.letter, r.action, r.actor, r.reason) for r in rows] == [
        (first.letter.id, Action.RETRY, OPERATOR, "INC-42: schema fixed upstream"),
        (again.letter.id, Action.PURGE, OPERATOR, "INC-42: agency resent"),
    ]
    assert rows[0].detail == done.detail and rows[0].acted_at.tzinfo is not None


async def test_a_command_for_a_case_not_stored_yet_is_stored_when_retried_after_the_case_is(
    parts: KafkaParts, inbound: Inbound
) -> None:
    case_id = str(uuid.uuid4())
    victim = {
        "type": "add_participant",
        "command_id": "c-victim",
        "agency": "police:kent",
        "user": "pc-1",
        "occurred_at": "2025-01-02T11:00:00+00:00",
        "case_id": case_id,
        "participant_id": "v1",
        "role": "victim",
        "name": "Ms A.",
    }
    await send_message(parts, victim)
    await until(lambda: inbound.stats.dead_letter_count == 1)
    dlq = DeadLetterQueue.of(parts)
    (waiting,) = await dlq.letters()
    assert case_id in waiting.letter.reason

    await send_command(parts, command_id="c-refer", case_id=case_id)  # the case arrives late
    await until(lambda: inbound.stats.stored_count == 1)
    await dlq.retry([], OPERATOR, "case referred since", LetterFilter(source_topic="*.police.*"))
    await until(lambda: inbound.stats.stored_count == 2)

    case = parts.backbone.commands.load(uuid.UUID(case_id))
    assert "v1" in case.participants and inbound.stats.dead_letter_count == 1
    assert await dlq.letters() == []


async def test_a_truncated_dead_letter_is_never_retried(parts: KafkaParts) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=parts.bootstrap)
    await admin.start()
    try:  # a dead-letter topic that only takes a cut form of the message
        small = {"max.message.bytes": "20000"}
        await admin.create_topics([NewTopic(parts.topics.dead_letter, 1, 1, topic_configs=small)])
    finally:
        await admin.close()
    await parts.ensure_inbound_topics(["police:kent"])
    service = parts.inbound(quiet=True)
    await service.start()
    try:
        await send_to(parts.bootstrap, kent_police_topic(parts), [(1, b"<" + b"x" * 100_000, [])])
        await until(lambda: service.stats.dead_letter_count == 1)
    finally:
        await service.stop()
    dlq = DeadLetterQueue.of(parts)
    (item,) = await dlq.letters()
    assert item.letter.truncated == ["value"] and item.letter.original_size == 100_001
    (refused,) = await dlq.retry([str(item.letter.id)], OPERATOR, "try anyway")
    assert not refused.done and refused.detail.startswith("truncated (value)")
    assert DeadLetterActions(parts.backbone.store).all(parts.topics.dead_letter) == []
