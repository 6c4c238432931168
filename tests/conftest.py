"""Shared fixtures: a throwaway PostgreSQL database per test session, one schema per test."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from services.bootstrap import Backbone, build
from services.settings import Settings

PG_HOST = os.environ.get("RJB_TEST_POSTGRES_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("RJB_TEST_POSTGRES_PORT", "5432"))
PG_USER = os.environ.get("RJB_TEST_POSTGRES_USER", "postgres")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"rjb_test_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEST_MASTER_KEY = SecretStr(base64.b64encode(b"test master key, never for real!").decode())


def pg_settings(database: str, **overrides: object) -> Settings:
    """Settings for a fresh schema of the session database (so tests never share tables)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    overrides.setdefault("personal_data_master_key", TEST_MASTER_KEY)
    return Settings(
        store="postgres",
        postgres_host=PG_HOST,
        postgres_port=PG_PORT,
        postgres_user=PG_USER,
        postgres_dbname=database,
        postgres_schema=schema,
        **overrides,  # type: ignore[arg-type]
    )


def sqlite_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(store="sqlite", sqlite_path=tmp_path / "rjb.sqlite3", **overrides)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The same test runs on the embedded SQLite store and on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_settings(tmp_path)
    return pg_settings(request.getfixturevalue("pg_database"))


@pytest.fixture
def backbone(store_settings: Settings) -> Iterator[Backbone]:
    bb = build(store_settings)
    yield bb
    bb.close()
