"""After `privacy erase`, the person reads as erased everywhere while `audit verify` still passes.

"Everywhere": the case-event topic republished from the store, the agencies' shared topics, the
projections rebuilt, and the audit export. The erasure is always done by *another* backbone (as
`rjb privacy erase` in its own process would) while this one has the victim's key cached from
its earlier reads, as a long-running `rjb serve` would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from adapters.local_broker import LocalBroker
from adapters.personal_cipher import ERASED, subject_for
from domain.personal import personal_fields
from services.audit.export import export_case, verify_export
from services.bootstrap import Backbone, build
from services.commands import parse_command
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.relay import Relay
from services.settings import Settings
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker

VICTIM_NAME, OFFENDER_NAME = "Mrs A. (head teacher)", "Mr B."
HUB = "pcc:west-yorkshire"


def victim_strings(bb: Backbone, case_id: UUID) -> set[str]:
    """Every personal string stored under the victim's key (read while it still exists)."""
    found: set[str] = set()
    for event in bb.store.repository.event_store.get(case_id):
        state = event.model_dump(mode="json")
        if subject_for(state, case_id) != f"{case_id}/v1":
            continue
        for name in personal_fields(type(event)):
            value = state.get(name)
            found |= set(value) if isinstance(value, list) else {value} if value else set()
    assert {VICTIM_NAME, "school office"} <= found
    return found


def leaked(text: str, personal: set[str]) -> set[str]:
    return {s for s in personal if s in text}


def erase_victim_elsewhere(settings: Settings, case_id: UUID) -> None:
    """`rjb privacy erase CASE/v1` as another process: its own store, its own key cache."""
    other = build(settings)
    try:
        done = other.privacy.erase(f"{case_id}/v1", "DSR-17", HUB, "dpo-jo")
        assert done.key_destroyed and done.event_recorded
    finally:
        other.close()


def case_with_victim(bb: Backbone) -> tuple[UUID, set[str]]:
    run_script(bb.commands, sharing_agreements())
    case_id = run_script(bb.commands, head_teacher()).script.case_id
    return case_id, victim_strings(bb, case_id)


@pytest.fixture
def kbackbone(store_settings: Settings, topic_prefix: str) -> Iterator[Backbone]:
    bb = build(fast_kafka_settings(store_settings, topic_prefix))
    yield bb
    bb.close()


async def high_water(broker: LocalBroker, topic: str) -> dict[str, int]:
    """The last offset on each partition of ``topic`` right now."""
    ends: dict[str, int] = {}
    for r in await read_topic(broker.bootstrap, topic, at_least=1):
        key = f"{topic}:{r.partition}"
        ends[key] = max(ends.get(key, -1), r.offset)
    return ends


async def published_after(broker: LocalBroker, relay: Relay, topic: str, before: dict[str, int],
                          key: UUID) -> list[dict[str, Any]]:  # fmt: skip
    """Values sent for ``key`` since the relay's acked offsets were ``before``."""
    records = await read_topic(broker.bootstrap, topic, at_least=1)
    return [
        orjson.loads(r.value)
        for r in records
        if r.key == str(key).encode() and r.offset > before.get(f"{topic}:{r.partition}", -1)
    ]


async def test_republishing_the_case_events_after_an_erasure_sends_the_victim_as_erased(
    kafka_broker: Broker, kbackbone: Backbone, store_settings: Settings
) -> None:
    case_id, personal = case_with_victim(kbackbone)
    relay = kbackbone.kafka(kafka_broker.bootstrap).relay()
    topic = relay.router.topic_specs()[0].name
    await relay.start()
    try:
        await relay.catch_up()
        before = await high_water(kafka_broker, topic)
        first = await published_after(kafka_broker, relay, topic, {}, case_id)
        assert VICTIM_NAME in str(first)  # published in clear before the erasure

        erase_victim_elsewhere(kbackbone.settings, case_id)
        # this process still writes about the victim with its cached key (an inbound command)
        kbackbone.commands.handle(parse_command({
            "type": "record_complaint", "command_id": "late-1", "agency": HUB, "user": "hub",
            "occurred_at": "2025-01-01T10:00:00Z", "case_id": str(case_id),
            "complaint_id": "c-late", "about": "timeliness", "participant_id": "v1",
            "summary": f"{VICTIM_NAME} says nobody called the school office",
        }))  # fmt: skip
        await relay.catch_up()
        tail = await published_after(kafka_broker, relay, topic, before, case_id)
        assert [v["summary"] for v in tail] == [ERASED]

        before = await high_water(kafka_broker, topic)
        await relay.republish()  # what the relay does when the broker lost what it sent
        await relay.catch_up()
    finally:
        await relay.stop()
    again = await published_after(kafka_broker, relay, topic, before, case_id)
    assert len(again) == len(first) + 1
    text = orjson.dumps(again).decode()
    assert not leaked(text, personal)
    added = {v["participant_id"]: v for v in again if "role" in v and "name" in v}
    assert added["v1"]["name"] == ERASED and added["v1"]["contact"] == ERASED
    assert added["o1"]["name"] == OFFENDER_NAME
    assert kbackbone.audit("inspector-ann").verify().ok


