"""The store unreachable: a short outage is ridden out; a long one pauses the partition, loudly.

Over TCP on Apache Kafka. The outage is simulated by a command service that raises
``psycopg.OperationalError`` (what the store raises when PostgreSQL is down) while it is "down".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from services.bootstrap import build
from services.command_apply import CommandResult
from services.command_service import CommandService
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.inbound_settings import InboundSettings
from services.kafka_runtime.wiring import KafkaParts
from tests.conftest import sqlite_settings
from tests.integration.test_inbound import command, until
from tests.integration.test_inbound_poison import committed, committed_soon, send_to
from tests.kafka_helpers import agencies_sending_in_tests, fast_kafka_settings, kent_police_topic
from tests.servers import Broker

FAST = InboundSettings(retry_attempts=3, retry_backoff=0.05, retry_backoff_max=0.1, pause_seconds=1)


class FlakyStore:
    """The real command service, unreachable for the next ``failures`` calls (about the
    commands in ``only``, when given: the rest of the store still answers)."""

    def __init__(self, real: CommandService, failures: int) -> None:
        self.real = real
        self.failures = failures
        self.only: set[str] | None = None
        self.calls: list[str] = []

    def handle(self, cmd: Any) -> CommandResult:
        self.calls.append(cmd.command_id)
        if self.failures > 0 and (self.only is None or cmd.command_id in self.only):
            self.failures -= 1
            raise psycopg.OperationalError("connection to server failed: Connection refused")
        return self.real.handle(cmd)


@pytest.fixture
def parts(kafka_broker: Broker, tmp_path: Path, topic_prefix: str) -> Iterator[KafkaParts]:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    yield bb.kafka(kafka_broker.bootstrap)
    bb.close()


@pytest.fixture
def flaky(parts: KafkaParts) -> FlakyStore:
    return FlakyStore(parts.backbone.commands, failures=0)


@pytest.fixture
async def inbound(parts: KafkaParts, flaky: FlakyStore) -> AsyncIterator[Inbound]:
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    service = Inbound(parts.settings, parts.bootstrap, flaky, limits=FAST)  # type: ignore[arg-type]
    await service.start()
    yield service
    await service.stop()


def referral(command_id: str) -> bytes:
    return orjson.dumps(command(command_id=command_id))


async def test_a_short_store_outage_is_retried_with_back_off_and_the_command_is_stored(
    parts: KafkaParts, inbound: Inbound, flaky: FlakyStore
) -> None:
    flaky.failures = 2
    await send_to(parts.bootstrap, kent_police_topic(parts), [(0, referral("c-1"), [])])
    await until(lambda: inbound.stats.stored_count == 1)
    assert flaky.calls == ["c-1"] * 3
    assert inbound.stats.dead_letter_count == 0
    assert inbound.health.transient_failures == 2 and inbound.health.pauses == 0
    assert inbound.health.healthy
    assert await committed_soon(parts, {0: 1}) == {0: 1}


async def test_a_long_store_outage_pauses_the_partition_reports_it_and_commits_nothing_past_it(
    parts: KafkaParts, inbound: Inbound, flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky.failures, flaky.only = 10**6, {"c-1", "c-2"}
    topic = kent_police_topic(parts)
    await send_to(parts.bootstrap, topic, [(0, referral("c-1"), []), (0, referral("c-2"), [])])
    await until(lambda: inbound.health.paused_partitions == [(topic, 0)])

    trouble = inbound.health.troubles[(topic, 0)]
    assert trouble.offset == 0 and trouble.attempts == 3 and trouble.paused
    assert "OperationalError: connection to server failed" in trouble.error
    assert inbound.health.last_error == trouble.error and not inbound.health.healthy
    paused = [r for r in caplog.records if r.levelno == logging.ERROR and "PAUSED" in r.message]
    assert paused and f"{topic}[0] PAUSED at offset 0" in paused[0].message

    # the other partition still flows, and its commits do not carry partition 0 past c-1
    await send_to(parts.bootstrap, topic, [(1, referral("c-3"), [])])
    await until(lambda: inbound.stats.stored_count == 1)
    assert await committed_soon(parts, {1: 1}) == {1: 1}
    assert (await committed(parts)).get(0, 0) == 0
    assert set(flaky.calls) == {"c-1", "c-3"}  # c-2 waits behind c-1

    flaky.failures = 0  # the store is back: after the pause both are stored, in order
    await until(lambda: inbound.stats.stored_count == 3, timeout=10)
    assert [r.command_id for r in inbound.stats.stored] == ["c-3", "c-1", "c-2"]
    assert inbound.health.healthy and inbound.health.pauses >= 1
    assert await committed_soon(parts, {0: 2, 1: 1}) == {0: 2, 1: 1}
