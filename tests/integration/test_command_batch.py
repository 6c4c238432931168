"""The command service's batch path: one transaction per batch, the per-command guarantees kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from domain.errors import ActivityPrerequisiteMissing, DomainError
from services.audit.verify import verify_log
from services.bootstrap import Backbone, build
from services.command_apply import CommandResult
from services.command_service import ConcurrencyConflict
from services.commands import Command, parse_command
from services.settings import Settings
from tests.servers import PgDatabase

A = "0b6a6c62-0000-4000-8000-0000000000a1"
B = "0b6a6c62-0000-4000-8000-0000000000b2"


def command(type_: str, command_id: str, case: str = A, **fields: Any) -> Command:
    return parse_command(
        {
            "type": type_,
            "command_id": command_id,
            "agency": "pcc:kent",
            "user": "tester",
            "occurred_at": "2025-02-01T10:00:00Z",
            "case_id": case,
            **fields,
        }
    )


def refer(case: str, command_id: str | None = None) -> Command:
    return command(
        "refer_case",
        command_id or f"refer-{case}",
        case,
        route="police",
        cjs_stage="pre_charge",
        crime_type="theft",
        pcc_area="kent",
        crime_reported_on=None,
        summary="shop theft",
    )


def victim(pid: str, case: str = A, command_id: str | None = None) -> Command:
    return command(
        "add_participant",
        command_id or f"add-{case}-{pid}",
        case,
        participant_id=pid,
        role="victim",
        name=f"Victim {pid}",
    )


def ok(result: CommandResult | Exception) -> CommandResult:
    assert isinstance(result, CommandResult), result
    return result


def event_count(backbone: Backbone) -> int:
    return len(list(backbone.store.recorder.select_notifications(1, 10_000)))


def test_a_batch_is_stored_in_one_transaction_and_answers_each_command(
    backbone: Backbone,
) -> None:
    batch = [refer(A), victim("v1"), refer(B), victim("v2"), victim("w1", B)]
    results = [ok(r) for r in backbone.commands.handle_batch(batch)]
    assert [(r.aggregate_id, r.version, r.new_events) for r in results] == [
        (UUID(A), 1, 1),
        (UUID(A), 2, 1),
        (UUID(B), 1, 1),
        (UUID(A), 3, 1),
        (UUID(B), 2, 1),
    ]
    case = backbone.commands.load(UUID(A))
    assert sorted(case.participants) == ["v1", "v2"]
    assert case.participants["v1"].name == "Victim v1"  # sealed and its key stored with it
    subjects = [s for s, _ in backbone.store.recorder.key_subjects(A)]  # type: ignore[attr-defined]
    assert f"{A}/v1" in subjects and f"{A}/v2" in subjects
    assert verify_log(backbone.store.recorder).ok  # type: ignore[arg-type]


def test_duplicates_inside_a_batch_and_across_batches_have_one_effect(backbone: Backbone) -> None:
    first = backbone.commands.handle_batch([refer(A), victim("v1"), victim("v1"), refer(A)])
    assert [ok(r).new_events for r in first] == [1, 1, 0, 0]
    assert [ok(r).duplicate for r in first] == [False, False, True, True]
    again = backbone.commands.handle_batch([victim("v1"), victim("v2"), victim("v2")])
    assert [ok(r).duplicate for r in again] == [True, False, True]
    assert backbone.commands.load(UUID(A)).version == 3
    assert event_count(backbone) == 3


def test_a_rule_failure_in_the_middle_rejects_that_command_alone(backbone: Backbone) -> None:
    backbone.commands.handle(refer(A))
    schedule = command(
        "schedule_activity",
        "too-soon",
        activity_id="act1",
        participant_ids=["v1"],
        scheduled_for="2025-03-01T10:00:00Z",
    )
    prison = parse_command(
        {**victim("v9").model_dump(mode="json"), "agency": "prison:LEI", "command_id": "wrong-role"}
    )
    batch = [victim("v1"), schedule, victim("v2"), prison, refer(B), victim("w1", B)]
    results = backbone.commands.handle_batch(batch)
    assert isinstance(results[1], ActivityPrerequisiteMissing)
    assert isinstance(results[3], DomainError)  # not in its area, not on the case
    assert [ok(results[i]).version for i in (0, 2, 4, 5)] == [2, 3, 1, 2]
    case = backbone.commands.load(UUID(A))
    assert sorted(case.participants) == ["v1", "v2"]
    assert case.version == 3 and not case.has_applied("too-soon")
    assert backbone.commands.load(UUID(B)).version == 2


def test_a_rule_failure_on_a_case_created_in_the_same_batch_keeps_the_case(
    backbone: Backbone,
) -> None:
    batch = [
        refer(A),
        victim("v1"),
        victim("v1", command_id="same-participant-again"),
        victim("v2"),
    ]
    results = backbone.commands.handle_batch(batch)
    assert isinstance(results[2], Exception)
    assert [ok(results[i]).version for i in (0, 1, 3)] == [1, 2, 3]
    assert sorted(backbone.commands.load(UUID(A)).participants) == ["v1", "v2"]


def test_per_key_order_holds_across_interleaved_aggregates(backbone: Backbone) -> None:
    cases = [f"0b6a6c62-0000-4000-8000-00000000{n:04d}" for n in range(5)]
    batch = [refer(c) for c in cases] + [victim(f"v{i}", c) for i in range(4) for c in cases]
    results = [ok(r) for r in backbone.commands.handle_batch(batch)]
    for c in cases:
        mine = [r.version for r in results if r.aggregate_id == UUID(c)]
        assert mine == [1, 2, 3, 4, 5]
        assert list(backbone.commands.load(UUID(c)).participants) == ["v0", "v1", "v2", "v3"]
        stored = backbone.store.events.get(UUID(c))
        ids = [getattr(e, "meta").command_id for e in stored][1:]  # noqa: B009
        assert ids == [f"add-{c}-v{i}" for i in range(4)]


def test_a_conflicting_save_falls_back_to_one_command_at_a_time(
    backbone: Backbone, store_settings: Settings, monkeypatch: Any
) -> None:
    backbone.commands.handle(refer(A))
    other = build(store_settings)  # another process on the same store
    real_save = backbone.store.save
    calls: list[int] = []

    def racing_save(*aggregates: Any, **kwargs: Any) -> Any:
        calls.append(len(aggregates))
        if len(calls) == 1:  # the other writer stores version 2 first: this save must lose
            other.commands.handle(victim("other"))
            real_save(*aggregates, **kwargs)  # raises IntegrityError
            raise AssertionError("the batch's save should have met the conflict")
        return real_save(*aggregates, **kwargs)

    monkeypatch.setattr(backbone.store, "save", racing_save)
    try:
        results = backbone.commands.handle_batch([victim("v1"), victim("v2"), refer(B)])
    finally:
        other.close()
    assert [ok(r).version for r in results] == [3, 4, 1]
    assert calls[0] == 2 and backbone.commands.conflicts_retried >= 1
    assert sorted(backbone.commands.load(UUID(A)).participants) == ["other", "v1", "v2"]
    assert backbone.commands.load(UUID(B)).version == 1


def test_a_case_that_keeps_conflicting_is_refused_alone_and_the_rest_of_the_batch_is_stored(
    backbone: Backbone, store_settings: Settings, monkeypatch: Any
) -> None:
    backbone.commands.handle(refer(A))
    other = build(store_settings)  # another writer wins case A on every attempt
    real_save = backbone.store.save

    def losing_save(*aggregates: Any, **kwargs: Any) -> Any:
        if any(a.id == UUID(A) for a in aggregates):
            other.commands.handle(victim(f"other-{other.commands.stored}"))
        return real_save(*aggregates, **kwargs)

    monkeypatch.setattr(backbone.store, "save", losing_save)
    try:
        results = backbone.commands.handle_batch([refer(B), victim("v1"), victim("v2", B)])
    finally:
        other.close()
    assert isinstance(results[1], ConcurrencyConflict)
    assert [ok(results[0]).version, ok(results[2]).version] == [1, 2]
    assert list(backbone.commands.load(UUID(B)).participants) == ["v2"]


WRITERS = 8


def test_concurrent_batches_on_postgres_lose_nothing_and_apply_each_command_once(
    pg_database: PgDatabase,
) -> None:
    from tests.conftest import pg_settings

    settings = pg_settings(pg_database, postgres_pool_size=WRITERS, command_retries=50)
    backbones = [build(settings) for _ in range(4)]
    try:
        backbones[0].commands.handle_batch([refer(A), refer(B)])
        batches = [
            [victim(f"v{w}-{i}") for i in range(3)] + [victim(f"w{w}", B), victim(f"v{w}-0")]
            for w in range(WRITERS * 2)
        ]

        def run(i_batch: tuple[int, list[Command]]) -> list[CommandResult | Exception]:
            i, batch = i_batch
            return backbones[i % len(backbones)].commands.handle_batch(batch)

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            outcomes = list(pool.map(run, enumerate(batches)))
        results = [ok(r) for batch in outcomes for r in batch]
        assert sum(r.new_events for r in results) == WRITERS * 2 * 4
        case_a = backbones[0].commands.load(UUID(A))
        assert case_a.version == 1 + WRITERS * 2 * 3
        assert backbones[0].commands.load(UUID(B)).version == 1 + WRITERS * 2
        a_versions = sorted(
            r.version for r in results if r.aggregate_id == UUID(A) and r.new_events
        )
        assert a_versions == list(range(2, 2 + WRITERS * 2 * 3))
        assert sum(bb.commands.conflicts_retried for bb in backbones) > 0, "writers never raced"
        assert verify_log(backbones[0].store.recorder).ok  # type: ignore[arg-type]
    finally:
        for bb in backbones:
            bb.close()


def test_the_aggregates_of_a_batch_are_read_in_one_go_as_one_at_a_time_would(
    backbone: Backbone,
) -> None:
    backbone.commands.handle_batch([refer(A), victim("v1"), refer(B), victim("w1", B)])
    missing = UUID("0b6a6c62-0000-4000-8000-0000000000ff")
    found = backbone.store.get_many([UUID(A), UUID(B), missing])
    assert set(found) == {UUID(A), UUID(B)}
    for case_id in (A, B):
        one = backbone.commands.load(UUID(case_id))
        assert found[UUID(case_id)].version == one.version
        assert found[UUID(case_id)].participants == one.participants  # decrypted alike
