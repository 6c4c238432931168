"""The one SQL layer for the tables the backbone keeps in the event store's own database.

Relay positions, share decisions, projection views and tracking rows live beside the events so
one backup holds them all and a PostgreSQL deployment needs no second database. SQL is written
once, with ``?`` placeholders and bare table names; on PostgreSQL the placeholders become ``%s``
and each transaction's ``search_path`` is the store's schema. Their shape is set by the
migrations (``adapters/migrations``), not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore

Row = tuple[Any, ...]
_INSERT_VALUES = re.compile(
    r"^(?P<head>INSERT INTO \w+(?: \([\w, ]+\))?) VALUES (?P<row>\((?:\?, )*\?\))"
    r"(?P<tail>(?: ON CONFLICT DO NOTHING)?)$"
)
_ROWS_PER_INSERT = 500


def is_postgres(datastore: Any) -> bool:
    return isinstance(datastore, PostgresDatastore)


def schema_of(datastore: Any) -> str | None:
    """The PostgreSQL schema of the store's tables; None on SQLite."""
    return (getattr(datastore, "schema", "") or "public") if is_postgres(datastore) else None


class Tx:
    """One open transaction.

    Statements that return no rows are queued and sent in runs of the same SQL with one
    ``executemany`` (on psycopg a pipelined round trip), which is where a projection replay
    spends its time; any read first sends what is queued, so callers always read their own
    writes. ``renames`` maps table names to the tables actually written (a rebuild's shadow
    tables). ``state`` is working memory that lives as long as the transaction.
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
                self._insert_rows(insert, [q[1] for q in queue[i:j]])
            else:
                self._cursor.executemany(self._sql(sql), [q[1] for q in queue[i:j]])
            i = j

    def _insert_rows(self, insert: re.Match[str], rows: list[tuple[Any, ...]]) -> None:
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
        return [tuple(r) for r in self._cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._run(sql, params)
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]


class Database:
    """Transactions on the event store's own datastore (``store.recorder.datastore``)."""

    def __init__(self, store: Any) -> None:
        self.datastore: Any = store.recorder.datastore
        self.postgres = is_postgres(self.datastore)
        self.schema = schema_of(self.datastore)

    @contextmanager
    def transaction(self, *, commit: bool, renames: dict[str, str] | None = None) -> Iterator[Tx]:
        """A transaction whose queued writes are all sent before it commits."""
        with self.datastore.transaction(commit=commit) as cursor:
            if self.postgres:
                from psycopg.rows import tuple_row

                cursor.row_factory = tuple_row  # positional rows, whatever the column names
                cursor.execute(f'SET LOCAL search_path TO "{self.schema}"')
            tx = Tx(cursor, self.postgres, renames)
            yield tx
            tx.flush()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of one query, in a transaction of its own."""
        with self.transaction(commit=False) as tx:
            return tx.all(sql, params)

    def write(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each row of parameters, in one committed transaction."""
        if rows:
            with self.transaction(commit=True) as tx:
                tx.executemany(sql, rows)

    def table_exists(self, table: str) -> bool:
        if self.postgres:
            found = self.read(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = ?",
                (self.schema, table),
            )
        else:
            found = self.read(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            )
        return bool(found[0][0])
