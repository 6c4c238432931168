"""A throwaway PostgreSQL cluster for one test or benchmark run, from Debian's server binaries.

Why this and not the machine's own cluster: nothing is assumed about what runs on the machine
(no service manager, no port 5432, no existing cluster), runs never see each other's data, and
durability is switched off because a throwaway cluster has nothing to keep. ``initdb`` refuses
to run as root, so as root the cluster belongs to Debian's ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from adapters.local_broker import free_port

# Speed over durability: the data is thrown away at the end of the run.
THROWAWAY_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=400 -c shared_buffers=128MB"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries (the message says how to install them)."""


def server_bin_dir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are: Debian's newest ``/usr/lib/postgresql/N/bin``."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries: `apt-get install postgresql` (make test does this)"
    )


class ThrowawayPostgres:
    """``initdb`` into a temporary folder, started on a free loopback port, trust auth."""

    def __init__(self, port: int | None = None, user: str = "postgres") -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.user = user
        self.bin = server_bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="rjb-postgres-"))
        self.data = self.dir / "data"
        self._run_as = self._server_account()

    @staticmethod
    def _server_account() -> str | None:
        """The account to run the server as: ourselves, or ``postgres`` when we are root."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam("postgres")
        except KeyError as missing:
            raise PostgresUnavailable(
                "running as root needs Debian's `postgres` account (apt-get install postgresql)"
            ) from missing
        return "postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        result = subprocess.run(
            command, user=self._run_as, capture_output=True, text=True, check=False, cwd=self.dir
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> ThrowawayPostgres:
        if self._run_as is not None:
            shutil.chown(self.dir, self._run_as)
        if not (self.data / "PG_VERSION").is_file():
            init = ["initdb", "-D", str(self.data), "-U", self.user, "--auth=trust"]
            self._run(*init, "-E", "UTF8", "--no-sync", "--locale=C")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={self.host} "
        log = str(self.dir / "server.log")
        start = ["pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", log]
        self._run(*start, "-o", options + THROWAWAY_OPTIONS)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash as clients see it); data stays."""
        if (self.data / "postmaster.pid").is_file():
            self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data))

    def close(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
