"""Peak resident memory while a million commands go through ``CommandService.handle_batch``,
sampled every 100,000, next to raw eventsourcing saving the same aggregates and events.

Why: a backbone that runs for months must not grow with what it has stored. Each part runs in
a fresh process (peak RSS is per process). Workload: cases of six commands (referral, two
participants, responsibility, two consents; two new people with keys each), 84 cases (504
commands) per batch, one transaction each; raw eventsourcing saves 84 aggregates of six events
per ``save``. RJB_BENCH_MEMORY_COMMANDS (default 1000000), RJB_BENCH_MEMORY_EVERY (100000),
RJB_BENCH_MEMORY_STORE (sqlite, the default, or postgres). RJB_BENCH_MEMORY_TRACE=1 also prints
tracemalloc's top allocation sites still held at the end (several times slower).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application

from bench.bench_store import case_commands, raw_case
from bench.kafka_workload import store_settings
from bench.memory_probe import Growth, rss_mib
from bench.pg import postgres_env, scratch_database
from services.bootstrap import build

CASES_PER_BATCH = 84  # 504 commands


class Sampler:
    """Prints RSS now and at its peak every ``every`` commands (and once before the first)."""

    def __init__(self, every: int) -> None:
        self.every, self.next, self.started = every, every, time.perf_counter()
        now, peak = rss_mib()
        print(f"    {0:>9,} commands  RSS {now:7.1f} MiB  peak {peak:7.1f} MiB", flush=True)

    def __call__(self, done: int) -> None:
        if done < self.next:
            return
        self.next += self.every
        now, peak = rss_mib()
        rate = done / (time.perf_counter() - self.started)
        print(
            f"    {done:>9,} commands  RSS {now:7.1f} MiB  peak {peak:7.1f} MiB  "
            f"({rate:,.0f} commands/s so far)",
            flush=True,
        )


def rjb_part(kind: str, total: int, every: int, trace: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, store_settings(kind, Path(tmp)) as settings:
        backbone = build(settings)
        growth = Growth(trace)
        try:
            backbone.commands.handle_batch(case_commands(-1))  # warm: first imports, caches
            growth.start()
            sample, done, case = Sampler(every), 0, 0
            while done < total:
                batch = [c for n in range(case, case + CASES_PER_BATCH) for c in case_commands(n)]
                case += CASES_PER_BATCH
                refused = [
                    r for r in backbone.commands.handle_batch(batch) if isinstance(r, Exception)
                ]
                assert not refused, refused[0]
                done += len(batch)
                sample(done)
            cached = len(getattr(backbone.store.personal, "_cache", ()))
            print(
                f"    per-person keys held by the cipher's cache: {cached:,} (each an AESGCM, "
                "about 2.5 KiB of OpenSSL memory that tracemalloc does not see)"
            )
            growth.report()
        finally:
            backbone.close()


def raw_part(kind: str, total: int, every: int, trace: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "sqlite":
            run_raw(
                {
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "SQLITE_DBNAME": str(Path(tmp) / "raw.sqlite3"),
                },
                total,
                every,
                trace,
            )
            return
        with scratch_database() as name:
            run_raw(postgres_env(name), total, every, trace)


def run_raw(env: dict[str, str], total: int, every: int, trace: bool) -> None:
    app: Application[UUID] = Application(env=env)
    growth = Growth(trace)
    growth.start()
    sample, done = Sampler(every), 0
    try:
        while done < total:
            app.save(*(raw_case() for _ in range(CASES_PER_BATCH)))
            done += 6 * CASES_PER_BATCH
            sample(done)
        growth.report()
    finally:
        app.close()


def in_child(part: Callable[[str, int, int, bool], None], *args: object) -> None:
    """Runs ``part`` in a fresh interpreter, so its peak RSS is its own."""
    child = multiprocessing.get_context("spawn").Process(target=part, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"{part.__name__} failed (exit {child.exitcode})")


def main() -> None:
    total = int(os.environ.get("RJB_BENCH_MEMORY_COMMANDS", "1000000"))
    every = int(os.environ.get("RJB_BENCH_MEMORY_EVERY", "100000"))
    kind = os.environ.get("RJB_BENCH_MEMORY_STORE", "sqlite")
    trace = os.environ.get("RJB_BENCH_MEMORY_TRACE", "") == "1"
    print(f"{total:,} commands through handle_batch ({CASES_PER_BATCH * 6} per batch), {kind}:")
    in_child(rjb_part, kind, total, every, trace)
    print(f"raw eventsourcing, the same {total // 6:,} aggregates of six events, {kind}:")
    in_child(raw_part, kind, total, every, trace)


if __name__ == "__main__":
    main()
