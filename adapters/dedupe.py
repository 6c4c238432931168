"""At-least-once delivery means duplicates: a subscriber applies each event once.

Events of one aggregate arrive in version order on one partition, so remembering the highest
version applied per aggregate is enough; ``ce_id`` identifies the event for logging.
"""

from __future__ import annotations

from adapters.cloudevents import attributes


class Deduplicator:
    def __init__(self) -> None:
        self.applied: dict[str, int] = {}
        self.duplicates = 0

    def first_time(self, aggregate_id: str, version: int) -> bool:
        """True the first time (aggregate, version) is seen, or anything newer."""
        if version <= self.applied.get(aggregate_id, 0):
            self.duplicates += 1
            return False
        self.applied[aggregate_id] = version
        return True

    def first_time_record(self, headers: object, version: int) -> bool:
        return self.first_time(attributes(headers)["subject"], version)
