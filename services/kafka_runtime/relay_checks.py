"""A relay's defences against a broker that is not what it was: another cluster behind the
same address (a lost one formatted anew, a fail-over), or the same cluster holding less than it
acknowledged. Either way the relay publishes again from what that cluster lacks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from adapters.kept_open import ClusterIdentity, EndOffsets
from adapters.relay_positions import RelayPosition, RelayPositions
from services.kafka_runtime.relay_acks import holds_all, partitions_of
from services.kafka_runtime.routing import Router

log = logging.getLogger("services.kafka_runtime.relay")


class BrokerChecks:
    """Mixed into :class:`~services.kafka_runtime.relay.Relay`."""

    router: Router
    cluster: str
    identity: ClusterIdentity
    end_offsets: EndOffsets
    positions: RelayPositions
    state: RelayPosition
    republished: int
    _known_topics: frozenset[str]

    ensure_topics: Callable[[], Awaitable[None]]  # the relay's own, below
    move_to: Callable[[RelayPosition], Awaitable[None]]
    settled: Callable[[], Awaitable[None]]

    async def cluster_changed(self, current: str) -> bool:
        """Checked before each batch is written: a broker with another cluster id is another
        cluster (a lost one formatted anew, or a fail-over to a different one), which has none
        of what we sent; publishing there starts from that cluster's own saved position."""
        if current == self.cluster:
            return False
        log.warning(
            "relay %s: cluster %s is now %s; publishing from its own position",
            self.router.name,
            self.cluster,
            current,
        )
        self.cluster = current
        self.republished += 1
        self._known_topics = frozenset()
        await self.move_to(await asyncio.to_thread(self.positions.load, self.router.name, current))
        return True

    async def broker_has_our_data(self) -> bool:
        if not self.state.offsets:
            return True
        await self.ensure_topics()
        acked = partitions_of(self.state)
        return holds_all(acked, await self.end_offsets.of(list(acked)))

    async def republish(self) -> None:
        """Start again from the beginning of the log (the broker lost what we sent)."""
        log.warning("relay %s: broker lost data, republishing from the store", self.router.name)
        self.republished += 1
        self._known_topics = frozenset()
        await self.ensure_topics()
        await asyncio.to_thread(
            self.positions.save, self.router.name, self.cluster, RelayPosition()
        )
        await self.move_to(RelayPosition())

    async def check(self) -> None:
        await self.settled()  # compared with what is acknowledged, nothing in flight
        if not await self.broker_has_our_data():
            await self.republish()
