"""The backbone's figures at one moment, for ``/metrics`` and the full ``/health`` document.

Read from what the running parts already keep in memory (relay positions, inbound counters,
the Kafka watch's last look) plus two cheap store queries (the log head, through the store
check, and the projections' tracking rows). Nothing here waits for the broker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from projections.runner import TRACKING_TABLE
from services.health import Check, HealthSources, ago

if TYPE_CHECKING:
    from services.bootstrap import Backbone
    from services.kafka_runtime.inbound_health import InboundHealth, InboundStats


@dataclass(frozen=True)
class RelayFigures:
    name: str
    cluster: str
    position: int
    republished: int
    last_success: float | None


@dataclass
class Figures:
    checks: list[Check]
    log_head: int | None  # None: the store did not answer
    leader: bool | None = None  # holds the relay leader lock; None: no Kafka in this process
    relays: list[RelayFigures] = field(default_factory=list)  # the leader's only
    health: InboundHealth | None = None  # None: no inbound subscribers in this process
    stats: InboundStats | None = None
    consumer_lag: dict[tuple[str, int], int] = field(default_factory=dict)
    consumer_lag_at: float | None = None
    consumer_lag_error: str | None = None
    projections: dict[str, int] = field(default_factory=dict)  # name → tracked position
    commands_stored: int = 0
    commands_duplicate: int = 0
    dead_letters_waiting: int | None = None  # not dealt with; None: not counted (yet)
    dead_letter_age: float | None = None  # the oldest of those (0: none)

    @property
    def ready(self) -> bool:
        return HealthSources.ready(self.checks)

    def lag(self, position: int) -> int | None:
        return None if self.log_head is None else max(0, self.log_head - position)


def projection_positions(backbone: Backbone) -> dict[str, int]:
    """Each projection's tracked position (0 before its first catch-up); read-only."""
    runner = backbone.projections
    names = sorted(runner.projections)
    if not runner.db.table_exists(TRACKING_TABLE):
        return dict.fromkeys(names, 0)
    with runner.db.transaction(commit=False) as tx:
        rows: dict[Any, Any] = dict(
            tx.all(f"SELECT projection, notification_id FROM {TRACKING_TABLE}")
        )
    return {name: int(rows.get(name) or 0) for name in names}


async def gather(sources: HealthSources) -> Figures:
    checks, head = await sources.checks()
    figures = Figures(checks, head)
    commands = sources.backbone.commands
    figures.commands_stored = commands.stored
    figures.commands_duplicate = commands.duplicates
    if head is not None:  # the store answers: the tracking rows will too
        try:
            figures.projections = await asyncio.wait_for(
                asyncio.to_thread(projection_positions, sources.backbone), sources.settings.timeout
            )
        except Exception:  # the store check already says what is wrong
            figures.projections = {}
    run = sources.run
    if run is None:
        return figures
    figures.leader = run.leadership.leading
    if figures.leader:
        figures.relays = [
            RelayFigures(r.router.name, r.cluster, r.state.position, r.republished, r.last_success)
            for r in run.relays
        ]
    figures.health, figures.stats = run.inbound.health, run.inbound.stats
    if run.watch is not None:
        figures.consumer_lag, figures.consumer_lag_at = dict(run.watch.lag), run.watch.lag_at
        figures.consumer_lag_error = run.watch.lag_error
        if run.watch.waiting is not None:
            figures.dead_letters_waiting = run.watch.waiting[0]
            figures.dead_letter_age = run.watch.oldest_dead_letter_age()
    return figures


def when(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


def relay(r: RelayFigures, lag: int | None) -> dict[str, Any]:
    return {
        "name": r.name,
        "cluster": r.cluster,
        "position": r.position,
        "lag": lag,
        "republished": r.republished,
        "last_success": when(r.last_success),
    }


def document(figures: Figures) -> dict[str, Any]:
    """The full ``/health`` document: the checks, then the figures behind them."""
    doc: dict[str, Any] = {
        "status": "ready" if figures.ready else "not ready",
        "checks": [c.as_dict() for c in figures.checks],
        "store": {"log_head": figures.log_head},
        "commands": {"stored": figures.commands_stored, "duplicates": figures.commands_duplicate},
        "projections": [
            {"name": name, "position": position, "lag": figures.lag(position)}
            for name, position in figures.projections.items()
        ],
        "relay_leader": figures.leader,
        "relays": [relay(r, figures.lag(r.position)) for r in figures.relays],
    }
    if figures.health is not None and figures.stats is not None:
        h, s = figures.health, figures.stats
        doc["inbound"] = {
            "stored": s.stored_count,
            "duplicates": s.duplicates,
            "dead_letters": h.dead_letters,
            "impersonations": h.impersonations,
            "transient_failures": h.transient_failures,
            "pauses": h.pauses,
            "last_error_at": when(h.last_error_at),
            "partitions_in_trouble": [
                {
                    "topic": t.topic,
                    "partition": t.partition,
                    "offset": t.offset,
                    "attempts": t.attempts,
                    "since": when(t.since),
                    "paused": t.paused,
                    "paused_until": when(t.paused_until),
                    "error": t.error[:300],
                }
                for t in h.troubles.values()
            ],
            "consumer_lag": [
                {"topic": topic, "partition": partition, "lag": lag}
                for (topic, partition), lag in sorted(figures.consumer_lag.items())
            ],
            "consumer_lag_sampled": ago(figures.consumer_lag_at),
            "consumer_lag_error": figures.consumer_lag_error,
        }
    if figures.dead_letters_waiting is not None:
        doc["dead_letters"] = {
            "waiting": figures.dead_letters_waiting,
            "oldest_age_seconds": figures.dead_letter_age,
        }
    return doc
