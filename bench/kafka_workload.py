"""The Kafka benchmarks' workload: copies of the six stories with distinct ids, and stores."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.pg import scratch_database, server
from services.demo.runner import all_scripts
from services.demo.script import Script
from services.settings import Settings


def story_copy(i: int) -> list[Script]:
    """The stories again, as new cases: distinct case ids, command ids and agreement references."""
    scripts = all_scripts()
    for s in scripts:
        s.story = f"{s.story}-{i}"
        s.__post_init__()
        for c in s.commands:
            c["command_id"] = f"{i}-{c['command_id']}"
            if "case_id" in c:
                c["case_id"] = str(s.case_id)
            if "reference" in c:
                c["reference"] = f"{c['reference']}-{i}"
    return scripts


def commands(count: int, start: int = 0) -> list[dict[str, Any]]:
    """At least ``count`` agency commands (no movements), story by story."""
    out: list[dict[str, Any]] = []
    i = start
    while len(out) < count:
        out.extend(c for s in story_copy(i) for c in s.commands)
        i += 1
    return out[:count]


@contextmanager
def store_settings(kind: str, tmp: Path, **overrides: Any) -> Iterator[Settings]:
    """A fresh, empty store: a SQLite file under ``tmp`` or a scratch PostgreSQL database."""
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(dir=tmp)) / "bench.sqlite3"
        yield Settings(store="sqlite", sqlite_path=path, **overrides)
        return
    with scratch_database() as name:
        pg = server()
        yield Settings(
            store="postgres",
            postgres_host=pg.host,
            postgres_port=pg.port,
            postgres_user=pg.user,
            postgres_dbname=name,
            **overrides,
        )


def referrals(count: int, agency: str = "police:west-yorkshire") -> list[dict[str, Any]]:
    """``count`` independent referrals from one agency: over Kafka they go on that agency's own
    inbound topic, where their order is kept (commands of several agencies, on several topics,
    would need the sender to wait for each step, as the Kafka demo does)."""
    first = next(c for s in all_scripts() for c in s.commands if c["type"] == "refer_case")
    return [
        {**first, "agency": agency, "command_id": f"bench-{i}", "case_id": str(uuid.uuid4())}
        for i in range(count)
    ]
