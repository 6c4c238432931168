"""Builds the Kafka side of the backbone (relays, inbound subscribers) from a :class:`Backbone`.

Kept apart from :mod:`services.bootstrap` so that importing the composition root never imports
Kafka clients; nothing here connects until a component is started.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg.conninfo import make_conninfo

from adapters.kafka_config import Topics, client_kwargs
from adapters.pg_wakeup import PgNotifyWakeup
from services.relay import CaseEventRouter, Relay, Router, Wakeup

if TYPE_CHECKING:
    from services.bootstrap import Backbone
    from services.inbound import Inbound


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

    def wakeup(self) -> Wakeup | None:
        """LISTEN/NOTIFY on PostgreSQL; SQLite has no notifications, so the relay polls."""
        s = self.settings
        if s.store != "postgres":
            return None
        conninfo = make_conninfo(
            host=s.postgres_host, port=s.postgres_port, dbname=s.postgres_dbname,
            user=s.postgres_user, password=s.postgres_password.get_secret_value() or None,
        )  # fmt: skip
        channel: str = getattr(self.backbone.store.recorder, "channel_name")  # noqa: B009
        return PgNotifyWakeup(conninfo, channel)

    def relay(self, router: Router | None = None) -> Relay:
        s = self.settings
        return Relay(
            self.backbone.store, self.connection, router or CaseEventRouter(self.topics),
            batch_size=s.kafka_relay_batch_size, poll_interval=s.kafka_relay_poll_interval,
            check_interval=s.kafka_broker_check_interval,
            replication_factor=s.kafka_replication_factor, wakeup=self.wakeup(),
        )  # fmt: skip

    def inbound(self) -> Inbound:
        from services.inbound import Inbound

        return Inbound(self.settings, self.bootstrap, self.backbone.commands)

    def sharing_relay(self) -> Relay:
        from services.sharing import SharingRouter

        return self.relay(SharingRouter(self.backbone.store, self.topics))
