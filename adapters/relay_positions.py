"""Where each relay has got to in the notification log, and what the broker acked last.

Besides the position, a relay keeps, per topic-partition, the first offset acked in its last
batch there: a broker that later reports an end offset not above it (or acks an offset not above
it) has lost data, and the relay then republishes from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from adapters.event_store import EventStore
from adapters.side_tables import SideTables

TABLE = ("relay_positions",)


@dataclass
class RelayPosition:
    position: int = 0
    offsets: dict[str, int] = field(default_factory=dict)


class RelayPositions:
    def __init__(self, store: EventStore) -> None:
        self.db = SideTables(store)
        self.db.run(
            "CREATE TABLE IF NOT EXISTS {relay_positions} ("
            " name TEXT PRIMARY KEY, position BIGINT NOT NULL, offsets TEXT NOT NULL)",
            tables=TABLE,
        )

    def load(self, name: str) -> RelayPosition:
        rows = self.db.run(
            "SELECT position, offsets FROM {relay_positions} WHERE name = ?",
            (name,), tables=TABLE, commit=False,
        )  # fmt: skip
        if not rows:
            return RelayPosition()
        return RelayPosition(int(rows[0]["position"]), orjson.loads(rows[0]["offsets"]))

    def save(self, name: str, position: RelayPosition) -> None:
        self.db.run(
            "INSERT INTO {relay_positions} (name, position, offsets) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
            "offsets = excluded.offsets",
            (name, position.position, orjson.dumps(position.offsets).decode()),
            tables=TABLE,
        )
