"""Runs drills by name, each with its own random generator from the one printed seed (so a
failing drill repeats alone with ``--seed``), its own schema and topics, and a time budget."""

from __future__ import annotations

import asyncio
import importlib
import random
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence

from drills.harness import SIZES, Drill, Stall
from drills.platform import Site
from drills.verdict import Row

DrillFn = Callable[[Drill], Awaitable[None]]


WHERE = {
    "relay-kill": "process_drills:relay_kill",
    "broker-loss": "outage_drills:broker_loss",
    "postgres-outage": "outage_drills:postgres_outage",
    "serve-kill": "process_drills:serve_kill",
    "leader-kill": "process_drills:leader_kill",
    "fuzz": "input_drills:fuzz",
    "submit": "input_drills:submit",
}


def drill_named(name: str) -> DrillFn:
    module, function = WHERE[name].split(":")
    found: DrillFn = getattr(importlib.import_module(f"drills.{module}"), function)
    return found


NAMES = (
    "relay-kill",
    "broker-loss",
    "postgres-outage",
    "serve-kill",
    "leader-kill",
    "fuzz",
    "submit",
)
BUDGET = {"full": 900.0, "small": 130.0}  # seconds per drill before it counts as stalled


def run_one(name: str, site: Site, size: str, seed: int) -> Row:
    row = Row(name)
    drill = Drill(site, SIZES[size], random.Random(f"{seed}:{name}"), row, f"{name}-{seed}", seed)
    started = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(drill_named(name)(drill), BUDGET[size]))
    except Stall as stall:
        row.fail(str(stall))
    except TimeoutError:
        row.fail(f"stalled: the drill ran over its {BUDGET[size]:.0f} s budget")
    except Exception:
        row.fail("crash in the drill:\n" + traceback.format_exc(limit=8))
    row.seconds = time.monotonic() - started
    return row


def run(
    names: Sequence[str], site: Site, size: str, seed: int, report: Callable[[Row], None]
) -> list[Row]:
    rows = []
    for name in names:
        row = run_one(name, site, size, seed)
        report(row)
        rows.append(row)
    return rows
