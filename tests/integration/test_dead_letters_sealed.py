"""Dead letters are sealed: a rejected message's personal data is nowhere in clear on the
dead-letter topic (parsed or not), the reason headers stay readable, an operator's show and retry
open it, and a day key past the retention is destroyed. Over Apache Kafka, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson

from adapters.dead_letter_seal import DLQ_SEALED, DeadLetterSeal, Header
from services.bootstrap import build
from services.dlq import DeadLetterQueue
from services.kafka_runtime.dead_letters import DLQ_REASON, DLQ_TOPIC
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.wiring import KafkaParts
from tests.dead_letter_helpers import opened
from tests.integration.test_inbound import until
from tests.integration.test_inbound_poison import send_to
from tests.kafka_helpers import (
    kent_police_topic,
    read_topic,
)

VICTIM = "Priya Ramanathan-Okafor"
CONTACT = "07700 900461"
PRISON_NUMBER = b"A1234BC"


def add_victim(case_id: str) -> bytes:
    """A well-formed command naming a victim, for a case that does not exist (a domain rule)."""
    return orjson.dumps(
        {
            "type": "add_participant",
            "command_id": f"c-{uuid.uuid4()}",
            "agency": "police:kent",
            "user": "pc-1",
            "occurred_at": "2025-01-02T10:00:00+00:00",
            "case_id": case_id,
            "participant_id": "v1",
            "role": "victim",
            "name": VICTIM,
            "contact": CONTACT,
        }
    )


async def test_a_dead_letter_holding_personal_data_shows_none_in_clear_on_the_topic(
    parts: KafkaParts, inbound: Inbound
) -> None:
    parsed = add_victim(str(uuid.uuid4()))
    unparsed = f"victim: {VICTIM}, phone {CONTACT} (not JSON)".encode()
    headers: list[Header] = [("note", f"about {VICTIM}".encode())]
    topic = kent_police_topic(parts)
    await send_to(parts.bootstrap, topic, [(0, parsed, headers), (1, unparsed, headers)])
    await until(lambda: inbound.stats.dead_letter_count == 2)

    records = await read_topic(parts.bootstrap, parts.topics.dead_letter, 2)
    for record in records:
        raw = b"".join([record.key or b"", record.value, *(v or b"" for _, v in record.headers)])
        for secret in (VICTIM.encode(), CONTACT.encode(), b"Priya", b"900461"):
            assert secret not in raw
        readable = dict(record.headers)
        assert readable[DLQ_TOPIC].decode() == topic and readable[DLQ_REASON]
        assert readable[DLQ_SEALED].decode().startswith("$dead-letters/")
        assert record.key is None and not any(k == "note" for k, _ in record.headers)
    reasons = sorted(dict(r.headers)[DLQ_REASON].decode() for r in records)
    assert reasons[0].startswith("domain rule: no Case") and reasons[1].startswith("malformed")

    originals = sorted(opened(parts, r)[2] for r in records)
    assert originals == sorted([parsed, unparsed])
    assert all(opened(parts, r)[1] == headers for r in records)


async def test_show_and_retry_open_a_sealed_letter_for_an_operator(
    parts: KafkaParts, inbound: Inbound
) -> None:
    topic = kent_police_topic(parts)
    await send_to(parts.bootstrap, topic, [(0, add_victim(str(uuid.uuid4())), [("t", b"1")])])
    await until(lambda: inbound.stats.dead_letter_count == 1)

    dlq = DeadLetterQueue.of(parts)
    (listed,) = await dlq.letters()
    assert VICTIM.encode() not in listed.letter.value and not listed.letter.opened
    shown = await dlq.get(str(listed.letter.id))
    assert shown.letter.opened and VICTIM.encode() in shown.letter.value
    assert shown.letter.original_headers() == [("t", b"1")]
    assert shown.letter.not_the_original() is None  # the sha256 of the opened value matches

    (retried,) = await dlq.retry([str(listed.letter.id)], "admin:backbone/ops", "INC-1: test")
    assert retried.done, retried.detail
    await until(lambda: inbound.stats.dead_letter_count == 2)  # still no case: a new letter
    again = await read_topic(parts.bootstrap, parts.topics.dead_letter, 2)
    assert VICTIM.encode() not in again[-1].value and opened(parts, again[-1])[1] == [("t", b"1")]


def test_day_keys_past_the_retention_are_destroyed_and_their_letters_no_longer_open(
    parts: KafkaParts,
) -> None:
    seal = DeadLetterSeal.of(parts.backbone.store, 14)
    assert seal is not None
    now = datetime.now(UTC)
    old_subject, old_key = seal.day_key(now - timedelta(days=20))
    source = type("Source", (), {"topic": "t", "partition": 0, "offset": 7})()
    value, _ = seal.seal(b"k", [], VICTIM.encode(), source, [], (old_subject, old_key))
    assert seal.open(value, old_subject, "t", "0", "7") == (b"k", [], VICTIM.encode())

    other = build(parts.backbone.settings)  # another process, on a later day
    try:
        fresh = DeadLetterSeal.of(other.store, 14)
        assert fresh is not None
        fresh.day_key(now)  # a new day's key: those past 14 days and a day's grace go
    finally:
        other.close()
    keys = dict(parts.backbone.store.recorder.key_subjects("$dead-letters/"))  # type: ignore[attr-defined]
    assert keys[old_subject] is True  # destroyed
    again = DeadLetterSeal.of(parts.backbone.store, 14)  # a process that never opened it
    assert again is not None and again.open(value, old_subject, "t", "0", "7") is None