async def test_what_is_shared_after_an_erasure_carries_no_clear_data_of_the_person(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    from tests.conftest import sqlite_settings

    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        case_id, personal = case_with_victim(bb)
        parts = bb.kafka(kafka_broker.bootstrap)
        relay = parts.sharing_relay()
        hub_topic = parts.topics.shared(HUB)
        await relay.start()
        try:
            await relay.catch_up()
            before = await high_water(kafka_broker, hub_topic)
            first = await published_after(kafka_broker, relay, hub_topic, {}, case_id)
            assert {VICTIM_NAME, "school office"} <= leaked(str(first), personal)

            erase_victim_elsewhere(bb.settings, case_id)
            await relay.republish()
            await relay.catch_up()
        finally:
            await relay.stop()
        again = await published_after(kafka_broker, relay, hub_topic, before, case_id)
        assert len(again) == len(first)
        assert not leaked(orjson.dumps(again).decode(), personal)
        added = {v["participant_id"]: v for v in again if "role" in v}
        assert added["v1"]["name"] == ERASED and added["v1"]["contact"] == ERASED
        assert added["o1"]["name"] == OFFENDER_NAME
        decisions = bb.audit("inspector-ann").history(case_id).share_decisions
        assert decisions and not leaked(str(decisions), personal)
        assert bb.audit("inspector-ann").verify().ok
    finally:
        bb.close()


def all_view_rows(bb: Backbone) -> dict[str, list[str]]:
    runner = bb.projections
    return {
        table: sorted(repr(row) for row in rows)
        for name in runner.projections
        for table, rows in runner.rows(name).items()
    }


def test_projections_rebuilt_after_an_erasure_hold_nothing_of_the_person_and_lose_nothing_else(
    backbone: Backbone, store_settings: Settings
) -> None:
    case_id, personal = case_with_victim(backbone)
    backbone.projections.catch_up()
    before = all_view_rows(backbone)
    assert sum(map(len, before.values())) > 20

    erase_victim_elsewhere(store_settings, case_id)
    backbone.projections.rebuild()
    after = all_view_rows(backbone)

    assert not leaked(repr(after), personal)

    def without_personal(row: str) -> str:
        for s in sorted(personal, key=len, reverse=True):
            row = row.replace(s, ERASED)
        return row

    assert {t: sorted(map(without_personal, rows)) for t, rows in before.items()} == after


def test_the_audit_export_after_an_erasure_holds_nothing_of_the_person_and_still_verifies(
    backbone: Backbone, store_settings: Settings, tmp_path: Path
) -> None:
    case_id, personal = case_with_victim(backbone)
    audit = backbone.audit("inspector-ann")
    export_case(audit, case_id, tmp_path / "before")
    assert VICTIM_NAME in (tmp_path / "before" / "history.jsonl").read_text()

    erase_victim_elsewhere(store_settings, case_id)
    for fmt in ("jsonl", "csv"):
        out = tmp_path / fmt
        export_case(audit, case_id, out, fmt)  # type: ignore[arg-type]
        texts = {p.name: p.read_text() for p in out.iterdir()}
        assert not {name: leaked(t, personal) for name, t in texts.items() if leaked(t, personal)}
        assert ERASED in texts[f"history.{fmt}"] and OFFENDER_NAME in texts[f"history.{fmt}"]
        assert "PersonalDataErased" in texts["timeline.html"]
        assert verify_export(out) == []
    assert audit.verify().ok and audit.verify(case_id).ok


async def test_an_erasure_recorded_but_not_yet_carried_out_already_reads_as_erased_downstream(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`privacy erase` saves its event first and destroys the key next; between the two (or if
    it crashed there) a log follower already treats the person as erased from that point on."""
    from tests.conftest import sqlite_settings

    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    other = build(bb.settings)
    try:
        case_id, personal = case_with_victim(bb)
        relay = bb.kafka(kafka_broker.bootstrap).relay()
        topic = relay.router.topic_specs()[0].name
        await relay.start()
        try:
            await relay.catch_up()
            before = await high_water(kafka_broker, topic)

            def crash(subject: str) -> bool:
                raise RuntimeError("stopped before the key was destroyed")

            monkeypatch.setattr(other.store.recorder, "destroy_key", crash)
            with pytest.raises(RuntimeError):
                other.privacy.erase(f"{case_id}/v1", "DSR-17", HUB, "dpo-jo")
            assert other.store.recorder.get_key(f"{case_id}/v1")[1] is not None  # type: ignore[attr-defined]
            bb.commands.handle(parse_command({
                "type": "record_complaint", "command_id": "late-2", "agency": HUB, "user": "hub",
                "occurred_at": "2025-01-01T10:00:00Z", "case_id": str(case_id),
                "complaint_id": "c-late", "about": "timeliness", "participant_id": "v1",
                "summary": f"{VICTIM_NAME} asked for a call back",
            }))  # fmt: skip
            await relay.catch_up()
        finally:
            await relay.stop()
        tail = await published_after(kafka_broker, relay, topic, before, case_id)
        assert [v["summary"] for v in tail] == [ERASED]
        assert not leaked(orjson.dumps(tail).decode(), personal)
    finally:
        other.close()
        bb.close()


def test_any_other_reader_in_a_long_running_process_sees_an_erasure_within_its_recheck_interval(
    backbone: Backbone, store_settings: Settings
) -> None:
    case_id, _ = case_with_victim(backbone)
    cipher = backbone.store.personal
    assert cipher is not None
    cipher.recheck_seconds = 0.2
    assert backbone.commands.load(case_id).participants["v1"].name == VICTIM_NAME  # key cached
    erase_victim_elsewhere(store_settings, case_id)
    time.sleep(0.25)
    case = backbone.commands.load(case_id)
    assert case.participants["v1"].name == ERASED
    assert case.participants["o1"].name == OFFENDER_NAME
