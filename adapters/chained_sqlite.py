"""SQLite application recorder that writes the audit hash chain in the event's own transaction.

Selected with ``APPLICATION_RECORDER_TOPIC`` (see :func:`adapters.event_store.store_env`). Also
reads and writes the side tables of the audit/privacy area, ``personal_keys`` and
``audit_reads``; creating the store runs the migrations that shape them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from adapters.audit_chain import COLUMNS, ChainRecord, LogHead, link_rows, record_from_row
from adapters.audit_recorder import ReadRecord
from adapters.master_key_rows import SQLiteMasterKeyRows
from adapters.migrations import upgrade_store
from adapters.personal_keys import NewKeys

_COLS = ", ".join(COLUMNS)


class ChainedSQLiteRecorder(SQLiteMasterKeyRows, SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.chain_table = "event_chain"

    def create_table(self) -> None:
        """eventsourcing's tables, then ours through the migrations (``adapters/migrations``)."""
        upgrade_store(self.datastore, super().create_table)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        personal_keys: NewKeys | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        new = personal_keys.wrapped() if personal_keys else []
        if new:
            now = _now()
            c.executemany(
                "INSERT INTO personal_keys (subject, key, created_at, master_key_id) "
                "VALUES (?,?,?,?) ON CONFLICT (subject) DO NOTHING",
                [(subject, wrapped, now, master) for subject, wrapped, master in new],
            )
            lost = len(new) - c.sqlite_cursor.rowcount  # rows inserted, summed
            if lost:  # another writer's key won: roll back, the retry uses it
                raise IntegrityError(
                    f"{lost} of the {len(new)} new personal keys were created concurrently"
                )
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None

        def previous(oid: str, version: int) -> str | None:
            c.execute(
                "SELECT event_hash FROM event_chain WHERE originator_id=? AND originator_version=?",
                (oid, version),
            )
            row = c.fetchone()
            return None if row is None else str(row[0])

        c.execute(f"SELECT {_COLS} FROM event_chain ORDER BY notification_id DESC LIMIT 1")
        last = c.fetchone()
        head = LogHead() if last is None else record_from_row(last).head
        c.executemany(
            f"INSERT INTO event_chain ({_COLS}) VALUES ({','.join('?' * len(COLUMNS))})",
            link_rows(ids, stored_events, previous, head),
        )
        return ids

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates in few queries, by aggregate then version."""
        ids = [i.hex for i in originator_ids]
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for at in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
                chunk = ids[at : at + 500]
                c.execute(
                    f"SELECT * FROM {self.events_table_name} WHERE originator_id IN "
                    f"({','.join('?' * len(chunk))}) ORDER BY originator_id, originator_version",
                    chunk,
                )
                found.extend(
                    StoredEvent(
                        originator_id=self.convert_originator_id(row["originator_id"]),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    for row in c.fetchall()
                )
        return found

    # --- chain queries ------------------------------------------------------------------------
    def _chain(self, where: str, params: Sequence[Any]) -> list[ChainRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_COLS} FROM event_chain {where}", params)
            return [record_from_row(r) for r in c.fetchall()]

    def select_chain(self, lo: int, hi: int) -> list[ChainRecord]:
        return self._chain(
            "WHERE notification_id BETWEEN ? AND ? ORDER BY notification_id", (lo, hi)
        )

    def select_chain_for(self, originator_id: str) -> list[ChainRecord]:
        return self._chain(
            "WHERE originator_id=? ORDER BY originator_version, notification_id", (originator_id,)
        )

    def select_chain_successors_of(self, originator_id: str) -> list[ChainRecord]:
        return self._chain("WHERE prev_originator_id=?", (originator_id,))

    def max_chain_id(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT MAX(notification_id) FROM event_chain")
            return int(c.fetchone()[0] or 0)

    def chain_head(self) -> LogHead:
        found = self._chain("ORDER BY notification_id DESC LIMIT 1", ())
        return found[0].head if found else LogHead()

    # --- personal data keys -------------------------------------------------------------------
    def get_key(self, subject: str) -> tuple[bool, bytes | None]:
        """(exists, key); a destroyed key exists with ``None``."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT key FROM personal_keys WHERE subject=?", (subject,))
            row = c.fetchone()
            return (False, None) if row is None else (True, row[0])

    def create_key(self, subject: str, key: bytes, master_key_id: str | None = None) -> bool:
        """A key in its own transaction (sealing outside a save); False if one exists."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT OR IGNORE INTO personal_keys (subject, key, created_at, master_key_id) "
                "VALUES (?,?,?,?)",
                (subject, key, _now(), master_key_id),
            )
            c.execute("SELECT changes()")
            return bool(c.fetchone()[0])

    def destroy_key(self, subject: str) -> bool:
        """Overwrite and forget the key; True when a key was destroyed now."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE personal_keys SET key=NULL, erased_at=? "
                "WHERE subject=? AND key IS NOT NULL",
                (_now(), subject),
            )
            c.execute("SELECT changes()")
            return bool(c.fetchone()[0])

    def count_destroyed_keys(self) -> int:
        """Grows by one per erasure (a destroyed key never comes back): a cheap change check."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM personal_keys WHERE key IS NULL")
            return int(c.fetchone()[0])

    def destroyed_subjects(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT subject FROM personal_keys WHERE key IS NULL")
            return [str(r[0]) for r in c.fetchall()]

    def key_subjects(self, prefix: str) -> list[tuple[str, bool]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT subject, key IS NULL FROM personal_keys WHERE subject LIKE ? "
                "ORDER BY subject",
                (prefix + "%",),
            )
            return [(r[0], bool(r[1])) for r in c.fetchall()]

    # --- read access log and share decisions --------------------------------------------------
    def insert_read(self, read: ReadRecord) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO audit_reads (read_at, reader, action, subject, detail) "
                "VALUES (?,?,?,?,?)",
                (read.read_at.isoformat(), read.reader, read.action, read.subject, read.detail),
            )

    def select_reads(self) -> list[ReadRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT read_at, reader, action, subject, detail FROM audit_reads ORDER BY id"
            )
            return [
                ReadRecord(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4])
                for r in c.fetchall()
            ]

    def share_decisions(self, case_id: str) -> list[dict[str, Any]] | None:
        """Rows of the Kafka relay's ``share_decisions`` table for a case."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM share_decisions WHERE aggregate_id IN (?, ?) ORDER BY position",
                (case_id, case_id.replace("-", "")),
            )
            return [dict(r) for r in c.fetchall()]


def _now() -> str:
    return datetime.now(UTC).isoformat()
