"""Runs projections over the store's notification log, exactly once, and rebuilds them.

Each batch is one transaction that first moves the projection's tracking row from the position
the batch was read after to the batch's last notification id (a compare-and-set: ``UPDATE ...
WHERE notification_id = <expected>``), then applies the batch's events to the view tables. If
another runner got there first the update matches no row and the whole batch rolls back, so no
event is ever applied twice and none is skipped; on PostgreSQL the row lock also makes a second
runner wait for the first. A crash leaves view and position consistent, so a rebuild that stops
half-way simply carries on at the next catch-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from adapters.event_store import EventStore
from projections.framework import Projection
from projections.sql import ViewDatabase, ViewTx

TRACKING_TABLE = "projection_tracking"
Progress = Callable[[int, int], None]  # (notification id reached, last notification id)


class PositionMoved(Exception):
    """Another runner advanced this projection first; the batch was rolled back."""


class UnknownProjection(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    log_end: int


class ProjectionRunner:
    def __init__(
        self, store: EventStore, projections: Iterable[Projection], batch_size: int = 500
    ) -> None:
        self.store = store
        self.db = ViewDatabase(store)
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self._ready: set[str] = set()

    def get(self, name: str) -> Projection:
        try:
            return self.projections[name]
        except KeyError:
            known = ", ".join(sorted(self.projections))
            raise UnknownProjection(f"no projection {name!r} (known: {known})") from None

    def _names(self, name: str | None) -> list[str]:
        return [self.get(name).name] if name else sorted(self.projections)

    # --- tables and tracking -----------------------------------------------------------------
    def _ensure(self, projection: Projection) -> None:
        """Creates the tables and tracking row; a projection whose version changed is reset."""
        if projection.name in self._ready:
            return
        with self.db.transaction(commit=True) as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (projection TEXT PRIMARY KEY, "
                "notification_id BIGINT NOT NULL, version INTEGER NOT NULL)"
            )
            row = tx.one(
                f"SELECT version FROM {TRACKING_TABLE} WHERE projection = ?", (projection.name,)
            )
            if row is None or row[0] != projection.version:
                self._reset(projection, tx)
            else:
                projection.create_tables(tx)
        self._ready.add(projection.name)

    def _reset(self, projection: Projection, tx: ViewTx) -> None:
        projection.drop_tables(tx)
        projection.create_tables(tx)
        tx.execute(f"DELETE FROM {TRACKING_TABLE} WHERE projection = ?", (projection.name,))
        tx.execute(
            f"INSERT INTO {TRACKING_TABLE} (projection, notification_id, version) VALUES (?, 0, ?)",
            (projection.name, projection.version),
        )

    def position(self, name: str) -> int:
        projection = self.get(name)
        self._ensure(projection)
        with self.db.transaction(commit=False) as tx:
            value = tx.scalar(
                f"SELECT notification_id FROM {TRACKING_TABLE} WHERE projection = ?", (name,)
            )
        return int(value or 0)

    def status(self) -> list[ProjectionStatus]:
        end = self.store.recorder.max_notification_id() or 0
        return [
            ProjectionStatus(n, self.projections[n].version, self.position(n), end)
            for n in self._names(None)
        ]

    # --- running --------------------------------------------------------------------------------
    def catch_up(self, name: str | None = None, progress: Progress | None = None) -> int:
        """Applies every notification not yet applied; returns how many events were applied."""
        return sum(self._catch_up(self.get(n), progress) for n in self._names(name))

    def _catch_up(self, projection: Projection, progress: Progress | None) -> int:
        self._ensure(projection)
        recorder: Any = self.store.recorder
        mapper: Any = self.store.mapper
        topics = projection.topics
        applied = 0
        end = recorder.max_notification_id() or 0
        while True:
            start = self.position(projection.name)
            notifications = recorder.select_notifications(
                start=start + 1, limit=self.batch_size, topics=topics
            )
            if not notifications:
                if end > start:  # nothing of interest up to the log end seen: record that
                    try:
                        self._apply_batch(projection, start, end, [])
                    except PositionMoved:
                        continue
                if progress:
                    progress(end, end)
                return applied
            self.store.recheck_erasures()  # an erasure by another process is seen at once
            events = [mapper.to_domain_event(n) for n in notifications]
            try:
                self._apply_batch(projection, start, notifications[-1].id, events)
            except PositionMoved:
                continue
            applied += len(events)
            if progress:
                progress(notifications[-1].id, max(end, notifications[-1].id))

    def _apply_batch(
        self, projection: Projection, start: int, last: int, events: list[Any]
    ) -> None:
        with self.db.transaction(commit=True) as tx:
            moved = tx.one(
                f"UPDATE {TRACKING_TABLE} SET notification_id = ? "
                "WHERE projection = ? AND notification_id = ? RETURNING notification_id",
                (last, projection.name, start),
            )
            if moved is None:
                raise PositionMoved(projection.name)
            for event in events:
                projection.apply(event, tx)

    def rebuild(self, name: str | None = None, progress: Progress | None = None) -> int:
        """Drops the views and replays the whole log into them."""
        applied = 0
        for n in self._names(name):
            projection = self.get(n)
            self._ensure(projection)
            with self.db.transaction(commit=True) as tx:
                self._reset(projection, tx)
            applied += self._catch_up(projection, progress)
        return applied

    # --- reading --------------------------------------------------------------------------------
    def rows(self, name: str) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every view table of a projection, sorted (to compare two builds)."""
        projection = self.get(name)
        self._ensure(projection)
        with self.db.transaction(commit=False) as tx:
            return {t: sorted(tx.all(f"SELECT * FROM {t}"), key=repr) for t in projection.tables}
