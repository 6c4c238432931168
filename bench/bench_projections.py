"""Rebuild rate of every projection, on SQLite and PostgreSQL, against the raw library.

For each store the same mixed log is written (RJB_BENCH_EVENTS events, RJB_BENCH_CASE_SHARE of
them case events from copies of the demo stories, the rest prison movements; see
``bench/projection_workload.py``). Then, in the same run: (a) the raw library reads and
decodes the whole notification log; (b) each projection is rebuilt on its own, and all four
together, rates given as log events per second and as a ratio to (a); (c) the rebuild of all
four is run again under tracemalloc for its peak Python memory. RJB_BENCH_STORES picks stores.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.pg import scratch_database, server
from bench.projection_workload import write_cases, write_custody
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from services.bootstrap import Backbone, build
from services.settings import Settings


def _timed(work: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def _raw_read(store: Any) -> None:
    start = 1
    while True:
        page = store.recorder.select_notifications(start=start, limit=500)
        for n in page:
            store.mapper.to_domain_event(n)
        if len(page) < 500:
            return
        start = page[-1].id + 1


def _run(label: str, settings: Settings, total: int, case_share: float) -> None:
    bb: Backbone = build(settings)
    try:
        t0 = time.perf_counter()
        copies = write_cases(bb, int(total * case_share))
        cases = bb.store.recorder.max_notification_id() or 0
        write_custody(bb.store, total - cases)
        log = bb.store.recorder.max_notification_id() or 0
        print(
            f"[{label}] {log:,} events ({cases:,} from {copies} copies of the case stories, "
            f"the rest custody) written in {time.perf_counter() - t0:.0f}s"
        )
        raw = log / _timed(lambda: _raw_read(bb.store))
        print(f"[{label}] raw library read+decode: {raw:,.0f} events/s")
        runner = ProjectionRunner(bb.store, all_projections(), batch_size=2000)
        for name in [*sorted(runner.projections), None]:
            t0 = time.perf_counter()
            applied = runner.rebuild(name)
            rate = log / (time.perf_counter() - t0)
            print(
                f"[{label}] rebuild {name or 'all':12} {rate:>9,.0f} log events/s "
                f"({applied:,} applied) ratio to raw read {rate / raw:.2f}"
            )
        tracemalloc.start()
        runner.rebuild()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"[{label}] peak traced memory during the rebuild of all: {peak / 2**20:.1f} MiB")
    finally:
        bb.close()


def main() -> None:
    total = int(os.environ.get("RJB_BENCH_EVENTS", "20000"))
    case_share = float(os.environ.get("RJB_BENCH_CASE_SHARE", "0.15"))
    stores = os.environ.get("RJB_BENCH_STORES", "sqlite,postgres").split(",")
    if "sqlite" in stores:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            _run("sqlite", Settings(store="sqlite", sqlite_path=path), total, case_share)
    if "postgres" in stores:
        with scratch_database() as db:
            pg = server()
            settings = Settings(
                store="postgres",
                postgres_host=pg.host,
                postgres_port=pg.port,
                postgres_user=pg.user,
                postgres_dbname=db,
            )
            _run("postgres", settings, total, case_share)


if __name__ == "__main__":
    main()
