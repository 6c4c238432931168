"""Where each relay has got to in the notification log, and what the broker acked last.

Positions are kept per relay *and* Kafka cluster (its cluster id): a relay that finds itself
talking to another cluster (a lost broker formatted anew, a fail-over) starts there from that
cluster's own position, from the beginning for a cluster it never wrote to. Besides the
position, a relay keeps, per topic-partition, the first offset acked in its last
batch there: a broker that later reports an end offset not above it (or acks an offset not above
it) has lost data, and the relay then republishes from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from adapters.event_store import EventStore
from adapters.sql import Database


@dataclass
class RelayPosition:
    position: int = 0
    offsets: dict[str, int] = field(default_factory=dict)


class RelayPositions:
    """The ``relay_positions`` table (its shape: ``adapters/migrations``)."""

    def __init__(self, store: EventStore) -> None:
        self.db = Database(store)

    def load(self, name: str, cluster: str) -> RelayPosition:
        rows = self.db.read(
            "SELECT position, offsets FROM relay_positions WHERE name = ? AND cluster = ?",
            (name, cluster),
        )
        if not rows:
            return RelayPosition()
        return RelayPosition(int(rows[0][0]), orjson.loads(rows[0][1]))

    def save(self, name: str, cluster: str, position: RelayPosition) -> None:
        self.db.write(
            "INSERT INTO relay_positions (name, cluster, position, offsets) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name, cluster) DO UPDATE SET position = excluded.position, "
            "offsets = excluded.offsets",
            [(name, cluster, position.position, orjson.dumps(position.offsets).decode())],
        )
