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

from adapters.cloudevents import attributes
from adapters.local_broker import LocalBroker
from adapters.personal_cipher import ERASED, subject_for
from domain.personal import personal_fields
from services.audit.export import export_case, verify_export
from services.bootstrap import Backbone, build
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.identity import Forbidden, Identity
from services.kafka_runtime.relay import Relay
from services.personal_details import PersonalDetailsResolver
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


async def published_after(
    broker: LocalBroker, relay: Relay, topic: str, before: dict[str, int], key: UUID
) -> list[dict[str, Any]]:
    """Values sent for ``key`` since the relay's acked offsets were ``before``."""
    records = await read_topic(broker.bootstrap, topic, at_least=1)
    return [
        orjson.loads(r.value)
        for r in records
        if r.key == str(key).encode() and r.offset > before.get(f"{topic}:{r.partition}", -1)
    ]


AUDITOR = Identity("audit:office", "inspector-ann", frozenset({"auditor"}), "test")


def as_agency(agency: str) -> Identity:
    return Identity(agency, "case-system", frozenset(), "test")


def victim_added(records: list[Any]) -> Any:
    """The record adding the victim (v1), with its sealed name and contact."""
    values = [(r, orjson.loads(r.value)) for r in records]
    return next(r for r, v in values if v.get("participant_id") == "v1" and "role" in v)


def resolve(bb: Backbone, who: Identity, record: Any) -> dict[str, Any]:
    value = orjson.loads(record.value)
    found = PersonalDetailsResolver(bb).resolve(
        who, UUID(value["originator_id"]), value["originator_version"], "test"
    )
    return found.fields


async def test_case_events_carry_personal_fields_sealed_and_they_resolve_erased_after_erasure(
    kafka_broker: Broker, kbackbone: Backbone
) -> None:
    case_id, personal = case_with_victim(kbackbone)
    relay = kbackbone.kafka(kafka_broker.bootstrap).relay()
    topic = relay.router.topic_specs()[0].name
    await relay.start()
    try:
        await relay.catch_up()
        records = [
            r
            for r in await read_topic(kafka_broker.bootstrap, topic, 1)
            if r.key == str(case_id).encode()
        ]
        text = b"".join(r.value for r in records).decode()
        assert not leaked(text, personal) and OFFENDER_NAME not in text  # sealed, never in clear
        added = victim_added(records)
        assert orjson.loads(added.value)["name"]["$personal"] == f"{case_id}/v1"
        assert attributes(added.headers)["dataref"].endswith(
            f"/v1/events/{case_id}/{orjson.loads(added.value)['originator_version']}/personal"
        )
        assert resolve(kbackbone, AUDITOR, added)["name"] == VICTIM_NAME

        erase_victim_elsewhere(kbackbone.settings, case_id)
        assert resolve(kbackbone, AUDITOR, added) == {"name": ERASED, "contact": ERASED}
        before = await high_water(kafka_broker, topic)
        await relay.republish()  # what the relay does when the broker lost what it sent
        await relay.catch_up()
    finally:
        await relay.stop()
    again = await published_after(kafka_broker, relay, topic, before, case_id)
    assert not leaked(orjson.dumps(again).decode(), personal)
    assert kbackbone.audit("inspector-ann").verify().ok


async def test_a_shared_topic_resolves_for_the_entitled_agency_only_and_erased_after_erasure(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    from tests.conftest import sqlite_settings

    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        case_id, personal = case_with_victim(bb)
        parts = bb.kafka(kafka_broker.bootstrap)
        relay = parts.sharing_relay()
        await relay.start()
        try:
            await relay.catch_up()
        finally:
            await relay.stop()
        hub = await read_topic(kafka_broker.bootstrap, parts.topics.shared(HUB), 1)
        assert not leaked(b"".join(r.value for r in hub).decode(), personal)
        added = victim_added(hub)
        assert resolve(bb, as_agency(HUB), added)["name"] == VICTIM_NAME  # under ISA-WY-RJ-001
        with pytest.raises(Forbidden, match="pcc:kent is not entitled"):
            resolve(bb, as_agency("pcc:kent"), added)
        refusals = [r for r in bb.audit("inspector-ann").reads() if r.action == "refused:personal"]
        assert refusals and refusals[-1].reader == "pcc:kent/case-system"

        erase_victim_elsewhere(bb.settings, case_id)
        assert resolve(bb, as_agency(HUB), added)["name"] == ERASED
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


async def test_an_erasure_recorded_but_not_yet_carried_out_already_resolves_as_erased(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`privacy erase` saves its event first and destroys the key next; between the two (or if
    it crashed there) the person already resolves as erased."""
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

            def crash(subject: str) -> bool:
                raise RuntimeError("stopped before the key was destroyed")

            monkeypatch.setattr(other.store.recorder, "destroy_key", crash)
            with pytest.raises(RuntimeError):
                other.privacy.erase(f"{case_id}/v1", "DSR-17", HUB, "dpo-jo")
            assert other.store.recorder.get_key(f"{case_id}/v1")[1] is not None  # type: ignore[attr-defined]
            await relay.catch_up()
        finally:
            await relay.stop()
        records = [
            r
            for r in await read_topic(kafka_broker.bootstrap, topic, 1)
            if r.key == str(case_id).encode()
        ]
        assert not leaked(b"".join(r.value for r in records).decode(), personal)
        assert resolve(other, AUDITOR, victim_added(records))["name"] == ERASED
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


def test_the_relays_next_read_drops_a_key_destroyed_by_another_process_before_decoding(
    backbone: Backbone, store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the check rides in the read's own round trip: no query of its own."""
    case_id, _ = case_with_victim(backbone)
    cipher = backbone.store.personal
    assert cipher is not None
    cipher.recheck_seconds = 3600.0  # only the read's own check can notice
    assert backbone.commands.load(case_id).participants["v1"].name == VICTIM_NAME  # key cached
    erase_victim_elsewhere(store_settings, case_id)
    assert backbone.commands.load(case_id).participants["v1"].name == VICTIM_NAME  # not yet
    counts: list[int] = []
    count = backbone.store.recorder.count_destroyed_keys  # type: ignore[attr-defined]
    monkeypatch.setattr(
        backbone.store.recorder, "count_destroyed_keys", lambda: counts.append(1) or count()
    )

    batch = backbone.store.read_notifications(1, 100_000)

    everything = backbone.store.recorder.select_notifications(1, 100_000)
    assert [n.id for n in batch] == [n.id for n in everything]
    assert backbone.commands.load(case_id).participants["v1"].name == ERASED
    assert backbone.commands.load(case_id).participants["o1"].name == OFFENDER_NAME
    assert counts == ([] if store_settings.store == "postgres" else [1])
