"""Shared fixtures: real PostgreSQL and Apache Kafka for the run (see ``tests/servers.py``); a
fresh database per run and a fresh schema per test, so tests never share tables."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from adapters.apache_kafka import ApacheKafka, fetch_jars, kafka_version
from adapters.kafka_server_settings import SuperUser
from adapters.local_broker import LocalBroker
from adapters.throwaway_postgres import ThrowawayPostgres
from services.bootstrap import Backbone, build
from services.settings import Settings
from tests.servers import ExternalKafka, PgDatabase, PgServer, existing_kafka, existing_postgres

# pytest-xdist gives its workers COLUMNS=80, which the `rjb` subprocesses of the e2e tests would
# inherit (their tables would wrap); tests read output as a pipe gets it without COLUMNS.
os.environ["COLUMNS"] = "200"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which broker and database the run proves things on."""
    external = existing_kafka()
    kafka = f"kafka: external cluster at {external}" if external else ""
    if not external:
        fetch_jars()
        kafka = f"apache-kafka {kafka_version()} (KRaft, one broker+controller, started per run)"
    pg = existing_postgres()
    where = f"{pg.host}:{pg.port}" if pg else "throwaway cluster started per run"
    return [kafka, f"postgresql: {where}"]


def _admin(server: PgServer) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    existing = existing_postgres()
    if existing is not None:
        yield existing
        return
    with ThrowawayPostgres() as cluster:
        yield PgServer(cluster.host, cluster.port, cluster.user)


@pytest.fixture(scope="session")
def pg_database(pg_server: PgServer) -> Iterator[PgDatabase]:
    name = f"rjb_test_{uuid.uuid4().hex[:10]}"
    with _admin(pg_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PgDatabase(pg_server, name)
    with _admin(pg_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEST_MASTER_KEY = SecretStr(base64.b64encode(b"test master key, never for real!").decode())


def pg_settings(database: PgDatabase, **overrides: object) -> Settings:
    """Settings for a fresh schema of the session database (so tests never share tables)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    server = database.server
    with psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        dbname=database.name,
        autocommit=True,
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    overrides.setdefault("personal_data_master_key", TEST_MASTER_KEY)
    return Settings(
        store="postgres",
        postgres_host=server.host,
        postgres_port=server.port,
        postgres_user=server.user,
        postgres_dbname=database.name,
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


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[ApacheKafka | ExternalKafka]:
    """Apache Kafka for the whole run: every Kafka integration and e2e test runs on it."""
    external = existing_kafka()
    if external:
        yield ExternalKafka(external)
        return
    with ApacheKafka() as broker:
        yield broker


@pytest.fixture(scope="session")
def secure_kafka_broker() -> Iterator[ApacheKafka]:
    """Apache Kafka as production runs it: SASL/SCRAM, StandardAuthorizer, deny by default,
    the backbone's principal as super user (the trust tests prove each denial on it)."""
    with ApacheKafka(secured_by=SuperUser()) as broker:
        yield broker


@pytest.fixture
def own_kafka_broker() -> Iterator[ApacheKafka]:
    """A broker of this test's own, for tests that kill it or bring it back empty."""
    with ApacheKafka() as broker:
        yield broker


@pytest.fixture(scope="session")
def tansu_broker() -> Iterator[LocalBroker]:
    """The embedded dev broker of ``make run``, for the smoke tests that keep it working."""
    with LocalBroker() as broker:
        yield broker


@pytest.fixture
def topic_prefix() -> str:
    """Each test gets its own topics on the shared broker."""
    return f"t{uuid.uuid4().hex[:10]}"
