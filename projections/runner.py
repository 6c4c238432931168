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
SHADOW = "__rebuild"  # suffix of the tables (and tracking row) a rebuild writes before the swap
Progress = Callable[[int, int], None]  # (notification id reached, last notification id)
Target = tuple[Projection, str]  # a projection and the tracking row it advances
Renames = dict[str, str] | None


def shadow_names(projections: Iterable[Projection]) -> dict[str, str]:
    """View table and index names -> their shadow names, for a rebuild's transactions."""
    names = [n for p in projections for n in (*p.tables, *p.index_names)]
    return {n: n + SHADOW for n in names}


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
        """Creates the view tables and tracking row; a projection whose version changed is reset.

        View tables are read models, so they are versioned here and rebuilt rather than
        migrated; the tracking table itself is shaped by ``adapters/migrations``."""
        if projection.name in self._ready:
            return
        with self.db.transaction(commit=True) as tx:
            row = tx.one(
                f"SELECT version FROM {TRACKING_TABLE} WHERE projection = ?", (projection.name,)
            )
            if row is None or row[0] != projection.version:
                self._reset(projection, tx)
            else:
                projection.create_tables(tx)
        self._ready.add(projection.name)

    def _reset(self, projection: Projection, tx: ViewTx, key: str | None = None) -> None:
        """Empty tables (the shadow ones under a rebuild's renames) and position 0 for ``key``."""
        key = key or projection.name
        projection.drop_tables(tx)
        projection.create_tables(tx)
        tx.execute(f"DELETE FROM {TRACKING_TABLE} WHERE projection = ?", (key,))
        tx.execute(
            f"INSERT INTO {TRACKING_TABLE} (projection, notification_id, version) VALUES (?, 0, ?)",
            (key, projection.version),
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
        projections = [self.get(n) for n in self._names(name)]
        for projection in projections:
            self._ensure(projection)
        return self._run([(p, p.name) for p in projections], None, progress)

    def _positions(self, targets: list[Target]) -> list[int]:
        with self.db.transaction(commit=False) as tx:
            rows: dict[Any, Any] = dict(
                tx.all(f"SELECT projection, notification_id FROM {TRACKING_TABLE}")
            )
        return [int(rows.get(key, 0)) for _, key in targets]

    def _run(self, targets: list[Target], renames: Renames, progress: Progress | None) -> int:
        """Feeds the projections one read of the log: each notification is decoded once and
        given to every projection that handles it and has not yet applied it."""
        recorder: Any = self.store.recorder
        mapper: Any = self.store.mapper
        topics = sorted({t for projection, _ in targets for t in projection.topics})
        applied = 0
        end = recorder.max_notification_id() or 0
        while True:
            starts = self._positions(targets)
            start = min(starts)
            notifications = recorder.select_notifications(
                start=start + 1, limit=self.batch_size, topics=topics
            )
            if not notifications:
                if end > start:  # nothing of interest up to the log end seen: record that
                    try:
                        self._apply_batch(targets, starts, end, [], renames)
                    except PositionMoved:
                        continue
                if progress:
                    progress(end, end)
                return applied
            self.store.recheck_erasures()  # an erasure by another process is seen at once
            events = [(n.id, mapper.to_domain_event(n)) for n in notifications]
            last = notifications[-1].id
            try:
                applied += self._apply_batch(targets, starts, last, events, renames)
            except PositionMoved:
                continue
            if progress:
                progress(last, max(end, last))

    def _apply_batch(
        self,
        targets: list[Target],
        starts: list[int],
        last: int,
        events: list[tuple[int, Any]],
        renames: Renames,
    ) -> int:
        """One transaction: each projection's compare-and-set, its events, its finish."""
        applied = 0
        with self.db.transaction(commit=True, renames=renames) as tx:
            for (projection, key), start in zip(targets, starts, strict=True):
                if start >= last:
                    continue
                moved = tx.one(
                    f"UPDATE {TRACKING_TABLE} SET notification_id = ? "
                    "WHERE projection = ? AND notification_id = ? RETURNING notification_id",
                    (last, key, start),
                )
                if moved is None:
                    raise PositionMoved(key)
                for notification_id, event in events:
                    if notification_id > start and projection.apply(event, tx):
                        applied += 1
                projection.finish(tx)
        return applied

    def rebuild(self, name: str | None = None, progress: Progress | None = None) -> int:
        """Replays the whole log into shadow tables, then swaps them in in one transaction.

        Readers keep seeing the old complete views until the swap commits, then the new ones;
        events recorded during the replay are applied by a catch-up after the swap.
        """
        projections = [self.get(n) for n in self._names(name)]
        for projection in projections:
            self._ensure(projection)
        renames = shadow_names(projections)
        with self.db.transaction(commit=True, renames=renames) as tx:
            for projection in projections:
                self._reset(projection, tx, projection.name + SHADOW)
        applied = self._run([(p, p.name + SHADOW) for p in projections], renames, progress)
        self._swap(projections)
        return applied + self.catch_up(name)

    def _swap(self, projections: list[Projection]) -> None:
        with self.db.transaction(commit=True) as tx:
            for projection in projections:
                reached = tx.scalar(
                    f"SELECT notification_id FROM {TRACKING_TABLE} WHERE projection = ?",
                    (projection.name + SHADOW,),
                )
                projection.drop_tables(tx)
                for table in projection.tables:
                    tx.execute(f"ALTER TABLE {table}{SHADOW} RENAME TO {table}")
                for index in projection.index_names:
                    if self.db.postgres:
                        tx.execute(f"ALTER INDEX {index}{SHADOW} RENAME TO {index}")
                    else:  # SQLite cannot rename an index: build it again
                        tx.execute(f"DROP INDEX IF EXISTS {index}{SHADOW}")
                projection.create_tables(tx)
                tx.execute(
                    f"UPDATE {TRACKING_TABLE} SET notification_id = ?, version = ? "
                    "WHERE projection = ?",
                    (reached, projection.version, projection.name),
                )
                tx.execute(
                    f"DELETE FROM {TRACKING_TABLE} WHERE projection = ?",
                    (projection.name + SHADOW,),
                )

    # --- reading --------------------------------------------------------------------------------
    def rows(self, name: str) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every view table of a projection, sorted (to compare two builds)."""
        projection = self.get(name)
        self._ensure(projection)
        with self.db.transaction(commit=False) as tx:
            return {t: sorted(tx.all(f"SELECT * FROM {t}"), key=repr) for t in projection.tables}
