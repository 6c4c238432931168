"""The eventsourcing application that *is* the event store, configured from settings."""

from __future__ import annotations

from typing import Any, Literal

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from adapters.mapper import OrjsonTranscoder, PydanticMapper


class EventStore(Application):  # type: ignore[type-arg]
    """One notification log for every aggregate (cases, custody, agreements)."""

    name = "rjb"
    env = {
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
        "MAPPER_TOPIC": get_topic(PydanticMapper),
    }


def store_env(
    kind: Literal["sqlite", "postgres"],
    *,
    sqlite_path: str = "",
    host: str = "",
    port: int = 5432,
    dbname: str = "",
    user: str = "",
    password: str = "",
    schema: str = "",
    pool_size: int = 5,
) -> dict[str, str]:
    """eventsourcing environment variables for the chosen store."""
    if kind == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": sqlite_path,
            "APPLICATION_RECORDER_TOPIC": "adapters.chained_sqlite:ChainedSQLiteRecorder",
        }
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "adapters.chained_postgres:ChainedPostgresRecorder",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": str(pool_size),
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def open_event_store(env: dict[str, str], **kwargs: Any) -> EventStore:
    return EventStore(env={**env, **kwargs})
