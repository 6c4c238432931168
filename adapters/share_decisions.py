"""The record of every share decision, so an auditor can ask who received what about a case.

One row per (recipient, event): sent, redacted (with the removed fields) or withheld, the data
category, the reason and the agreements that granted it. Re-deciding after a relay restart
writes the same row again (upsert), so the record has no duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from adapters.event_store import EventStore
from adapters.side_tables import SideTables

TABLE = ("share_decisions",)
COLUMNS = ("recipient", "event_id", "aggregate_id", "aggregate_version", "event_type",
           "from_agency", "outcome", "category", "removed_fields", "reason", "agreements",
           "position")  # fmt: skip


@dataclass(frozen=True)
class ShareDecisionRow:
    recipient: str
    event_id: str
    aggregate_id: str
    aggregate_version: int
    event_type: str
    from_agency: str
    outcome: str
    category: str
    removed_fields: str
    reason: str
    agreements: str
    position: int


class ShareDecisions:
    def __init__(self, store: EventStore) -> None:
        self.db = SideTables(store)
        self.db.run(
            "CREATE TABLE IF NOT EXISTS {share_decisions} ("
            " recipient TEXT NOT NULL, event_id TEXT NOT NULL, aggregate_id TEXT NOT NULL,"
            " aggregate_version BIGINT NOT NULL, event_type TEXT NOT NULL,"
            " from_agency TEXT NOT NULL, outcome TEXT NOT NULL, category TEXT NOT NULL,"
            " removed_fields TEXT NOT NULL, reason TEXT NOT NULL, agreements TEXT NOT NULL,"
            " position BIGINT NOT NULL, PRIMARY KEY (recipient, event_id))",
            tables=TABLE,
        )
        self.db.run(
            "CREATE INDEX IF NOT EXISTS share_decisions_by_aggregate"
            " ON {share_decisions} (aggregate_id, position)",
            tables=TABLE,
        )

    def record(self, rows: list[ShareDecisionRow]) -> None:
        names = ", ".join(COLUMNS)
        marks = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])
        self.db.run_many(
            f"INSERT INTO {{share_decisions}} ({names}) VALUES ({marks}) "
            f"ON CONFLICT (recipient, event_id) DO UPDATE SET {updates}",
            [tuple(getattr(r, c) for c in COLUMNS) for r in rows],
            tables=TABLE,
        )

    def _select(self, where: str, params: tuple[object, ...]) -> list[ShareDecisionRow]:
        rows = self.db.run(
            f"SELECT {', '.join(COLUMNS)} FROM {{share_decisions}} WHERE {where} "
            "ORDER BY position, recipient",
            params, tables=TABLE, commit=False,
        )  # fmt: skip
        return [ShareDecisionRow(**row) for row in rows]

    def about(self, aggregate_id: UUID | str) -> list[ShareDecisionRow]:
        """Every decision about one case (or custody record), in log order."""
        return self._select("aggregate_id = ?", (str(aggregate_id),))

    def received_by(self, recipient: str, aggregate_id: UUID | str) -> list[ShareDecisionRow]:
        """What ``recipient`` was sent (whole or redacted) about one case."""
        return self._select(
            "recipient = ? AND aggregate_id = ? AND outcome <> 'withheld'",
            (recipient, str(aggregate_id)),
        )
