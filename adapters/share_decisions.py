"""The record of every share decision, so an auditor can ask who received what about a case.

One row per (recipient, event): sent, redacted (with the removed fields) or withheld, the data
category, the reason and the agreements that granted it. Re-deciding after a relay restart
writes the same row again (upsert), so the record has no duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from adapters.event_store import EventStore
from adapters.sql import Database

COLUMNS = (
    "recipient",
    "event_id",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "from_agency",
    "outcome",
    "category",
    "removed_fields",
    "reason",
    "agreements",
    "position",
)


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
    """The ``share_decisions`` table (its shape: ``adapters/migrations``)."""

    def __init__(self, store: EventStore) -> None:
        self.db = Database(store)

    def record(self, rows: list[ShareDecisionRow]) -> None:
        names = ", ".join(COLUMNS)
        marks = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])
        self.db.write(
            f"INSERT INTO share_decisions ({names}) VALUES ({marks}) "
            f"ON CONFLICT (recipient, event_id) DO UPDATE SET {updates}",
            [tuple(getattr(r, c) for c in COLUMNS) for r in rows],
        )

    def _select(self, where: str, params: tuple[object, ...]) -> list[ShareDecisionRow]:
        rows = self.db.read(
            f"SELECT {', '.join(COLUMNS)} FROM share_decisions WHERE {where} "
            "ORDER BY position, recipient",
            params,
        )
        return [ShareDecisionRow(*row) for row in rows]

    def about(self, aggregate_id: UUID | str) -> list[ShareDecisionRow]:
        """Every decision about one case (or custody record), in log order."""
        return self._select("aggregate_id = ?", (str(aggregate_id),))

    def received_by(self, recipient: str, aggregate_id: UUID | str) -> list[ShareDecisionRow]:
        """What ``recipient`` was sent (whole or redacted) about one case."""
        return self._select(
            "recipient = ? AND aggregate_id = ? AND outcome <> 'withheld'",
            (recipient, str(aggregate_id)),
        )
