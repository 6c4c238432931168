"""View tables in the event store's own database (SQLite or PostgreSQL), one SQL dialect.

Projections write SQL with ``?`` placeholders and portable types (TEXT, BIGINT); this module
translates placeholders for psycopg and, on PostgreSQL, points each transaction at the store's
schema, so view rows, tracking rows and events share one database and one transaction model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from adapters.event_store import EventStore

Row = tuple[Any, ...]
_INSERT_VALUES = re.compile(
    r"^(?P<head>INSERT INTO \w+(?: \([\w, ]+\))?) VALUES (?P<row>\((?:\?, )*\?\))"
    r"(?P<tail>(?: ON CONFLICT DO NOTHING)?)$"
)
_ROWS_PER_INSERT = 500


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
    """One open transaction on the view tables.

    Statements that return no rows are queued and sent in runs of the same SQL with one
    ``executemany`` (on psycopg a pipelined round trip), which is where a replay spends its
    time; any read first sends what is queued, so handlers always read their own writes.
    ``renames`` maps view table names to the tables actually written (a rebuild's shadow
    tables). ``state`` is working memory for handlers that lives as long as the transaction.
    """

    def __init__(self, cursor: Any, postgres: bool, renames: dict[str, str] | None = None) -> None:
        self._cursor = cursor
        self._postgres = postgres
        self._renames = renames or {}
        self._pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, self._renames)) + r")\b")
            if self._renames
            else None
        )
        self._translated: dict[str, str] = {}
        self._queue: list[tuple[str, tuple[Any, ...]]] = []
        self.state: dict[str, Any] = {}

    def _sql(self, sql: str) -> str:
        done = self._translated.get(sql)
        if done is None:
            done = sql.replace("?", "%s") if self._postgres else sql
            if self._pattern is not None:
                done = self._pattern.sub(lambda m: self._renames[m.group(1)], done)
            self._translated[sql] = done
        return done

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Queues a statement that returns no rows (sent before the next read or commit)."""
        self._queue.append((sql, tuple(params)))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._queue.extend((sql, tuple(r)) for r in rows)

    def flush(self) -> None:
        """Sends the queued statements, consecutive ones with the same SQL in one call."""
        queue, self._queue = self._queue, []
        i = 0
        while i < len(queue):
            sql = queue[i][0]
            j = i + 1
            while j < len(queue) and queue[j][0] == sql:
                j += 1
            if j - i == 1:
                self._cursor.execute(self._sql(sql), queue[i][1])
            elif self._postgres and (insert := _INSERT_VALUES.match(sql)):
                self._insert_rows(sql, insert, [q[1] for q in queue[i:j]])
            else:
                self._cursor.executemany(self._sql(sql), [q[1] for q in queue[i:j]])
            i = j

    def _insert_rows(self, sql: str, insert: re.Match[str], rows: list[tuple[Any, ...]]) -> None:
        """On PostgreSQL a run of the same INSERT goes as multi-row VALUES (one round trip per
        chunk); each row still meets ON CONFLICT as it would one statement after another."""
        for k in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[k : k + _ROWS_PER_INSERT]
            values = ", ".join([insert["row"]] * len(chunk))
            many = f"{insert['head']} VALUES {values}{insert['tail']}"
            self._cursor.execute(self._sql(many), [v for row in chunk for v in row])

    def _run(self, sql: str, params: Sequence[Any]) -> None:
        if self._queue:
            self.flush()
        self._cursor.execute(self._sql(sql), tuple(params))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._run(sql, params)
        return [self._row(r) for r in self._cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._run(sql, params)
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
    def transaction(
        self, *, commit: bool, renames: dict[str, str] | None = None
    ) -> Iterator[ViewTx]:
        """A transaction whose queued writes are all sent before it commits."""
        with self.datastore.transaction(commit=commit) as cursor:
            if self.postgres:
                from psycopg.rows import tuple_row

                cursor.row_factory = tuple_row  # positional rows, whatever the column names
                cursor.execute(f'SET LOCAL search_path TO "{self.schema or "public"}"')
            tx = ViewTx(cursor, self.postgres, renames)
            yield tx
            tx.flush()

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
