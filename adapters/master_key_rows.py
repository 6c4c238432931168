"""The ``personal_keys`` rows as a master key rotation sees them (SQLite and PostgreSQL).

Every row names the master key that wrapped it (``master_key_id``; NULL for a row written before
ids were kept, wrapped by the master key configured then). A rotation reads the live keys not
yet under the incoming master key, a batch at a time, and writes each re-wrapped key back only
if its row still holds what was read (compare and swap): a key destroyed meanwhile by an erasure
stays destroyed. A row re-wrapped is the rotation's progress, so a rotation stopped at any point
goes on where it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.sqlite import SQLiteDatastore

Rewrap = tuple[str, bytes, bytes]  # subject, wrapped key as read, re-wrapped key

_NOT_UNDER = "key IS NOT NULL AND (master_key_id IS NULL OR master_key_id <> {p})"


class SQLiteMasterKeyRows:
    datastore: SQLiteDatastore

    def has_keys_under(self, master_key_id: str) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM personal_keys WHERE master_key_id=? LIMIT 1", (master_key_id,))
            return c.fetchone() is not None

    def keys_not_under(self, master_key_id: str, limit: int) -> list[tuple[str, bytes]]:
        """Live keys wrapped under another master key (or an unknown one), in subject order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT subject, key FROM personal_keys WHERE {_NOT_UNDER.format(p='?')} "
                "ORDER BY subject LIMIT ?",
                (master_key_id, limit),
            )
            return [(str(r[0]), bytes(r[1])) for r in c.fetchall()]

    def rewrap_keys(self, rows: Sequence[Rewrap], master_key_id: str) -> int:
        """Store the re-wrapped keys in one transaction; how many rows still held the key read."""
        changed = 0
        with self.datastore.transaction(commit=True) as c:
            for subject, old, new in rows:
                c.execute(
                    "UPDATE personal_keys SET key=?, master_key_id=? WHERE subject=? AND key=?",
                    (new, master_key_id, subject, old),
                )
                c.execute("SELECT changes()")
                changed += int(c.fetchone()[0])
        return changed

    def keys_by_master_key(self) -> dict[str | None, int]:
        """Live keys per master key id (None: written before ids were kept)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT master_key_id, COUNT(*) FROM personal_keys WHERE key IS NOT NULL "
                "GROUP BY master_key_id"
            )
            return {r[0]: int(r[1]) for r in c.fetchall()}


class PostgresMasterKeyRows:
    """Mixed into :class:`adapters.chained_postgres.ChainedPostgresRecorder` (its ``_rows``)."""

    datastore: Any
    if TYPE_CHECKING:

        def _rows(self, statement: Any, params: Sequence[Any] = ()) -> list[Any]: ...
        def _sql(self, text: str) -> Any: ...

    def has_keys_under(self, master_key_id: str) -> bool:
        query = "SELECT 1 AS one FROM {s}.personal_keys WHERE master_key_id=%s LIMIT 1"
        return bool(self._rows(self._sql(query), (master_key_id,)))

    def keys_not_under(self, master_key_id: str, limit: int) -> list[tuple[str, bytes]]:
        rows = self._rows(
            self._sql(
                f"SELECT subject, key FROM {{s}}.personal_keys WHERE {_NOT_UNDER.format(p='%s')} "
                "ORDER BY subject LIMIT %s"
            ),
            (master_key_id, limit),
        )
        return [(str(r["subject"]), bytes(r["key"])) for r in rows]

    def rewrap_keys(self, rows: Sequence[Rewrap], master_key_id: str) -> int:
        changed = 0
        with self.datastore.transaction(commit=True) as curs:
            for subject, old, new in rows:
                curs.execute(
                    self._sql(
                        "UPDATE {s}.personal_keys SET key=%s, master_key_id=%s "
                        "WHERE subject=%s AND key=%s"
                    ),
                    (new, master_key_id, subject, old),
                )
                changed += curs.rowcount
        return changed

    def keys_by_master_key(self) -> dict[str | None, int]:
        rows = self._rows(
            self._sql(
                "SELECT master_key_id, COUNT(*) AS n FROM {s}.personal_keys "
                "WHERE key IS NOT NULL GROUP BY master_key_id"
            )
        )
        return {r["master_key_id"]: int(r["n"]) for r in rows}
