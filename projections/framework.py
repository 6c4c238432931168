"""What a projection is: view tables plus one handler per event class it cares about.

A projection never reads the event store itself; the runner feeds it decoded events in log
order inside a transaction that also advances its tracking row, so a handler only has to turn
one event into SQL on its own tables. Handlers must depend only on the event and the view rows,
which is what makes a rebuild give the same rows as the incremental run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from projections.sql import ViewTx

_INDEX_NAME = re.compile(r"INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
Handler = Callable[[Any, Any, ViewTx], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Marks a projection method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method.__dict__["handles"] = event_classes
        return method

    return mark


def _declared_as(event_class: type) -> list[type]:
    """The class and the base classes of the same name it was derived from.

    eventsourcing re-derives an ``@event`` class for each aggregate subclass, but stores the
    topic of the class where the method was declared (``CaseParticipation.ParticipantAdded``
    for ``Case.ParticipantAdded``), so a handler answers to every one of them.
    """
    return [c for c in event_class.__mro__ if c.__name__ == event_class.__name__]


class Projection:
    """Base of every read model. Subclasses set ``name``, ``tables`` and handler methods."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    # table name -> the body of its CREATE TABLE (columns and keys), in portable SQL
    tables: ClassVar[dict[str, str]]
    indexes: ClassVar[tuple[str, ...]] = ()
    _handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for event_class in getattr(attr, "handles", ()):
                    for same in _declared_as(event_class):
                        cls._handlers[same] = attr

    @property
    def topics(self) -> list[str]:
        return sorted({f"{c.__module__}:{c.__qualname__}" for c in self._handlers})

    @property
    def index_names(self) -> list[str]:
        return [m.group(1) for i in self.indexes if (m := _INDEX_NAME.search(i))]

    def apply(self, event: Any, tx: ViewTx) -> bool:
        """Applies the event if this projection handles it; says whether it did."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return False
        handler(self, event, tx)
        return True

    def finish(self, tx: ViewTx) -> None:
        """Writes what handlers kept in ``tx.state`` during a batch; called before commit."""

    def create_tables(self, tx: ViewTx) -> None:
        for table, body in self.tables.items():
            tx.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
        for index in self.indexes:
            tx.execute(index)

    def drop_tables(self, tx: ViewTx) -> None:
        for table in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
