"""View tables in the event store's own database (SQLite or PostgreSQL), one SQL dialect.

Projections write SQL with ``?`` placeholders and portable types (TEXT, BIGINT); this module
translates placeholders for psycopg and, on PostgreSQL, points each transaction at the store's
schema, so view rows, tracking rows and events share one database and one transaction model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from adapters.event_store import EventStore

Row = tuple[Any, ...]


def iso(moment: datetime | date | None) -> str | None:
    """Sortable text for a date or an instant (instants normalised to UTC)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


class ViewTx:
    """One open transaction on the view tables."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._cursor = cursor
        self._postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._sql(sql), tuple(params))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.execute(sql, params)
        return [self._row(r) for r in self._cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.execute(sql, params)
        row = self._cursor.fetchone()
        return None if row is None else self._row(row)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    @staticmethod
    def _row(row: Any) -> Row:
        return tuple(row)


class ViewDatabase:
    """Transactions on the event store's datastore, for view and tracking tables."""

    def __init__(self, store: EventStore) -> None:
        recorder: Any = store.recorder
        self.datastore = recorder.datastore
        self.postgres = isinstance(self.datastore, PostgresDatastore)
        self.schema: str = getattr(self.datastore, "schema", "") or ""

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[ViewTx]:
        with self.datastore.transaction(commit=commit) as cursor:
            if self.postgres:
                from psycopg.rows import tuple_row

                cursor.row_factory = tuple_row  # positional rows, whatever the column names
                cursor.execute(f'SET LOCAL search_path TO "{self.schema or "public"}"')
            yield ViewTx(cursor, self.postgres)

    def table_exists(self, table: str) -> bool:
        with self.transaction(commit=False) as tx:
            if self.postgres:
                found = tx.scalar(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = ? AND table_name = ?",
                    (self.schema or "public", table),
                )
            else:
                found = tx.scalar(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (table,),
                )
            return bool(found)
