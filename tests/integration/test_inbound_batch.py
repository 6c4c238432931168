"""Inbound in batches: one transaction per batch, with every guarantee of one message at a time.

Over TCP on Apache Kafka. Messages are published before the subscribers start, so they arrive
in batches: duplicates, a rule failure and a poison pill among them are each handled alone, each
key keeps its order, offsets are committed past the batch only once it is stored, and a store
outage on the batch path still pauses the partition of the message it is stuck on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import psycopg
import pytest

from services.bootstrap import build
from services.command_apply import CommandResult
from services.command_service import CommandService
from services.commands import Command
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.inbound_settings import InboundSettings
from services.kafka_runtime.wiring import KafkaParts
from services.settings import Settings
from tests.conftest import sqlite_settings
from tests.integration.test_inbound import command, until
from tests.integration.test_inbound_outage import FlakyStore
from tests.integration.test_inbound_poison import Message, committed, committed_soon, send_to
from tests.kafka_helpers import agencies_sending_in_tests, fast_kafka_settings, kent_police_topic
from tests.servers import Broker

A = "0b6a6c62-0000-4000-8000-0000000000a1"
B = "0b6a6c62-0000-4000-8000-0000000000b2"
FAST = InboundSettings(retry_attempts=3, retry_backoff=0.05, retry_backoff_max=0.1, pause_seconds=1)


REFERRAL_ONLY = ("route", "cjs_stage", "crime_type", "pcc_area", "crime_reported_on", "summary")


def on_case(**fields: Any) -> bytes:
    body = {k: v for k, v in command(**fields).items() if k not in REFERRAL_ONLY}
    return orjson.dumps(body)


def victim(case: str, pid: str, command_id: str | None = None) -> bytes:
    return on_case(
        type="add_participant",
        command_id=command_id or f"{case[-2:]}-{pid}",
        case_id=case,
        participant_id=pid,
        role="victim",
        name=f"Victim {pid}",
    )


def referral(case: str) -> bytes:
    return orjson.dumps(command(command_id=f"refer-{case[-2:]}", case_id=case))


@pytest.fixture
def parts(
    kafka_broker: Broker, store_settings: Settings, topic_prefix: str
) -> Iterator[KafkaParts]:
    bb = build(fast_kafka_settings(store_settings, topic_prefix))
    yield bb.kafka(kafka_broker.bootstrap)
    bb.close()


async def test_a_backlog_is_stored_in_batches_with_duplicates_rule_failures_and_poison_alone(
    parts: KafkaParts,
) -> None:
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    topic = kent_police_topic(parts)
    schedule = on_case(
        type="schedule_activity",
        command_id="too-soon",
        case_id=A,
        activity_id="act1",
        participant_ids=["v1"],
        scheduled_for="2025-03-01T10:00:00Z",
    )
    on_a = [referral(A)] + [victim(A, f"v{i}") for i in range(1, 6)]
    on_a += [schedule, b"{not json", victim(A, "v1"), victim(A, "v6")]
    on_b = [referral(B)] + [victim(B, f"w{i}") for i in range(1, 9)] + [victim(B, "w1")]
    none: list[tuple[str, bytes | None]] = []
    backlog: list[Message] = [(0, v, none) for v in on_a] + [(1, v, none) for v in on_b]
    await send_to(parts.bootstrap, topic, backlog)

    service: CommandService = parts.backbone.commands
    sizes: list[int] = []
    real_batch = service.handle_batch

    def spy(commands: list[Command]) -> list[CommandResult | Exception]:
        sizes.append(len(commands))
        return real_batch(commands)

    service.handle_batch = spy  # type: ignore[method-assign,assignment]
    inbound = parts.inbound()
    await inbound.start()
    try:
        await until(
            lambda: inbound.stats.stored_count == 18 and inbound.stats.dead_letter_count == 2
        )
        assert max(sizes) > 1, "never more than one command per transaction"
        assert inbound.stats.duplicates == 2
        reasons = " | ".join(inbound.stats.dead_lettered)
        assert "ActivityPrerequisiteMissing" in reasons or "activity" in reasons.lower()
        assert "malformed JSON" in reasons
        assert await committed_soon(parts, {0: len(on_a), 1: len(on_b)}) == {
            0: len(on_a),
            1: len(on_b),
        }
        case_a = service.load(UUID(A))
        assert list(case_a.participants) == [f"v{i}" for i in range(1, 7)]  # in key order
        assert case_a.version == 7 and not case_a.has_applied("too-soon")
        assert list(service.load(UUID(B)).participants) == [f"w{i}" for i in range(1, 9)]
        assert inbound.health.healthy
    finally:
        await inbound.stop()


class FlakyBatches(FlakyStore):
    """:class:`FlakyStore` with the batch path: a batch holding a command of ``only`` fails too."""

    def registered_agencies(self) -> Any:
        return self.real.registered_agencies()

    def handle_batch(self, commands: list[Command]) -> list[CommandResult | Exception]:
        self.calls.extend(f"batch:{c.command_id}" for c in commands)
        ids = {c.command_id for c in commands}
        if self.failures > 0 and (self.only is None or ids & self.only):
            self.failures -= 1
            raise psycopg.OperationalError("connection to server failed: Connection refused")
        return self.real.handle_batch(commands)


@pytest.fixture
def sqlite_parts(kafka_broker: Broker, tmp_path: Path, topic_prefix: str) -> Iterator[KafkaParts]:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    yield bb.kafka(kafka_broker.bootstrap)
    bb.close()


@pytest.fixture
async def flaky_inbound(sqlite_parts: KafkaParts) -> AsyncIterator[tuple[Inbound, FlakyBatches]]:
    await sqlite_parts.ensure_inbound_topics(agencies_sending_in_tests())
    flaky = FlakyBatches(sqlite_parts.backbone.commands, failures=0)
    yield Inbound(sqlite_parts.settings, sqlite_parts.bootstrap, flaky, limits=FAST), flaky  # type: ignore[arg-type]


async def test_a_store_outage_in_a_batch_pauses_the_stuck_partition_and_the_others_flow(
    sqlite_parts: KafkaParts, flaky_inbound: tuple[Inbound, FlakyBatches]
) -> None:
    parts, (inbound, flaky) = sqlite_parts, flaky_inbound
    flaky.failures, flaky.only = 10**6, {"c-1", "c-2"}
    topic = kent_police_topic(parts)
    ref = {n: orjson.dumps(command(command_id=n)) for n in ("c-1", "c-2", "c-3")}
    await send_to(
        parts.bootstrap, topic, [(0, ref["c-1"], []), (0, ref["c-2"], []), (1, ref["c-3"], [])]
    )
    inbound.pauser.seconds = 3  # still paused when looked at, on a loaded machine too
    await inbound.start()
    try:
        await until(lambda: inbound.health.paused_partitions == [(topic, 0)])
        trouble = inbound.health.troubles[(topic, 0)]
        assert trouble.offset == 0 and trouble.attempts == 3
        await until(lambda: inbound.stats.stored_count == 1)
        assert await committed_soon(parts, {1: 1}) == {1: 1}
        assert (await committed(parts)).get(0, 0) == 0  # nothing past the stuck c-1
        assert "c-2" not in flaky.calls  # one at a time, c-2 waits behind c-1

        flaky.failures = 0  # back: after the pause both are stored, in order, in a batch
        await until(lambda: inbound.stats.stored_count == 3, timeout=10)
        assert [r.command_id for r in inbound.stats.stored] == ["c-3", "c-1", "c-2"]
        assert await committed_soon(parts, {0: 2, 1: 1}) == {0: 2, 1: 1}
        assert inbound.health.healthy and inbound.stats.dead_letter_count == 0
    finally:
        await inbound.stop()
