"""Direct SQL on the stored rows, as someone with database access would tamper with them."""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

import psycopg

from services.settings import Settings


class RawRows:
    """Edits the events table (and the chain table) behind the backbone's back."""

    def __init__(self, settings: Settings) -> None:
        self.pg = settings.store == "postgres"
        if self.pg:
            self.conn: Any = psycopg.connect(
                host=settings.postgres_host,
                port=settings.postgres_port,
                user=settings.postgres_user,
                dbname=settings.postgres_dbname,
                autocommit=True,
                options=f"-c search_path={settings.postgres_schema}",
            )
            self.events, self.nid, self.p = "rjb_events", "notification_id", "%s"
        else:
            self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
            self.events, self.nid, self.p = "stored_events", "rowid", "?"

    def _oid(self, oid: UUID) -> Any:
        return oid if self.pg else oid.hex

    def run(self, sql: str, *params: Any) -> list[Any]:
        cur = self.conn.execute(sql.replace("?", self.p), params)
        return list(cur.fetchall()) if cur.description else []

    def notification_id(self, oid: UUID, version: int) -> int:
        rows = self.run(
            f"SELECT {self.nid} FROM {self.events} WHERE originator_id=? AND originator_version=?",
            self._oid(oid),
            version,
        )
        return int(rows[0][0])

    def alter_state(self, oid: UUID, version: int) -> None:
        (state,) = self.run(
            f"SELECT state FROM {self.events} WHERE originator_id=? AND originator_version=?",
            self._oid(oid),
            version,
        )[0]
        forged = bytes(state).replace(b'"user":"', b'"user":"x', 1)
        assert forged != bytes(state)
        self.run(
            f"UPDATE {self.events} SET state=? WHERE originator_id=? AND originator_version=?",
            forged,
            self._oid(oid),
            version,
        )

    def delete_event(self, oid: UUID, version: int, *, with_chain: bool = False) -> None:
        nid = self.notification_id(oid, version)
        self.run(f"DELETE FROM {self.events} WHERE {self.nid}=?", nid)
        if with_chain:
            self.run("DELETE FROM event_chain WHERE notification_id=?", nid)

    def swap_positions(self, a: int, b: int) -> None:
        """Reorder the log: two events exchange their notification ids."""
        self.run(f"UPDATE {self.events} SET {self.nid}=? WHERE {self.nid}=?", -1, a)
        self.run(f"UPDATE {self.events} SET {self.nid}=? WHERE {self.nid}=?", a, b)
        self.run(f"UPDATE {self.events} SET {self.nid}=? WHERE {self.nid}=?", b, -1)

    def insert_copy(self, oid: UUID, version: int, as_version: int) -> None:
        """Insert a forged event: a copy of ``version`` claiming to be ``as_version``."""
        self.run(
            f"INSERT INTO {self.events} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, ?, topic, state FROM {self.events} "
            "WHERE originator_id=? AND originator_version=?",
            as_version,
            self._oid(oid),
            version,
        )

    def close(self) -> None:
        self.conn.close()
