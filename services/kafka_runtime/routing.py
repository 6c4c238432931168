"""What the relay sends for each notification: a :class:`Router` says where an event goes.

Every router is asked first for the records it can make from the stored state alone
(:meth:`Router.route_stored`, no pydantic event decoded: :mod:`adapters.stored_records`); when
it cannot, the event is decoded with its sealed fields read as erased, routed, and each record
given the stored envelopes (:func:`adapters.sealed_records.seal_record`). Both give the same
records: a personal field travels as its stored envelope or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from adapters.cloudevents import Record, to_record
from adapters.event_store import EventStore
from adapters.kafka_config import Topics, TopicSpec
from adapters.sealed_records import seal_record, sealed_event
from adapters.stored_records import StoredRecords


@dataclass(frozen=True)
class Outgoing:
    topic: str
    record: Record
    sequence: int


class Router(Protocol):
    name: str

    def topic_specs(self) -> list[TopicSpec]: ...

    def reset(self, upto: int) -> None: ...

    def route(self, sequence: int, event: Any) -> list[Outgoing]: ...

    def route_stored(self, notification: Any, records: StoredRecords) -> list[Outgoing] | None:
        """Routed without decoding the event, or ``None``: decode it and :meth:`route` it."""
        ...

    def acked(self, upto: int) -> None: ...

    def has_decisions(self) -> bool:
        """Whether :meth:`acked` has anything to record (its batch must then be saved)."""
        ...


class CaseEventRouter:
    """Every event, unchanged, to the case-event topic."""

    name = "case-events"

    def __init__(self, topics: Topics) -> None:
        self.topics = topics

    def topic_specs(self) -> list[TopicSpec]:
        return self.topics.core()

    def reset(self, upto: int) -> None:
        pass

    def route(self, sequence: int, event: Any) -> list[Outgoing]:
        return [Outgoing(self.topics.case_events, to_record(event, sequence), sequence)]

    def route_stored(self, notification: Any, records: StoredRecords) -> list[Outgoing] | None:
        sequence: int = notification.id
        record = records.record(notification, sequence)
        return None if record is None else [Outgoing(self.topics.case_events, record, sequence)]

    def acked(self, upto: int) -> None:
        pass

    def has_decisions(self) -> bool:
        return False


def outgoing(
    store: EventStore, router: Router, records: StoredRecords, notifications: list[Any]
) -> list[Outgoing]:
    """What ``router`` sends for ``notifications``, in log order, personal fields sealed."""
    out: list[Outgoing] = []
    for n in notifications:
        routed = router.route_stored(n, records)
        if routed is None:
            event, sealed = sealed_event(store, n)
            base = records.dataref_base
            routed = [
                Outgoing(o.topic, seal_record(o.record, event, sealed, base), o.sequence)
                for o in router.route(n.id, event)
            ]
        out += routed
    return out
