"""Audit benchmarks on SQLite and PostgreSQL: state at an instant, verify throughput, write cost
of the hash chain and of per-person encryption (keys created in the events' own transaction).

Sizes (env): RJB_BENCH_AUDIT_CASE_EVENTS (default 1000), RJB_BENCH_AUDIT_VERIFY_EVENTS (default
100000; the issue's full size is 1000000), RJB_BENCH_AUDIT_WRITE_CASES (default 1000 cases of 5
events), RJB_BENCH_AUDIT_STORES (default "sqlite,postgres"). Each figure is printed next to the
raw eventsourcing equivalent measured in the same run.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from adapters.event_store import EventStore, open_event_store, store_env
from adapters.key_wrap import new_master_key
from bench.pg import scratch_database, server
from domain.base import EventMeta
from domain.case.aggregate import Case
from domain.case.values import CjsStage, CrimeType, ParticipantRole, ReferralRoute
from services.audit.service import AuditService
from services.audit.verify import verify_log


def _size(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _meta(n: int) -> EventMeta:
    return EventMeta(
        agency="pcc:west-yorkshire",
        user="bench",
        occurred_at=datetime.now(UTC),
        command_id=f"bench-{n}",
    )


@contextmanager
def _store(
    kind: str, tmp: Path, name: str, *, encrypt: bool = True, chained: bool = True
) -> Iterator[EventStore]:
    """A fresh store: a new SQLite file in ``tmp``, or a scratch PostgreSQL database."""
    with scratch_database() if kind == "postgres" else _no_database() as dbname:
        env = (
            store_env(
                "postgres",
                host=server().host,
                port=server().port,
                user=server().user,
                dbname=dbname,
            )
            if kind == "postgres"
            else store_env("sqlite", sqlite_path=str(tmp / f"{name}.sqlite3"))
        )
        if not chained:
            env.pop("APPLICATION_RECORDER_TOPIC")
        store = open_event_store(
            env,
            ENCRYPT_PERSONAL="yes" if encrypt else "no",
            PERSONAL_DATA_MASTER_KEY=new_master_key(),
        )
        try:
            yield store
        finally:
            store.close()


@contextmanager
def _no_database() -> Iterator[str]:
    yield ""


def _new_case(n: int) -> Case:
    case = Case(
        id=uuid4(),
        route=ReferralRoute.POLICE,
        cjs_stage=CjsStage.PRE_SENTENCE,
        crime_type=CrimeType.BURGLARY,
        pcc_area="west-yorkshire",
        crime_reported_on=None,
        summary=f"Burglary of a corner shop, case {n}",
        meta=_meta(n),
    )
    case.add_participant("v1", ParticipantRole.VICTIM, f"Victim {n}", _meta(n), contact="07700")
    case.add_participant("o1", ParticipantRole.OFFENDER, f"Offender {n}", _meta(n))
    return case


def _timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def bench_state_at_instant(kind: str, tmp: Path) -> None:
    with _store(kind, tmp, "at") as store:
        _state_at_instant(kind, store)


def _state_at_instant(kind: str, store: EventStore) -> None:
    events = _size("RJB_BENCH_AUDIT_CASE_EVENTS", 1000)
    case = _new_case(0)
    midpoint = None
    for i in range(events - len(case.pending_events)):
        case.record_follow_up("v1", f"call {i}", _meta(i))
        if len(case.pending_events) >= 100:
            store.save(case)
        if i == events // 2:
            store.save(case)
            midpoint = datetime.now(UTC)
    store.save(case)
    assert midpoint is not None
    audit = AuditService(store, "bench")
    at = _timed(lambda: audit.at(case.id, midpoint), repeat=5)
    raw = _timed(lambda: store.repository.get(case.id), repeat=5)
    print(
        f"[{kind}] state at an instant, case of {case.version} events: {at * 1000:.1f} ms "
        f"(raw eventsourcing replay of the whole case: {raw * 1000:.1f} ms, "
        f"ratio {at / raw:.2f})"
    )


def bench_verify(kind: str, tmp: Path) -> None:
    with _store(kind, tmp, "verify") as store:
        _verify(kind, store)


def _verify(kind: str, store: EventStore) -> None:
    total = _size("RJB_BENCH_AUDIT_VERIFY_EVENTS", 100_000)
    per_aggregate, batch = 50, 1000
    ids = [uuid4() for _ in range(total // per_aggregate + 1)]
    state = b'{"meta":{"agency":"pcc:x","user":"u"},"notes":"' + b"x" * 200 + b'"}'
    start = time.perf_counter()
    pending = []
    for n in range(total):
        pending.append(StoredEvent(ids[n // per_aggregate], n % per_aggregate + 1, "t:E", state))
        if len(pending) == batch:
            store.recorder.insert_events(pending)
            pending = []
    if pending:
        store.recorder.insert_events(pending)
    written = time.perf_counter() - start
    report, seconds = None, 0.0
    start = time.perf_counter()
    report = verify_log(store.recorder)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    assert report.ok and report.events_checked == total

    def scan() -> None:
        start_id = 1
        while page := store.recorder.select_notifications(start=start_id, limit=5000):
            start_id = page[-1].id + 1

    raw = _timed(scan)
    print(
        f"[{kind}] verify {total} events: {seconds:.1f} s = {total / seconds:,.0f} events/s "
        f"(raw notification scan {total / raw:,.0f} events/s, ratio {seconds / raw:.1f}; "
        f"chained insert {total / written:,.0f} events/s)"
    )


def _write_cases(store: EventStore, first: int, cases: int) -> tuple[float, float]:
    """Seconds (creating cases: 3 new people's keys per 5 events; 5 later events per case about
    the same, known, people)."""
    start = time.perf_counter()
    saved = []
    for n in range(first, first + cases):
        case = _new_case(n)
        case.record_follow_up("v1", "called back", _meta(n))
        case.record_follow_up("o1", "called back", _meta(n))
        store.save(case)
        saved.append(case)
    created = time.perf_counter() - start
    start = time.perf_counter()
    for n, case in enumerate(saved):
        for i in range(5):
            case.record_follow_up("v1" if i % 2 else "o1", f"update {i}", _meta(n))
        store.save(case)
    return created, time.perf_counter() - start


_WRITE_CONFIGS = {
    "plain eventsourcing recorder": {"chained": False, "encrypt": False},
    "hash chain, no encryption": {"encrypt": False},
    "hash chain + per-person encryption": {},
}


def bench_write(kind: str, tmp: Path, rounds: int = 5) -> None:
    """The three configurations take turns, a slice of the cases each per round, so load from
    other jobs on the machine falls on all of them alike."""
    cases = _size("RJB_BENCH_AUDIT_WRITE_CASES", 1000)
    per_round = max(1, cases // rounds)
    with ExitStack() as stack:
        stores = {
            label: stack.enter_context(_store(kind, tmp, f"write-{i}", **kwargs))  # type: ignore[arg-type]
            for i, (label, kwargs) in enumerate(_WRITE_CONFIGS.items())
        }
        for store in stores.values():
            _write_cases(store, 0, 20)  # warm up: tables, connections, caches
        seconds = {label: [0.0, 0.0] for label in stores}
        for r in range(rounds):
            for label, store in stores.items():
                new, later = _write_cases(store, 20 + r * per_round, per_round)
                seconds[label][0] += new
                seconds[label][1] += later
    events = per_round * rounds * 5
    base = seconds["hash chain, no encryption"]
    for label, (new, later) in seconds.items():
        print(
            f"[{kind}] write {events} events, {label}: new cases {events / new:,.0f} events/s "
            f"({base[0] / new:.2f}x), known people {events / later:,.0f} events/s "
            f"({base[1] / later:.2f}x)"
        )


def main() -> None:
    stores = os.environ.get("RJB_BENCH_AUDIT_STORES", "sqlite,postgres").split(",")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in stores:
            bench_state_at_instant(kind, Path(tmp))
            bench_write(kind, Path(tmp))
            bench_verify(kind, Path(tmp))
