"""When a relay saves its position: after each batch the broker acknowledged, the router's
decisions for it recorded first; a batch that sent nothing and decided nothing only now and then
(and when the relay stops)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.relay_positions import RelayPosition, RelayPositions
from services.kafka_runtime.relay_acks import acknowledged
from services.kafka_runtime.routing import Outgoing, Router

# A batch that sent nothing and decided nothing (the sharing relay while no agreement names a
# recipient) moves the position in memory, and saves it at most this often: read again after a
# crash, those events again send nothing. At 1,000 commands/s a save per batch cost the sharing
# relay a write transaction about 45 times a second.
IDLE_SAVE_EVERY = 1.0


class PositionSaves:
    """Mixed into :class:`~services.kafka_runtime.relay.Relay`."""

    router: Router
    positions: RelayPositions
    cluster: str
    state: RelayPosition
    idle_save_every: float
    saved_at: float
    unsaved: bool

    _send: Callable[[list[Outgoing]], Awaitable[list[Any]]]  # the relay's own

    async def _publish(self, upto: int, out: list[Outgoing]) -> None:
        acks = await self._send(out) if out else []
        position = acknowledged(self.state, upto, acks)
        saved_lately = time.monotonic() - self.saved_at < self.idle_save_every
        if out or self.router.has_decisions() or not saved_lately:
            await asyncio.to_thread(self._acknowledged, position)
        else:
            self.unsaved = True
        self.state = position

    async def save_unsaved(self) -> None:
        """Save the position that batches which sent nothing moved (stopping)."""
        if self.unsaved:
            await asyncio.to_thread(self._acknowledged, self.state)

    def _acknowledged(self, position: RelayPosition) -> None:
        """What the broker now has: the router's decisions recorded, then the position saved."""
        self.router.acked(position.position)
        self.positions.save(self.router.name, self.cluster, position)
        self.saved_at, self.unsaved = time.monotonic(), False
