"""What the store says the topics should hold: every stored event on the case-event topic, and
every share decision that sent an event (whole or redacted) on its recipient's shared topic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from adapters.cloudevents import event_id
from adapters.event_store import EventStore
from adapters.sql import Database


@dataclass(frozen=True)
class Expected:
    """One record a topic should hold: the event (its CloudEvents id) and where it is in the log."""

    event_id: str
    aggregate_id: str
    version: int
    position: int

    def __str__(self) -> str:
        return f"{self.aggregate_id} v{self.version} (log {self.position})"


def stored_events(store: EventStore, page: int = 1000) -> Iterator[Expected]:
    """Every event in the notification log, in log order (nothing decoded)."""
    start = 1
    while batch := store.recorder.select_notifications(start, page):
        for n in batch:
            aggregate = UUID(str(n.originator_id))
            yield Expected(
                str(event_id(aggregate, n.originator_version)),
                str(aggregate),
                n.originator_version,
                n.id,
            )
        start = batch[-1].id + 1


def sent_shares(store: EventStore) -> dict[str, list[Expected]]:
    """Per recipient, the events its share decisions sent (not the withheld), in log order."""
    rows = Database(store).read(
        "SELECT recipient, event_id, aggregate_id, aggregate_version, position "
        "FROM share_decisions WHERE outcome <> 'withheld' ORDER BY position, recipient"
    )
    out: dict[str, list[Expected]] = {}
    for recipient, event, aggregate, version, position in rows:
        out.setdefault(recipient, []).append(Expected(event, aggregate, version, position))
    return out
