"""The relay keeps one batch in flight: the next is read and routed while it is, but written only
once it is acknowledged; a batch in flight that fails sends the relay back to its saved position,
so the batch behind it is never written ahead of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from adapters.kafka_config import Topics
from adapters.ordered_send import send_in_order
from adapters.share_decisions import ShareDecisionRow
from services.bootstrap import Backbone, build
from services.demo.runner import run_script
from services.demo.stories import head_teacher
from services.kafka_runtime import relay as relay_module
from services.kafka_runtime.relay import Relay
from services.sharing import SharingRouter
from tests.conftest import sqlite_settings
from tests.integration.test_relay import assert_complete_and_ordered, stored_count
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker


class HeldSend:
    """``send_in_order`` whose first call waits until released (and then fails, if told to)."""

    def __init__(self, fail_first: bool = False) -> None:
        self.real = send_in_order
        self.fail_first = fail_first
        self.release = asyncio.Event()
        self.calls: list[int] = []  # records per call, in call order

    async def __call__(self, producer: Any, records: Any) -> Any:
        self.calls.append(len(records))
        if len(self.calls) == 1:
            await self.release.wait()
            if self.fail_first:
                raise KafkaTimeoutError("broker gone while the batch was in flight")
        return await self.real(producer, records)


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def relay_of_a_story(
    broker: Broker, tmp_path: Path, topic_prefix: str, batch_size: int
) -> AsyncIterator[tuple[Backbone, Relay]]:
    """A started case-event relay over the head teacher story, ``batch_size`` per batch."""
    settings = fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix)
    bb = build(settings.model_copy(update={"kafka_relay_batch_size": batch_size}))
    try:
        run_script(bb.commands, head_teacher())
        relay = bb.kafka(broker.bootstrap).relay()
        await relay.start()
        yield bb, relay
    finally:
        bb.close()


async def assert_each_event_once_in_order(broker: Broker, relay: Relay, bb: Backbone) -> None:
    topic = relay.router.topic_specs()[0].name
    records = await read_topic(broker.bootstrap, topic, stored_count(bb))
    assert len(records) == stored_count(bb)
    assert_complete_and_ordered(records, bb)


async def test_the_next_batch_is_read_while_one_is_in_flight_and_written_only_after_its_acks(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with relay_of_a_story(kafka_broker, tmp_path, topic_prefix, 3) as (bb, relay):
        send = HeldSend()
        monkeypatch.setattr(relay_module, "send_in_order", send)
        assert await relay.hand_over() == 3  # handed over, held before the broker acks it
        await until(lambda: len(send.calls) == 1)
        second = asyncio.create_task(relay.hand_over())
        await until(lambda: relay.in_flight is None)  # the second took it over, to settle it
        await asyncio.sleep(0.2)
        assert send.calls == [3]  # the second batch is read and routed, but not written
        assert relay.state.position == 0 and relay.read_upto == 3
        send.release.set()
        assert await second == 3
        await relay.settled()
        assert relay.state.position == 6 and send.calls == [3, 3]
        await relay.catch_up()
        await relay.stop()
        await assert_each_event_once_in_order(kafka_broker, relay, bb)


async def test_a_batch_in_flight_that_fails_keeps_the_batch_behind_it_off_the_broker(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with relay_of_a_story(kafka_broker, tmp_path, topic_prefix, 3) as (bb, relay):
        send = HeldSend(fail_first=True)
        monkeypatch.setattr(relay_module, "send_in_order", send)
        assert await relay.hand_over() == 3
        second = asyncio.create_task(relay.hand_over())
        await until(lambda: relay.in_flight is None)
        send.release.set()
        with pytest.raises(KafkaTimeoutError):
            await second
        assert send.calls == [3]  # the batch read behind the failed one was never written
        assert relay.state.position == 0 and relay.read_upto == 0 and relay.in_flight is None
        assert await relay.catch_up() == stored_count(bb)  # from the saved position again
        await relay.stop()
        await assert_each_event_once_in_order(kafka_broker, relay, bb)


async def test_behind_a_small_batch_in_flight_the_running_relay_reads_nothing_until_it_lands(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quiet log: reading ahead would only contend with the send for the interpreter lock."""
    small = relay_module.READ_AHEAD_FROM - 1
    async with relay_of_a_story(kafka_broker, tmp_path, topic_prefix, small) as (bb, relay):
        send = HeldSend()
        monkeypatch.setattr(relay_module, "send_in_order", send)
        reads: list[int] = []
        read = relay._read_batch
        monkeypatch.setattr(relay, "_read_batch", lambda: reads.append(relay.read_upto) or read())
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        await until(lambda: len(send.calls) == 1)
        await asyncio.sleep(0.2)
        assert reads == [0]  # the first batch is in flight, and nothing more was read
        send.release.set()
        await until(lambda: relay.state.position == stored_count(bb))
        stop.set()
        await running
        assert reads[:2] == [0, small]
        await relay.stop()
        await assert_each_event_once_in_order(kafka_broker, relay, bb)


async def test_stopping_the_relay_lands_and_saves_the_batch_in_flight(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    async with relay_of_a_story(kafka_broker, tmp_path, topic_prefix, 4) as (_, relay):
        assert await relay.hand_over() == 4
        await relay.stop()
        assert relay.positions.load("case-events", relay.cluster).position == 4


def test_the_sharing_router_records_the_acknowledged_decisions_and_keeps_the_next_batchs(
    tmp_path: Path,
) -> None:
    """``acked`` runs in a worker thread while the next batch is routed on the event loop: it
    takes rows off the front of the very list routing appends to, so neither loses a row."""
    bb = build(sqlite_settings(tmp_path))
    try:
        router = SharingRouter(bb.store, Topics("rjb"))
        recorded: list[ShareDecisionRow] = []
        router.decisions = SimpleNamespace(record=recorded.extend)  # type: ignore[assignment]
        rows = [decision_at(position) for position in range(1, 6)]
        router.pending = list(rows)
        appended_by_the_loop = router.pending
        router.acked(3)
        assert recorded == rows[:3]
        assert router.pending is appended_by_the_loop and router.pending == rows[3:]
    finally:
        bb.close()


def decision_at(position: int) -> ShareDecisionRow:
    return ShareDecisionRow(
        recipient="PCC-EXAMPLE",
        event_id=f"event-{position}",
        aggregate_id="case",
        aggregate_version=position,
        event_type="rjb.case.example",
        from_agency="POLICE-EXAMPLE",
        outcome="withheld",
        category="",
        removed_fields="",
        reason="no agreement",
        agreements="",
        position=position,
    )
