"""One transaction of the chained PostgreSQL recorder in two round trips to the server.

eventsourcing's ``insert_events`` waits for the server after the insert, and the chain then
asked it three more times (new people's keys counted, the hashes the batch continues from, the
chain's head) before the commit. Under load each wait costs milliseconds, since the server's
process must first get a core. Here everything that does not need the new notification ids is
sent with the insert and read after one sync; the chain rows and the commit go in the second.

Any error, including one raised here in Python, leaves through ``conn.transaction()`` and so
rolls back: eventsourcing's version caught errors inside its transaction block, which would
have committed the events without their chain rows had building the rows failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from adapters.audit_chain import COLUMNS, LogHead, link_rows, record_from_row
from adapters.personal_keys import NewKeys
from adapters.pg_arrays import BinaryArray, bytea_array, int8_array, text_array, uuid_array

CHAIN_COLUMNS = SQL(", ".join(COLUMNS))  # event_chain's, in audit_chain's order
_ARRAY = Callable[[Sequence[Any]], BinaryArray]
_CHAIN_TYPES: tuple[_ARRAY, ...] = (int8_array, text_array, int8_array, text_array, text_array) * 2
_LAST = SQL(" ORDER BY notification_id DESC LIMIT 1")
_UNNEST = SQL("({})").format(SQL(", ".join(["%s"] * len(COLUMNS))))


class ChainedInsert:
    """Mixed into :class:`~adapters.chained_postgres.ChainedPostgresRecorder` (before
    eventsourcing's ``PostgresApplicationRecorder``, whose table lock and notify it uses)."""

    datastore: Any
    events_table_name: str
    _lock_table: Callable[[Cursor[DictRow]], None]
    _notify_channel: Callable[[Cursor[DictRow]], None]
    _sql: Callable[[str], Composed]  # PostgresSideTables': ``{s}`` is the schema

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        personal_keys: NewKeys | None = None,
        **_: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        new = personal_keys.wrapped() if personal_keys else []
        with self.datastore.get_connection() as conn:
            try:
                return self._in_two_round_trips(conn, stored_events, new)
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):  # a broken one leaves the pool
                        conn.rollback()
                raise

    def _in_two_round_trips(
        self,
        conn: Connection[DictRow],
        stored_events: Sequence[StoredEvent],
        new: list[tuple[str, bytes, str]],
    ) -> list[int]:
        """BEGIN is sent with the first statements, not waited for on its own (as
        ``conn.transaction()`` does in a pipeline), and COMMIT with the chain rows."""
        with (
            conn.pipeline() as pipeline,
            conn.cursor() as keys,
            conn.cursor() as inserted,
            conn.cursor() as head,
            conn.cursor() as previous,
        ):
            inserted.execute("BEGIN")
            if new:
                self._insert_keys(keys, new)
            self._lock_table(inserted)  # EXCLUSIVE: the chain follows commit order
            self._notify_channel(inserted)
            self._insert_rows(inserted, stored_events)
            head.execute(self._chain_sql("SELECT {c} FROM {s}.event_chain") + _LAST)
            wanted = self._queue_previous_hashes(previous, stored_events)
            pipeline.sync()  # the first round trip: an integrity error is raised here
            if new:
                self._check_keys(keys, len(new))
            ids = [row["notification_id"] for row in inserted.fetchall()]
            if len(ids) != len(stored_events):
                raise IntegrityError(f"{len(ids)} ids for {len(stored_events)} events")
            last = head.fetchone()
            log_head = LogHead() if last is None else record_from_row(last).head
            known = {
                (r["originator_id"], r["originator_version"]): str(r["event_hash"])
                for r in (previous.fetchall() if wanted else ())
            }
            rows = link_rows(ids, stored_events, lambda oid, v: known.get((oid, v)), log_head)
            inserted.execute(
                self._chain_sql("INSERT INTO {s}.event_chain ({c}) SELECT * FROM unnest") + _UNNEST,
                [array(c) for array, c in zip(_CHAIN_TYPES, zip(*rows, strict=True), strict=True)],
            )
            inserted.execute("COMMIT")
        return ids  # the second round trip: the chain rows and the commit, synced on leaving

    def _chain_sql(self, text: str) -> Composed:
        """``text`` with ``{s}`` the schema and ``{c}`` the chain's columns."""
        return SQL(text).format(s=Identifier(self.datastore.schema), c=CHAIN_COLUMNS)

    def _insert_keys(self, curs: Cursor[DictRow], new: list[tuple[str, bytes, str]]) -> None:
        """New people's keys, counted: a key another writer made first is not overwritten."""
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

    @staticmethod
    def _check_keys(curs: Cursor[DictRow], expected: int) -> None:
        row = curs.fetchone()
        lost = expected - (row["n"] if row else 0)
        if lost:  # another writer's key won: roll back, the retry uses it
            raise IntegrityError(
                f"{lost} of the {expected} new personal keys were created concurrently"
            )

    def _insert_rows(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """The events as four binary arrays (``pg_arrays``): an array of eventsourcing's
        composite type is dumped field by field in Python, a quarter of a batch's time."""
        uuids = self.datastore.originator_id_type == "uuid"
        ids = [e.originator_id for e in stored_events]
        curs.execute(
            SQL(
                "INSERT INTO {s}.{t} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%s, %s, %s, %s) RETURNING notification_id"
            ).format(s=Identifier(self.datastore.schema), t=Identifier(self.events_table_name)),
            (
                uuid_array([i if isinstance(i, UUID) else UUID(i) for i in ids])
                if uuids
                else text_array([str(i) for i in ids]),
                int8_array([e.originator_version for e in stored_events]),
                text_array([e.topic for e in stored_events]),
                bytea_array([e.state for e in stored_events]),
            ),
            binary=True,
        )

    def _queue_previous_hashes(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> bool:
        """Asks for the stored hashes of the events just before each aggregate's first in the
        batch (read after the sync); False when no aggregate of the batch had any."""
        first: dict[str, int] = {}
        for e in stored_events:
            oid = str(e.originator_id)
            first[oid] = min(first.get(oid, e.originator_version), e.originator_version)
        wanted = [(oid, v - 1) for oid, v in first.items() if v > 1]
        if wanted:
            curs.execute(
                self._sql(
                    "SELECT c.originator_id, c.originator_version, c.event_hash "
                    "FROM {s}.event_chain c JOIN unnest(%s, %s) AS w(oid, v) "
                    "ON c.originator_id = w.oid AND c.originator_version = w.v"
                ),
                (text_array([oid for oid, _ in wanted]), int8_array([v for _, v in wanted])),
            )
        return bool(wanted)
