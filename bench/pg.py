"""A throwaway PostgreSQL database for a benchmark run (dropped afterwards).

The server is the one ``RJB_BENCH_POSTGRES_HOST`` (``_PORT``, ``_USER``) names, or else a
throwaway cluster started once for the benchmark process and stopped when it exits.
"""

from __future__ import annotations

import atexit
import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from adapters.throwaway_postgres import ThrowawayPostgres


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str


@functools.cache
def server() -> Server:
    host = os.environ.get("RJB_BENCH_POSTGRES_HOST")
    if host:
        port = int(os.environ.get("RJB_BENCH_POSTGRES_PORT", "5432"))
        return Server(host, port, os.environ.get("RJB_BENCH_POSTGRES_USER", "postgres"))
    cluster = ThrowawayPostgres().start()
    atexit.register(cluster.close)
    return Server(cluster.host, cluster.port, cluster.user)


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    s = server()
    return psycopg.connect(
        host=s.host, port=s.port, user=s.user, dbname="postgres", autocommit=True
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    name = f"rjb_bench_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_env(dbname: str) -> dict[str, str]:
    s = server()
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": s.host,
        "POSTGRES_PORT": str(s.port),
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_USER": s.user,
        "POSTGRES_PASSWORD": "",
    }
