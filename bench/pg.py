"""A throwaway PostgreSQL database for a benchmark run (dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

HOST = os.environ.get("RJB_BENCH_POSTGRES_HOST", "127.0.0.1")
USER = os.environ.get("RJB_BENCH_POSTGRES_USER", "postgres")


@contextmanager
def scratch_database() -> Iterator[str]:
    name = f"rjb_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=HOST, user=USER, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(host=HOST, user=USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_env(dbname: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": HOST,
        "POSTGRES_PORT": "5432",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_USER": USER,
        "POSTGRES_PASSWORD": "",
    }
