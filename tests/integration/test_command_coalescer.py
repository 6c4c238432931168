"""The command coalescer: commands from many callers in one transaction, in arrival order, each
caller answered with its own result or error, none left waiting."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from uuid import UUID

import pytest

from domain.errors import UnknownAggregate
from services import command_coalescer
from services.bootstrap import Backbone
from services.command_apply import CommandResult
from services.command_coalescer import CoalescerClosed, CommandCoalescer
from tests.integration.test_command_batch import A, B, refer, victim

LONG = 60.0  # seconds: a full batch, or closing, ends the window in these tests


def counting_saves(backbone: Backbone) -> list[int]:
    """One entry per transaction of the store (the number of aggregates saved)."""
    saves: list[int] = []
    save = backbone.store.save

    def counted(*aggregates: object) -> object:
        saves.append(len(aggregates))
        return save(*aggregates)  # type: ignore[arg-type]

    backbone.store.save = counted  # type: ignore[method-assign]
    return saves


def test_a_referral_and_its_victim_in_one_window_apply_in_the_order_they_arrived(
    backbone: Backbone,
) -> None:
    saves = counting_saves(backbone)
    coalescer = CommandCoalescer(backbone.commands, LONG, max_batch=4)
    futures = [coalescer.submit(c) for c in (refer(A), victim("v1"), refer(B), victim("v2"))]
    results = [f.result(timeout=30) for f in futures]
    assert [(r.aggregate_id, r.version) for r in results] == [
        (UUID(A), 1),
        (UUID(A), 2),
        (UUID(B), 1),
        (UUID(A), 3),
    ]
    assert saves == [2] and coalescer.batches == 1


def test_a_victim_arriving_before_the_referral_is_refused_alone(backbone: Backbone) -> None:
    coalescer = CommandCoalescer(backbone.commands, LONG, max_batch=2)
    early, referral = coalescer.submit(victim("v1")), coalescer.submit(refer(A))
    with pytest.raises(UnknownAggregate):
        early.result(timeout=30)
    assert referral.result(timeout=30).new_events == 1
    assert backbone.commands.load(UUID(A)).participants == {}


def test_a_caller_that_gave_up_does_not_break_the_batch(backbone: Backbone) -> None:
    coalescer = CommandCoalescer(backbone.commands, LONG, max_batch=3)
    first = coalescer.submit(refer(A))
    gone = coalescer.submit(refer(B))
    assert gone.cancel()
    last = coalescer.submit(victim("v1"))
    assert first.result(timeout=30).version == 1 and last.result(timeout=30).version == 2
    assert backbone.commands.load(UUID(B)) is not None  # what it sent was still applied


def test_closing_applies_what_waits_then_refuses_more(backbone: Backbone) -> None:
    saves = counting_saves(backbone)
    coalescer = CommandCoalescer(backbone.commands, LONG)
    waiting = [coalescer.submit(refer(A)), coalescer.submit(refer(B))]
    coalescer.close()
    assert all(f.done() for f in waiting)
    assert [f.result().new_events for f in waiting] == [1, 1] and saves == [2]
    with pytest.raises(CoalescerClosed):
        coalescer.submit(victim("v1"))


def test_a_store_error_fails_every_command_of_its_batch(backbone: Backbone) -> None:
    def down(*_: object) -> None:
        raise ConnectionRefusedError("the database is down")

    backbone.store.save = down  # type: ignore[method-assign]
    coalescer = CommandCoalescer(backbone.commands, LONG, max_batch=2)
    futures = [coalescer.submit(refer(A)), coalescer.submit(refer(B))]
    for future in futures:
        with pytest.raises(ConnectionRefusedError):
            future.result(timeout=30)


def test_an_idle_worker_stops_and_the_next_command_starts_another(
    backbone: Backbone, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command_coalescer, "IDLE_SECONDS", 0.05)
    coalescer = CommandCoalescer(backbone.commands, 0.0)
    assert coalescer.submit(refer(A)).result(timeout=30).version == 1
    worker = coalescer._worker
    assert worker is not None
    worker.join(timeout=10)
    assert not worker.is_alive() and coalescer._worker is None
    assert coalescer.submit(victim("v1")).result(timeout=30).version == 2


def test_many_threads_at_once_are_all_answered_in_few_transactions(backbone: Backbone) -> None:
    saves = counting_saves(backbone)
    coalescer = CommandCoalescer(backbone.commands, 0.05)
    cases = [f"0b6a6c62-0000-4000-8000-{i:012x}" for i in range(40)]
    results: list[Future[CommandResult]] = []
    lock = threading.Lock()

    def post(case: str) -> None:
        future = coalescer.submit(refer(case))
        with lock:
            results.append(future)

    threads = [threading.Thread(target=post, args=(c,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(str(f.result(timeout=30).aggregate_id) for f in results) == sorted(cases)
    assert len(saves) < len(cases) and sum(saves) == len(cases)
    coalescer.close()
