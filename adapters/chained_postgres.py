"""PostgreSQL application recorder that writes the audit hash chain in the event's own transaction.

The chain rows are written after the insert returned the notification ids, while eventsourcing's
``EXCLUSIVE`` table lock is still held, so the log chain follows commit order exactly (the
transaction, in two round trips, is :class:`adapters.chained_insert.ChainedInsert`). Also reads
and writes the side tables ``personal_keys`` and ``audit_reads`` (same schema as the events;
creating the store runs the migrations that shape them; their statements are in
:mod:`adapters.postgres_side_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from adapters.audit_chain import ChainRecord, LogHead, record_from_row
from adapters.chained_insert import CHAIN_COLUMNS, ChainedInsert
from adapters.master_key_rows import PostgresMasterKeyRows
from adapters.migrations import upgrade_store
from adapters.pg_arrays import text_array, uuid_array
from adapters.postgres_side_tables import PostgresSideTables


class ChainedPostgresRecorder(
    ChainedInsert, PostgresSideTables, PostgresMasterKeyRows, PostgresApplicationRecorder
):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)

    def create_table(self) -> None:
        """eventsourcing's tables, then ours through the migrations (``adapters/migrations``),
        both under the migration lock so two processes starting together do not race."""
        upgrade_store(self.datastore, super().create_table)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates in one query, by aggregate then version."""
        if self.datastore.originator_id_type.lower() == "text":
            ids = text_array([str(i) for i in originator_ids])
        else:
            ids = uuid_array(list(originator_ids))
        statement = SQL(
            "SELECT * FROM {s}.{t} WHERE originator_id = ANY(%s) "
            "ORDER BY originator_id, originator_version"
        ).format(s=Identifier(self.datastore.schema), t=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [ids])
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as eventsourcing's
    def select_notifications_and_erasures(
        self, start: int, limit: int
    ) -> tuple[list[Notification], int | None]:
        """The notifications from ``start`` and the count of destroyed keys (None when there are
        none to decode), in one round trip: a long-running reader, the relay, checks for
        erasures before decoding each batch."""
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state, "
            "(SELECT COUNT(*) FROM {s}.personal_keys WHERE key IS NULL) AS destroyed "
            "FROM {s}.{t} WHERE notification_id>=%s ORDER BY notification_id LIMIT %s"
        ).format(s=Identifier(self.datastore.schema), t=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [start, limit], prepare=True)
            rows = curs.fetchall()
        notifications = [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        ]
        destroyed = int(rows[0]["destroyed"]) if rows else None
        return notifications, destroyed

    # --- chain queries ------------------------------------------------------------------------
    def _chain(self, where: str, params: Sequence[Any]) -> list[ChainRecord]:
        statement = SQL("SELECT {c} FROM {s}.event_chain ").format(
            c=CHAIN_COLUMNS, s=Identifier(self.datastore.schema)
        ) + SQL(where)  # type: ignore[arg-type]
        return [record_from_row(r) for r in self._rows(statement, params)]

    def select_chain(self, lo: int, hi: int) -> list[ChainRecord]:
        return self._chain(
            "WHERE notification_id BETWEEN %s AND %s ORDER BY notification_id", (lo, hi)
        )

    def select_chain_for(self, originator_id: str) -> list[ChainRecord]:
        return self._chain(
            "WHERE originator_id=%s ORDER BY originator_version, notification_id", (originator_id,)
        )

    def select_chain_successors_of(self, originator_id: str) -> list[ChainRecord]:
        return self._chain("WHERE prev_originator_id=%s", (originator_id,))

    def max_chain_id(self) -> int:
        rows = self._rows(self._sql("SELECT MAX(notification_id) AS m FROM {s}.event_chain"))
        return int(rows[0]["m"] or 0)

    def chain_head(self) -> LogHead:
        found = self._chain("ORDER BY notification_id DESC LIMIT 1", ())
        return found[0].head if found else LogHead()
