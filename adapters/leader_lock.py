"""Who leads the relays when several `rjb serve` processes share one store.

Only one process may relay the log (two would interleave their batches and save positions over
each other's). On PostgreSQL the leader holds a session-level advisory lock on a connection of
its own: when the process dies, its connection closes and the server releases the lock at once,
so a follower takes over at its next try. On SQLite (one machine) an exclusive ``flock`` on a
file beside the database plays the same part: the kernel releases it when the process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Protocol

import psycopg


class LeaderLock(Protocol):
    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


def lock_key(*names: str) -> int:
    """A signed 64-bit advisory-lock key for a name (e.g. schema + purpose)."""
    digest = hashlib.sha256("/".join(names).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgAdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated autocommit connection."""

    def __init__(self, conninfo: str, key: int) -> None:
        self.conninfo = conninfo
        self.key = key
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _try(self) -> bool:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return bool(row and row[0])

    async def try_acquire(self) -> bool:
        try:
            return await asyncio.to_thread(self._try)
        except psycopg.Error:
            await self.release()
            return False

    def _held(self) -> bool:
        if self.conn is None or self.conn.closed:
            return False
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF  # a bigint key is shown as two oids
        row = self.conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND classid::bigint = %s AND objid::bigint = %s",
            (unsigned >> 32, unsigned & 0xFFFFFFFF),
        ).fetchone()
        return bool(row and int(str(row[0])) > 0)

    async def still_held(self) -> bool:
        try:
            return await asyncio.to_thread(self._held)
        except psycopg.Error:
            return False

    async def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and not conn.closed:
            with contextlib.suppress(psycopg.Error):
                await asyncio.to_thread(conn.close)  # closing the session releases the lock


class FileLock:
    """An exclusive, non-blocking ``flock`` on ``path`` (SQLite: one machine)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None

    async def try_acquire(self) -> bool:
        if self.handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "ab")  # noqa: SIM115 (held for as long as we lead)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self.handle = handle
        return True

    async def still_held(self) -> bool:
        return self.handle is not None

    async def release(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.close()  # releases the flock
