"""What ``rjb serve`` runs, composed from :class:`~services.kafka_runtime.wiring.KafkaParts`:
the inbound subscribers, and the relays while this process holds the relay leader lock."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adapters.leader_lock import FileLock, LeaderLock, PgAdvisoryLock, lock_key
from services.kafka_runtime.inbound_trim import InboundTrimmer
from services.kafka_runtime.relay import Relay
from services.kafka_runtime.relay_leader import RelayLeadership
from services.kafka_runtime.watch import KafkaWatch
from services.kafka_runtime.wiring import KafkaParts, postgres_conninfo

if TYPE_CHECKING:
    from services.bootstrap import Backbone
    from services.kafka_runtime.inbound import Inbound
    from services.settings import Settings


@dataclass
class RunningBackbone:
    """The store, the relays (led by one process of several) and the inbound subscribers."""

    backbone: Backbone
    parts: KafkaParts
    leadership: RelayLeadership
    inbound: Inbound
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)  # named, for /health
    watch: KafkaWatch | None = None  # the broker and the consumer lag, for /health and /metrics

    @property
    def serves_inbound(self) -> bool:
        """RJB_SERVE_INBOUND: false when another process takes inbound."""
        return bool(self.backbone.settings.serve_inbound)

    @property
    def serves_relays(self) -> bool:
        """RJB_SERVE_RELAYS: false when another process relays."""
        return bool(self.backbone.settings.serve_relays)

    @property
    def relays(self) -> list[Relay]:
        """The relays this process runs now: both while it leads, none while it follows."""
        return self.leadership.relays

    def check(self) -> None:
        """Raise the error a relay stopped with, if one did."""
        for task in self.tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError("a relay stopped") from task.exception()


def leader_lock(settings: Settings) -> LeaderLock:
    """PostgreSQL: an advisory lock per database and schema; SQLite: a file beside it."""
    if settings.store == "postgres":
        conninfo = postgres_conninfo(settings)
        key = lock_key(settings.postgres_dbname, settings.postgres_schema, "relay-leader")
        return PgAdvisoryLock(conninfo, key)
    return FileLock(settings.sqlite_path.with_name(settings.sqlite_path.name + ".relay-leader"))


@contextlib.asynccontextmanager
async def running(
    settings: Settings, bootstrap: str, quiet: bool = False
) -> AsyncIterator[RunningBackbone]:
    """What ``rjb serve`` runs: the inbound subscribers, and the relays while this process
    holds the relay leader lock (several processes may share one store and one cluster).
    ``RJB_SERVE_INBOUND`` / ``RJB_SERVE_RELAYS`` leave one of the two to other processes."""
    from services.bootstrap import build

    backbone = build(settings)
    parts = backbone.kafka(bootstrap)
    leadership = RelayLeadership(
        lambda: [parts.relay(), parts.sharing_relay()],
        leader_lock(settings),
        settings.relay_leader_interval,
    )
    run = RunningBackbone(backbone, parts, leadership, parts.inbound(quiet), asyncio.Event())
    try:
        if settings.kafka_sasl_mechanism:  # a secured cluster: its ACLs follow the register
            access = parts.access()
            await access.apply(force=True)
            run.tasks.append(asyncio.create_task(access.follow(run.stop), name="access reconciler"))
        if run.serves_relays:  # at once: the inbound group join (seconds) holds nothing up
            leading = leadership.run(run.stop)
            run.tasks.append(asyncio.create_task(leading, name="relay leadership"))
        run.watch = parts.watch()
        run.tasks.append(asyncio.create_task(run.watch.run(run.stop), name="kafka watch"))
        if run.serves_inbound:
            await run.inbound.start()
            trimmer = InboundTrimmer(
                parts.connection,
                parts.topics,
                settings.kafka_consumer_group,
                settings.kafka_inbound_trim_interval,
            )
            run.tasks.append(asyncio.create_task(trimmer.run(run.stop), name="inbound trim"))
        # What start-up made (modules, classes, schemas, clients) lives as long as the process:
        # kept out of the collector's full passes, which otherwise walked it all every few
        # thousand commands (pauses of up to 170 ms at 1,000 commands/s; 70 ms with it frozen).
        gc.freeze()
        yield run
    finally:
        run.stop.set()
        await asyncio.gather(*run.tasks, return_exceptions=True)
        if run.serves_inbound:
            await run.inbound.stop()
        backbone.close()
