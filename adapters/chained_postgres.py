"""PostgreSQL application recorder that writes the audit hash chain in the event's own transaction.

The chain rows are written after the insert returned the notification ids, while eventsourcing's
``EXCLUSIVE`` table lock is still held, so the log chain follows commit order exactly. Also reads
and writes the side tables ``personal_keys`` and ``audit_reads`` (same schema as the events;
creating the store runs the migrations that shape them; their statements are in
:mod:`adapters.postgres_side_tables`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from adapters.audit_chain import COLUMNS, ChainRecord, LogHead, link_rows, record_from_row
from adapters.master_key_rows import PostgresMasterKeyRows
from adapters.migrations import upgrade_store
from adapters.personal_keys import NewKeys
from adapters.pg_arrays import BinaryArray, bytea_array, int8_array, text_array, uuid_array
from adapters.postgres_side_tables import PostgresSideTables

_COLS = SQL(", ".join(COLUMNS))
_ARRAY = Callable[[Sequence[Any]], BinaryArray]
_CHAIN_TYPES: tuple[_ARRAY, ...] = (int8_array, text_array, int8_array, text_array, text_array) * 2


class ChainedPostgresRecorder(
    PostgresSideTables, PostgresMasterKeyRows, PostgresApplicationRecorder
):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)

    def create_table(self) -> None:
        """eventsourcing's tables, then ours through the migrations (``adapters/migrations``),
        both under the migration lock so two processes starting together do not race."""
        upgrade_store(self.datastore, super().create_table)

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        personal_keys: NewKeys | None = None,
        **kwargs: Any,
    ) -> None:
        """New people's keys first, in the events' transaction (before the table lock)."""
        super()._insert_events(curs, stored_events, **kwargs)
        new = personal_keys.wrapped() if personal_keys else []
        if not new:
            return
        curs.execute(
            self._sql(
                "WITH inserted AS (INSERT INTO {s}.personal_keys (subject, key, master_key_id) "
                "SELECT * FROM unnest(%s, %s, %s) "
                "ON CONFLICT (subject) DO NOTHING RETURNING 1) SELECT count(*) AS n FROM inserted"
            ),
            (
                text_array([s for s, _, _ in new]),
                bytea_array([wrapped for _, wrapped, _ in new]),
                text_array([m for _, _, m in new]),
            ),
        )
        row = curs.fetchone()
        lost = len(new) - (row["n"] if row else 0)
        if lost:  # another writer's key won: roll back, the retry uses it
            raise IntegrityError(
                f"{lost} of the {len(new)} new personal keys were created concurrently"
            )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """eventsourcing's insert, its rows sent as four arrays in binary (``pg_arrays``): an
        array of its composite type is dumped row by row, field by field, in Python (with an
        escaping regular expression for each field), which took a quarter of a batch's time."""
        self._lock_table(curs)
        self._notify_channel(curs)
        uuids = self.datastore.originator_id_type == "uuid"
        statement = SQL(
            "INSERT INTO {s}.{t} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s, %s, %s, %s) RETURNING notification_id"
        ).format(s=Identifier(self.datastore.schema), t=Identifier(self.events_table_name))
        ids = [e.originator_id for e in stored_events]
        columns = (
            uuid_array([i if isinstance(i, UUID) else UUID(i) for i in ids])
            if uuids
            else text_array([str(i) for i in ids]),
            int8_array([e.originator_version for e in stored_events]),
            text_array([e.topic for e in stored_events]),
            bytea_array([e.state for e in stored_events]),
        )
        curs.execute(statement, columns, binary=True)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The chain rows of the batch, in two statements whatever its size: one read of the
        hashes it continues from, one insert."""
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        known = self._previous_hashes(curs, stored_events)
        curs.execute(
            SQL("SELECT {c} FROM {s}.event_chain ORDER BY notification_id DESC LIMIT 1").format(
                c=_COLS, s=Identifier(self.datastore.schema)
            )
        )
        last = curs.fetchone()
        head = LogHead() if last is None else record_from_row(last).head
        rows = link_rows(ids, stored_events, lambda oid, v: known.get((oid, v)), head)
        columns = zip(*rows, strict=True)
        curs.execute(
            SQL("INSERT INTO {s}.event_chain ({c}) SELECT * FROM unnest({p})").format(
                s=Identifier(self.datastore.schema), c=_COLS, p=SQL(", ".join(["%s"] * 10))
            ),
            [array(column) for array, column in zip(_CHAIN_TYPES, columns, strict=True)],
        )
        return ids

    def _previous_hashes(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> dict[tuple[str, int], str]:
        """The stored hashes of the events just before each aggregate's first in the batch."""
        first: dict[str, int] = {}
        for e in stored_events:
            oid = str(e.originator_id)
            first[oid] = min(first.get(oid, e.originator_version), e.originator_version)
        wanted = [(oid, v - 1) for oid, v in first.items() if v > 1]
        if not wanted:
            return {}
        curs.execute(
            self._sql(
                "SELECT c.originator_id, c.originator_version, c.event_hash "
                "FROM {s}.event_chain c JOIN unnest(%s, %s) AS w(oid, v) "
                "ON c.originator_id = w.oid AND c.originator_version = w.v"
            ),
            (text_array([oid for oid, _ in wanted]), int8_array([v for _, v in wanted])),
        )
        return {
            (r["originator_id"], r["originator_version"]): str(r["event_hash"])
            for r in curs.fetchall()
        }

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

    # --- chain queries ------------------------------------------------------------------------
    def _chain(self, where: str, params: Sequence[Any]) -> list[ChainRecord]:
        statement = SQL("SELECT {c} FROM {s}.event_chain ").format(
            c=_COLS, s=Identifier(self.datastore.schema)
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
