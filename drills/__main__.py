"""``python -m drills [NAME ...] [--size small|full] [--seed N]``: starts a throwaway
PostgreSQL and an Apache Kafka broker, runs the drills, prints one table row per drill, and
exits 1 if any lost a message, stalled or crashed."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from adapters.apache_kafka import ApacheKafka, kafka_version
from adapters.throwaway_postgres import ThrowawayPostgres
from drills.platform import Pg, Site, create_database
from drills.run import NAMES, run
from drills.verdict import Row, table

DEFAULT_SEED = 20251126


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drills", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        choices=[*NAMES, []],
        metavar="NAME",
        help=f"drills to run (default: all): {', '.join(NAMES)}",
    )
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    names = args.names or list(NAMES)
    print(
        f"drills: {', '.join(names)}; size {args.size}; seed {args.seed} "
        f"(repeat with --seed {args.seed})",
        flush=True,
    )

    def report(row: Row) -> None:
        print(table([row]).splitlines()[-1], flush=True)
        for failure in row.failures[:20]:
            print(f"    {row.drill}: {failure}", flush=True)

    work = tempfile.mkdtemp(prefix="rjb-drills-")  # kept: the `rjb serve` logs of a failure
    with ThrowawayPostgres() as pg, ApacheKafka() as kafka:
        print(
            f"apache-kafka {kafka_version()} on {kafka.bootstrap}; "
            f"postgresql on {pg.host}:{pg.port}; logs in {work}",
            flush=True,
        )
        database = create_database(Pg(pg.host, pg.port, pg.user), "rjb_drills")
        site = Site(database, kafka.bootstrap, Path(work))
        print(table([]), flush=True)
        rows = run(names, site, args.size, args.seed, report)
    print(f"\nseed {args.seed}, size {args.size}\n{table(rows)}")
    failed = [r.drill for r in rows if not r.passed]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
