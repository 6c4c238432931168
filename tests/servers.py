"""The real servers the suite runs on, started once per run unless the environment names one.

- PostgreSQL: a throwaway cluster (``adapters.throwaway_postgres``), or the server that
  ``RJB_TEST_POSTGRES_HOST`` (with ``_PORT``, ``_USER``) points at.
- Apache Kafka: a KRaft broker from Maven jars (``adapters.apache_kafka``), or the cluster that
  ``RJB_TEST_KAFKA_BOOTSTRAP`` points at (tests that must kill or empty a broker start their own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from adapters.apache_kafka import ApacheKafka


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str


@dataclass(frozen=True)
class PgDatabase:
    server: PgServer
    name: str


def existing_postgres() -> PgServer | None:
    host = os.environ.get("RJB_TEST_POSTGRES_HOST")
    if not host:
        return None
    port = int(os.environ.get("RJB_TEST_POSTGRES_PORT", "5432"))
    return PgServer(host, port, os.environ.get("RJB_TEST_POSTGRES_USER", "postgres"))


def existing_kafka() -> str | None:
    return os.environ.get("RJB_TEST_KAFKA_BOOTSTRAP") or None


@dataclass(frozen=True)
class ExternalKafka:
    """A cluster the developer runs; it cannot be restarted from here."""

    bootstrap: str


Broker = ApacheKafka | ExternalKafka
