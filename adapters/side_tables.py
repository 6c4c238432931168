"""Extra tables in the event store's own database (relay positions, share decisions).

They live beside the events so one backup holds both, and so a PostgreSQL deployment needs no
second database. SQL is written once with ``?`` placeholders and ``{table}`` names; this module
adapts it to SQLite or to PostgreSQL (schema-qualified, ``%s`` placeholders).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from adapters.event_store import EventStore


class SideTables:
    def __init__(self, store: EventStore) -> None:
        self.datastore: Any = getattr(store.recorder, "datastore")  # noqa: B009
        self.postgres = isinstance(self.datastore, PostgresDatastore)

    def table(self, name: str) -> str:
        return f'"{self.datastore.schema}".{name}' if self.postgres else name

    def sql(self, statement: str, tables: Sequence[str]) -> str:
        statement = statement.format_map({t: self.table(t) for t in tables})
        return statement.replace("?", "%s") if self.postgres else statement

    def run(
        self,
        statement: str,
        params: Sequence[Any] = (),
        *,
        tables: Sequence[str],
        commit: bool = True,
    ) -> list[dict[str, Any]]:
        """Execute one statement; rows come back as dicts."""
        with self.datastore.transaction(commit=commit) as cursor:
            cursor.execute(self.sql(statement, tables), tuple(params))
            try:
                rows = cursor.fetchall()
            except Exception:  # statements without a result set
                return []
            return [dict(row) for row in rows or ()]

    def run_many(
        self, statement: str, rows: Sequence[Sequence[Any]], *, tables: Sequence[str]
    ) -> None:
        if not rows:
            return
        with self.datastore.transaction(commit=True) as cursor:
            sql = self.sql(statement, tables)
            for params in rows:
                cursor.execute(sql, tuple(params))
