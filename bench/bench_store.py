"""Command service throughput vs the raw eventsourcing library doing the same writes.

Six events per case (referral, two participants, responsibility, two consents). "raw" is
eventsourcing's own Aggregate with its default JSON mapper; "rjb" parses each agency command with
pydantic, checks idempotency and the domain rules, and stores through the orjson/pydantic mapper
(hash chains and per-person keys in the same transaction). Two shapes, on both stores:

* one transaction per event, each after loading the aggregate (``RJB_BENCH_CASES``, 200);
* group commit, ``RJB_BENCH_BATCH`` (100) cases per transaction (``RJB_BENCH_BATCH_CASES``,
  2000): raw eventsourcing saves 100 aggregates in one ``save``; rjb hands their 600 commands
  to ``CommandService.handle_batch``.

Ratio = rjb rate / raw rate of the same shape. ``RJB_BENCH_PROFILE=1`` prints where the batched
rjb run spends its time (cProfile, SQLite).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.pg import postgres_env, scratch_database, server
from services.bootstrap import build
from services.commands import Command, parse_command
from services.settings import Settings

CASES = int(os.environ.get("RJB_BENCH_CASES", "200"))
BATCH_CASES = int(os.environ.get("RJB_BENCH_BATCH_CASES", "2000"))
BATCH = int(os.environ.get("RJB_BENCH_BATCH", "100"))
EVENTS_PER_CASE = 6


class RawCase(Aggregate):
    @event("Referred")
    def __init__(self, pcc_area: str) -> None:
        self.pcc_area = pcc_area
        self.people: dict[str, str] = {}

    @event("ParticipantAdded")
    def add(self, pid: str, role: str) -> None:
        self.people[pid] = role

    @event("Touched")
    def touch(self, pid: str, what: str) -> None:
        pass


def raw_case() -> RawCase:
    """A new case with its six events (referral, two people, responsibility, two consents)."""
    case = RawCase(pcc_area="kent")
    case.add("v1", "victim")
    case.add("o1", "offender")
    case.touch("o1", "responsibility")
    case.touch("v1", "consent")
    case.touch("o1", "consent")
    return case


def raw_run(env: dict[str, str]) -> float:
    app: Application = Application(env=env)
    start = time.perf_counter()
    for _ in range(CASES):
        case = RawCase(pcc_area="kent")
        app.save(case)
        steps: list[Callable[[RawCase], None]] = [
            lambda c: c.add("v1", "victim"),
            lambda c: c.add("o1", "offender"),
            lambda c: c.touch("o1", "responsibility"),
            lambda c: c.touch("v1", "consent"),
            lambda c: c.touch("o1", "consent"),
        ]
        for step in steps:
            loaded = app.repository.get(case.id)
            step(loaded)
            app.save(loaded)
    elapsed = time.perf_counter() - start
    app.close()
    return elapsed


def raw_batched_run(env: dict[str, str], cases: int = BATCH_CASES, batch: int = BATCH) -> float:
    """``batch`` new cases with their six events each, in one ``save`` of ``batch`` aggregates."""
    app: Application = Application(env=env)
    start = time.perf_counter()
    for _ in range(0, cases, batch):
        app.save(*(raw_case() for _ in range(batch)))
    elapsed = time.perf_counter() - start
    app.close()
    return elapsed


def case_commands(n: int) -> list[Command]:
    """The six commands of case number ``n`` (a new case id each time)."""
    base = {"agency": "pcc:kent", "user": "bench", "occurred_at": "2025-02-01T10:00:00Z"}
    case_id = str(uuid4())
    bodies: list[dict[str, Any]] = [
        {
            "type": "refer_case",
            "route": "police",
            "cjs_stage": "pre_sentence",
            "crime_type": "theft",
            "pcc_area": "kent",
            "crime_reported_on": None,
            "summary": "bench",
        },
        {"type": "add_participant", "participant_id": "v1", "role": "victim", "name": "V"},
        {"type": "add_participant", "participant_id": "o1", "role": "offender", "name": "O"},
        {"type": "accept_responsibility", "participant_id": "o1"},
        {"type": "record_consent", "participant_id": "v1", "form_reference": "F1"},
        {"type": "record_consent", "participant_id": "o1", "form_reference": "F2"},
    ]
    return [
        parse_command({**body, **base, "case_id": case_id, "command_id": f"{n}-{i}"})
        for i, body in enumerate(bodies)
    ]


def rjb_run(settings: Settings) -> float:
    backbone = build(settings)
    start = time.perf_counter()
    for n in range(CASES):
        for command in case_commands(n):
            backbone.commands.handle(command)
    elapsed = time.perf_counter() - start
    backbone.close()
    return elapsed


def rjb_batched_run(settings: Settings, cases: int = BATCH_CASES, batch: int = BATCH) -> float:
    """The commands of ``batch`` cases at a time through ``handle_batch`` (parsing included)."""
    backbone = build(settings)
    start = time.perf_counter()
    for first in range(0, cases, batch):
        commands = [c for n in range(first, first + batch) for c in case_commands(n)]
        results = backbone.commands.handle_batch(commands)
        refused = [r for r in results if isinstance(r, Exception)]
        assert not refused, refused[0]
    elapsed = time.perf_counter() - start
    backbone.close()
    return elapsed


def pg_settings(dbname: str) -> Settings:
    pg = server()
    return Settings(
        store="postgres",
        postgres_host=pg.host,
        postgres_port=pg.port,
        postgres_user=pg.user,
        postgres_dbname=dbname,
    )


def report(store: str, raw_s: float, rjb_s: float, cases: int = CASES) -> None:
    events = cases * EVENTS_PER_CASE
    raw_rate, rjb_rate = events / raw_s, events / rjb_s
    print(
        f"  {store:10} raw eventsourcing {raw_rate:8.0f} events/s | rjb {rjb_rate:8.0f} "
        f"commands/s = {rjb_rate:8.0f} events/s | ratio rjb/raw {rjb_rate / raw_rate:5.2f}"
    )


def profile_batched(tmp: str) -> None:
    """Where the batched rjb run spends its time: the top of a cProfile, by own time."""
    import cProfile
    import pstats

    settings = Settings(store="sqlite", sqlite_path=Path(tmp) / "profile.sqlite3")
    profiler = cProfile.Profile()
    profiler.enable()
    rjb_batched_run(settings, cases=min(BATCH_CASES, 500))
    profiler.disable()
    print("profile of the batched rjb run (SQLite), by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:

        def sqlite(name: str) -> Settings:
            return Settings(store="sqlite", sqlite_path=Path(tmp) / name)

        def raw_sqlite(name: str) -> dict[str, str]:
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(Path(tmp) / name),
            }

        print(f"one transaction per event: {CASES} cases x {EVENTS_PER_CASE} commands")
        report("SQLite", raw_run(raw_sqlite("raw.sqlite3")), rjb_run(sqlite("rjb.sqlite3")))
        with scratch_database() as raw_db:
            raw_s = raw_run(postgres_env(raw_db))
        with scratch_database() as rjb_db:
            rjb_s = rjb_run(pg_settings(rjb_db))
        report("PostgreSQL", raw_s, rjb_s)

        print(
            f"group commit, {BATCH} cases ({BATCH * EVENTS_PER_CASE} events) per transaction: "
            f"{BATCH_CASES} cases x {EVENTS_PER_CASE} commands"
        )
        raw_s = raw_batched_run(raw_sqlite("raw-batched.sqlite3"))
        rjb_s = rjb_batched_run(sqlite("rjb-batched.sqlite3"))
        report("SQLite", raw_s, rjb_s, BATCH_CASES)
        with scratch_database() as raw_db:
            raw_s = raw_batched_run(postgres_env(raw_db))
        with scratch_database() as rjb_db:
            rjb_s = rjb_batched_run(pg_settings(rjb_db))
        report("PostgreSQL", raw_s, rjb_s, BATCH_CASES)
        if os.environ.get("RJB_BENCH_PROFILE"):
            profile_batched(tmp)


if __name__ == "__main__":
    main()
