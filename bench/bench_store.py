"""Command service throughput vs the raw eventsourcing library doing the same writes.

Both sides write one event per transaction after loading the aggregate, six per case (referral,
two participants, responsibility, two consents). "raw" is eventsourcing's own Aggregate with its
default JSON mapper; "rjb" parses each agency command with pydantic, checks idempotency and the
domain rules, and stores through the orjson/pydantic mapper. Ratio = rjb rate / raw rate.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.pg import postgres_env, scratch_database
from services.bootstrap import build
from services.commands import parse_command
from services.settings import Settings

CASES = int(os.environ.get("RJB_BENCH_CASES", "200"))
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


def raw_run(env: dict[str, str]) -> float:
    app: Application = Application(env=env)
    start = time.perf_counter()
    for _ in range(CASES):
        case = RawCase(pcc_area="kent")
        app.save(case)
        steps: list[Callable[[RawCase], None]] = [
            lambda c: c.add("v1", "victim"), lambda c: c.add("o1", "offender"),
            lambda c: c.touch("o1", "responsibility"), lambda c: c.touch("v1", "consent"),
            lambda c: c.touch("o1", "consent"),
        ]  # fmt: skip
        for step in steps:
            loaded = app.repository.get(case.id)
            step(loaded)
            app.save(loaded)
    elapsed = time.perf_counter() - start
    app.close()
    return elapsed


def rjb_run(settings: Settings) -> float:
    backbone = build(settings)
    base = {"agency": "pcc:kent", "user": "bench", "occurred_at": "2025-02-01T10:00:00Z"}
    start = time.perf_counter()
    for n in range(CASES):
        case_id = str(uuid4())
        commands = [
            {"type": "refer_case", "route": "police", "cjs_stage": "pre_sentence",
             "crime_type": "theft", "pcc_area": "kent", "crime_reported_on": None,
             "summary": "bench"},
            {"type": "add_participant", "participant_id": "v1", "role": "victim", "name": "V"},
            {"type": "add_participant", "participant_id": "o1", "role": "offender", "name": "O"},
            {"type": "accept_responsibility", "participant_id": "o1"},
            {"type": "record_consent", "participant_id": "v1", "form_reference": "F1"},
            {"type": "record_consent", "participant_id": "o1", "form_reference": "F2"},
        ]  # fmt: skip
        for i, body in enumerate(commands):
            raw = {**body, **base, "case_id": case_id, "command_id": f"{n}-{i}"}
            backbone.commands.handle(parse_command(raw))
    elapsed = time.perf_counter() - start
    backbone.close()
    return elapsed


def report(store: str, raw_s: float, rjb_s: float) -> None:
    events = CASES * EVENTS_PER_CASE
    raw_rate, rjb_rate = events / raw_s, events / rjb_s
    print(
        f"{store:10} raw eventsourcing {raw_rate:8.0f} events/s | rjb {rjb_rate:8.0f} commands/s "
        f"= {rjb_rate:8.0f} events/s | ratio rjb/raw {rjb_rate / raw_rate:5.2f}"
    )


def main() -> None:
    print(f"{CASES} cases x {EVENTS_PER_CASE} commands (one event each), one transaction each")
    with tempfile.TemporaryDirectory() as tmp:
        raw_s = raw_run({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                         "SQLITE_DBNAME": str(Path(tmp) / "raw.sqlite3")})  # fmt: skip
        rjb_s = rjb_run(Settings(store="sqlite", sqlite_path=Path(tmp) / "rjb.sqlite3"))
        report("SQLite", raw_s, rjb_s)
    with scratch_database() as raw_db:
        raw_s = raw_run(postgres_env(raw_db))
    with scratch_database() as rjb_db:
        rjb_s = rjb_run(Settings(store="postgres", postgres_dbname=rjb_db))
    report("PostgreSQL", raw_s, rjb_s)


if __name__ == "__main__":
    main()
