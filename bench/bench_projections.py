"""Rebuild rate of the prison moves projection over generated prison movements (SQLite).

Writes RJB_BENCH_EVENTS custody events straight into a fresh store (Opened plus alternating
transfers between two prisons), then times (a) the raw library reading and decoding the whole
notification log, and (b) ``ProjectionRunner.rebuild("moves")`` over the same log; prints both
rates, their ratio, and the peak Python memory (tracemalloc) during the rebuild.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.base import EventMeta
from domain.custody import Movement, MovementKind
from projections.events import Custody
from projections.moves import PrisonMoves
from projections.runner import ProjectionRunner
from services.bootstrap import build
from services.settings import Settings


def _generate(store: Any, total: int) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    meta = EventMeta(agency="prison:LEI", user="bench", occurred_at=start, command_id="bench")
    per_offender = 50
    written = 0
    batch: list[Any] = []
    n = 0
    while written < total:
        custody = Custody(prison_number=f"Z{n:06d}ZZ", meta=meta)
        for i in range(min(per_offender, total - written) - 1):
            at = start + timedelta(days=i)
            prison = ("LEI", "DAI")[i % 2]
            kind = MovementKind.RECEIVED if i % 2 == 0 else MovementKind.RELEASED
            custody.record_movement(Movement(kind=kind, reason="TRANSFERRED",
                                             prison_id=prison, occurred_at=at), meta)  # fmt: skip
        written += len(custody.pending_events)
        batch.append(custody)
        n += 1
        if len(batch) >= 40:
            store.save(*batch)
            batch = []
    if batch:
        store.save(*batch)


def main() -> None:
    total = int(os.environ.get("RJB_BENCH_EVENTS", "50000"))
    with tempfile.TemporaryDirectory() as tmp:
        bb = build(Settings(store="sqlite", sqlite_path=Path(tmp) / "bench.sqlite3"))
        t0 = time.perf_counter()
        _generate(bb.store, total)
        print(f"generated {total} events in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        read, start = 0, 1
        while True:
            page = bb.store.recorder.select_notifications(start=start, limit=500)
            for n in page:
                bb.store.mapper.to_domain_event(n)
            read += len(page)
            if len(page) < 500:
                break
            start = page[-1].id + 1
        raw = read / (time.perf_counter() - t0)
        runner = ProjectionRunner(bb.store, [PrisonMoves()], batch_size=500)
        tracemalloc.start()
        t0 = time.perf_counter()
        applied = runner.rebuild("moves")
        rate = applied / (time.perf_counter() - t0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"raw library read+decode: {raw:,.0f} events/s")
        print(f"moves rebuild:           {rate:,.0f} events/s ({applied} events)")
        print(f"ratio rebuild/raw read:  {rate / raw:.2f}")
        print(f"peak traced memory during rebuild: {peak / 2**20:.1f} MiB")
        bb.close()
