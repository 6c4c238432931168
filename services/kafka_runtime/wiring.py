"""Builds the Kafka side of the backbone (relays, inbound subscribers) from a :class:`Backbone`.

Kept apart from :mod:`services.bootstrap` so that importing the composition root never imports
Kafka clients; nothing here connects until a component is started.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg.conninfo import make_conninfo

from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from adapters.local_broker import LocalBroker, free_port
from adapters.local_wakeup import DataVersionWatch, InProcessWakeup
from adapters.pg_wakeup import PgNotifyWakeup
from services.kafka_runtime.relay import CaseEventRouter, Relay, Router, Wakeup
from services.kafka_runtime.watch import KafkaWatch

if TYPE_CHECKING:
    from services.bootstrap import Backbone
    from services.kafka_runtime.access_sync import AccessReconciler
    from services.kafka_runtime.inbound import Inbound
    from services.settings import Settings


@dataclass
class KafkaParts:
    backbone: Backbone
    bootstrap: str

    @property
    def settings(self) -> Any:
        return self.backbone.settings

    @property
    def topics(self) -> Topics:
        return Topics.from_settings(self.settings)

    @property
    def connection(self) -> dict[str, Any]:
        return client_kwargs(self.settings, self.bootstrap)

    @property
    def dataref_base(self) -> str:
        """Where consumers resolve sealed personal fields (the HTTP API as they reach it)."""
        s = self.settings
        return str(s.http_public_url or f"http://{s.http_host}:{s.http_port}")

    def wakeup(self) -> Wakeup | None:
        """LISTEN/NOTIFY on PostgreSQL; on SQLite, saves in this process and, within a few
        milliseconds, commits by others (``PRAGMA data_version``)."""
        s = self.settings
        if s.store != "postgres":
            return InProcessWakeup(self.backbone.store, DataVersionWatch(str(s.sqlite_path)))
        conninfo = postgres_conninfo(s)
        channel: str = getattr(self.backbone.store.recorder, "channel_name")  # noqa: B009
        return PgNotifyWakeup(conninfo, channel)

    def relay(self, router: Router | None = None) -> Relay:
        s = self.settings
        return Relay(
            self.backbone.store,
            self.connection,
            router or CaseEventRouter(self.topics),
            batch_size=s.kafka_relay_batch_size,
            poll_interval=s.kafka_relay_poll_interval,
            check_interval=s.kafka_broker_check_interval,
            replication_factor=s.kafka_replication_factor,
            wakeup=self.wakeup(),
            idempotent=s.kafka_idempotent_producer,
            dataref_base=self.dataref_base,
            linger_ms=s.kafka_relay_linger_ms,
            max_batch_bytes=s.kafka_relay_max_batch_bytes,
            compression=s.kafka_relay_compression,
        )

    def inbound(self, quiet: bool = False) -> Inbound:
        """``quiet``: without FastStream's per-message log (errors are still logged)."""
        from services.kafka_runtime.inbound import Inbound

        return Inbound(self.settings, self.bootstrap, self.backbone.commands, quiet)

    async def ensure_inbound_topics(self, agencies: Iterable[str]) -> None:
        """Each agency's own inbound topic (on a secured cluster the access reconcile does this
        for onboarded agencies; on a dev broker, whoever sends first)."""
        specs = [self.topics.inbound_spec(a) for a in sorted(set(agencies))]
        await ensure_topics(self.connection, specs, self.settings.kafka_replication_factor)

    def access(self) -> AccessReconciler:
        """Users, topics and ACLs on the broker, following the registry and the ISA register."""
        from domain.agencies import is_known
        from projections.queries import ReadModels
        from services.kafka_runtime.access_sync import AccessReconciler

        def recipients() -> set[str]:
            flows = ReadModels(self.backbone.projections).agreements.permitted_flows()
            return {to_agency for _, to_agency in flows}

        def is_agency(code: str) -> bool:
            with self.backbone.commands.knowing_registered_agencies():
                return is_known(code)

        settings = self.settings.model_copy(update={"kafka_bootstrap_servers": self.bootstrap})
        return AccessReconciler(settings, recipients, is_agency)

    def watch(self) -> KafkaWatch:
        """Looks at the broker and the inbound group's lag in the background (RJB_HEALTH_*)."""
        from services.dlq import DeadLetterQueue
        from services.health_settings import HealthSettings

        health = HealthSettings()
        return KafkaWatch(
            self.connection,
            self.settings.kafka_consumer_group,
            self.topics,
            interval=health.kafka_interval,
            timeout=health.timeout,
            dead_letters=DeadLetterQueue.of(self).summary,
            dead_letter_interval=health.dead_letter_interval,
        )

    def sharing_relay(self) -> Relay:
        from services.sharing import SharingRouter

        return self.relay(SharingRouter(self.backbone.store, self.topics))


def default_port() -> int:
    """9092 when it is free, else any free port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 9092))
            return 9092
        except OSError:
            return free_port()


@contextlib.contextmanager
def kafka_cluster(settings: Settings, port: int = 0) -> Iterator[Settings]:
    """The settings for the configured cluster; with none configured, an embedded dev broker
    (tansu) runs for the duration and the settings point at it. tansu has no idempotent
    producer, so the relay sends without it there (per-key order then rests on
    :func:`adapters.ordered_send.send_in_order` alone)."""
    if settings.kafka_bootstrap_servers:
        yield settings
        return
    with LocalBroker(port or default_port()) as broker:
        yield settings.model_copy(
            update={"kafka_bootstrap_servers": broker.bootstrap, "kafka_idempotent_producer": False}
        )


def postgres_conninfo(settings: Settings) -> str:
    """The libpq connection string of the PostgreSQL store, for connections of our own."""
    return make_conninfo(
        host=settings.postgres_host,
        port=settings.postgres_port,
        dbname=settings.postgres_dbname,
        user=settings.postgres_user,
        password=settings.postgres_password.get_secret_value() or None,
    )
