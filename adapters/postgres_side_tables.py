"""The side tables ``personal_keys``, ``audit_reads`` and ``share_decisions`` on PostgreSQL.

Mixed into :class:`adapters.chained_postgres.ChainedPostgresRecorder`, which writes new people's
keys in the events' own transaction; each method here is a statement of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from adapters.audit_recorder import ReadRecord


class PostgresSideTables:
    datastore: PostgresDatastore

    # the two helpers every statement of the recorder goes through, side tables or not
    def _sql(self, text: str) -> Composed:
        return SQL(text).format(s=Identifier(self.datastore.schema))  # type: ignore[arg-type]

    def _rows(self, statement: Composed, params: Sequence[Any] = ()) -> list[DictRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return curs.fetchall() if curs.description else []

    # --- personal data keys -------------------------------------------------------------------
    def get_key(self, subject: str) -> tuple[bool, bytes | None]:
        rows = self._rows(
            self._sql("SELECT key FROM {s}.personal_keys WHERE subject=%s"), (subject,)
        )
        if not rows:
            return False, None
        key = rows[0]["key"]
        return True, None if key is None else bytes(key)

    def create_key(self, subject: str, key: bytes, master_key_id: str | None = None) -> bool:
        """A key in its own transaction (sealing outside a save); False if one exists."""
        rows = self._rows(
            self._sql(
                "INSERT INTO {s}.personal_keys (subject, key, master_key_id) VALUES (%s, %s, %s) "
                "ON CONFLICT (subject) DO NOTHING RETURNING subject"
            ),
            (subject, key, master_key_id),
        )
        return bool(rows)

    def destroy_key(self, subject: str) -> bool:
        rows = self._rows(
            self._sql(
                "UPDATE {s}.personal_keys SET key=NULL, erased_at=now() "
                "WHERE subject=%s AND key IS NOT NULL RETURNING subject"
            ),
            (subject,),
        )
        return bool(rows)

    def count_destroyed_keys(self) -> int:
        """Grows by one per erasure (a destroyed key never comes back): a cheap change check."""
        rows = self._rows(
            self._sql("SELECT COUNT(*) AS n FROM {s}.personal_keys WHERE key IS NULL")
        )
        return int(rows[0]["n"])

    def destroyed_subjects(self) -> list[str]:
        rows = self._rows(self._sql("SELECT subject FROM {s}.personal_keys WHERE key IS NULL"))
        return [str(r["subject"]) for r in rows]

    def key_subjects(self, prefix: str) -> list[tuple[str, bool]]:
        rows = self._rows(
            self._sql(
                "SELECT subject, key IS NULL AS erased FROM {s}.personal_keys "
                "WHERE subject LIKE %s ORDER BY subject"
            ),
            (prefix + "%",),
        )
        return [(r["subject"], bool(r["erased"])) for r in rows]

    # --- read access log and share decisions --------------------------------------------------
    def insert_read(self, read: ReadRecord) -> None:
        self._rows(
            self._sql(
                "INSERT INTO {s}.audit_reads (read_at, reader, action, subject, detail) "
                "VALUES (%s, %s, %s, %s, %s)"
            ),
            (read.read_at, read.reader, read.action, read.subject, read.detail),
        )

    def select_reads(self) -> list[ReadRecord]:
        rows = self._rows(
            self._sql(
                "SELECT read_at, reader, action, subject, detail FROM {s}.audit_reads ORDER BY id"
            )
        )
        return [
            ReadRecord(r["read_at"], r["reader"], r["action"], r["subject"], r["detail"])
            for r in rows
        ]

    def share_decisions(self, case_id: str) -> list[dict[str, Any]] | None:
        """Rows of the Kafka relay's ``share_decisions`` table for a case."""
        rows = self._rows(
            self._sql(
                "SELECT * FROM {s}.share_decisions WHERE aggregate_id = %s ORDER BY position"
            ),
            (case_id,),
        )
        return [dict(r) for r in rows]
