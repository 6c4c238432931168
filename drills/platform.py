"""Where a drill runs: one PostgreSQL database (a fresh schema per drill), an Apache Kafka
bootstrap, fresh topic prefixes, and `rjb serve` as a subprocess that can be killed with -9.

Drills that stop PostgreSQL or empty the broker start servers of their own
(:meth:`Site.own_postgres`, :meth:`Site.own_kafka`), so the shared ones stay up for the rest.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
from pydantic import SecretStr

from adapters.apache_kafka import ApacheKafka
from adapters.throwaway_postgres import ThrowawayPostgres
from services.settings import Settings

MASTER_KEY = SecretStr(base64.b64encode(b"drills: a master key, not real!!").decode())
LEADER_LINE = "relay leader: this process now publishes the log"


@dataclass(frozen=True)
class Pg:
    host: str
    port: int
    user: str
    dbname: str = "postgres"


def create_database(pg: Pg, name: str) -> Pg:
    with psycopg.connect(
        host=pg.host, port=pg.port, user=pg.user, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return replace(pg, dbname=name)


@dataclass
class Site:
    pg: Pg
    bootstrap: str
    workdir: Path

    def settings(self, pg: Pg | None = None, **overrides: object) -> Settings:
        """Settings on a new schema of the drills' database and new topic names."""
        pg = pg or self.pg
        schema, prefix = f"d_{uuid.uuid4().hex[:10]}", f"d{uuid.uuid4().hex[:10]}"
        with psycopg.connect(
            host=pg.host, port=pg.port, user=pg.user, dbname=pg.dbname, autocommit=True
        ) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        values: dict[str, object] = {
            "store": "postgres",
            "postgres_host": pg.host,
            "postgres_port": pg.port,
            "postgres_user": pg.user,
            "postgres_dbname": pg.dbname,
            "postgres_schema": schema,
            "personal_data_master_key": MASTER_KEY,
            "kafka_bootstrap_servers": self.bootstrap,
            "kafka_topic_prefix": prefix,
            "kafka_consumer_group": f"{prefix}-group",
            "kafka_case_event_partitions": 3,
            "kafka_inbound_partitions": 3,
            "kafka_shared_partitions": 1,
            "kafka_session_timeout_ms": 2000,
            "kafka_relay_poll_interval": 0.2,
            "relay_leader_interval": 1.0,
            **overrides,
        }
        return Settings(**values)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def own_postgres(self) -> Iterator[tuple[ThrowawayPostgres, Pg]]:
        """A PostgreSQL server of the drill's own, to stop and start again."""
        with ThrowawayPostgres() as server:
            pg = create_database(Pg(server.host, server.port, server.user), "rjb_drill")
            # The throwaway cluster runs synchronous_commit=off: a crash (an immediate stop)
            # would lose commits already acknowledged, which no production server does.
            with psycopg.connect(
                host=pg.host, port=pg.port, user=pg.user, dbname="postgres", autocommit=True
            ) as conn:
                conn.execute(f'ALTER DATABASE "{pg.dbname}" SET synchronous_commit = on')
            yield server, pg

    @contextlib.contextmanager
    def own_kafka(self) -> Iterator[ApacheKafka]:
        """A broker of the drill's own, to kill and bring back empty."""
        with ApacheKafka() as broker:
            yield broker


def serve_env(settings: Settings, **extra: str) -> dict[str, str]:
    """What `rjb serve` reads from its environment, for these settings."""
    s = settings
    env = {
        **os.environ,
        "RJB_STORE": "postgres",
        "RJB_POSTGRES_HOST": s.postgres_host,
        "RJB_POSTGRES_PORT": str(s.postgres_port),
        "RJB_POSTGRES_USER": s.postgres_user,
        "RJB_POSTGRES_DBNAME": s.postgres_dbname,
        "RJB_POSTGRES_SCHEMA": s.postgres_schema,
        "RJB_PERSONAL_DATA_MASTER_KEY": MASTER_KEY.get_secret_value(),
        "RJB_KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
        "RJB_KAFKA_TOPIC_PREFIX": s.kafka_topic_prefix,
        "RJB_KAFKA_CONSUMER_GROUP": s.kafka_consumer_group,
        "RJB_KAFKA_SESSION_TIMEOUT_MS": str(s.kafka_session_timeout_ms),
        "RJB_KAFKA_CASE_EVENT_PARTITIONS": str(s.kafka_case_event_partitions),
        "RJB_KAFKA_INBOUND_PARTITIONS": str(s.kafka_inbound_partitions),
        "RJB_KAFKA_SHARED_PARTITIONS": str(s.kafka_shared_partitions),
        "RJB_HTTP_PORT": "0",
        "RJB_RELAY_LEADER_INTERVAL": str(s.relay_leader_interval),
        "RJB_KAFKA_RELAY_POLL_INTERVAL": str(s.kafka_relay_poll_interval),
        "COLUMNS": "100000",
        **extra,
    }
    return env


def rjb() -> str:
    return str(Path(sys.executable).with_name("rjb"))


class Serve:
    """One `rjb serve` subprocess with its log; ``kill`` is kill -9."""

    count = 0

    def __init__(self, settings: Settings, workdir: Path, **extra: str) -> None:
        Serve.count += 1
        self.log = workdir / f"serve-{Serve.count}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [rjb(), "serve"],
                env=serve_env(settings, **extra),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
        self.killed = False

    def kill(self) -> None:
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def crashed(self) -> bool:
        """Exited by itself (not killed by the drill)."""
        return not self.killed and self.process.poll() is not None

    @property
    def leads(self) -> bool:
        """Alive, and its last word on the relay lock is that it took it."""
        text = self.log.read_text(errors="replace")
        taken = text.rfind(LEADER_LINE)
        return self.process.poll() is None and taken > text.rfind("relay leader: lock lost")

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> int | None:
        """Ctrl-C and wait; the exit status (None when it had to be killed)."""
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
