"""``rjb reconcile``: does the broker hold what the store says was published? And the repair.

Compared: every stored event with the case-event topic, and every share decision that sent an
event (whole or redacted) with its recipient's shared topic, by CloudEvents id (stable across
republishing). The store is read first, then the topics (from their start, without a group), so
what a running relay publishes meanwhile can only make fewer records missing. A missing record
after the relay's saved position for this cluster is one the relay has not reached yet (it is
behind, or not running); before it, one the broker lost.

The repair publishes exactly the missing records, built by the relays' own routers (so they are
the records the relays send, same ids), in log order, through :func:`send_in_order`. It does not
reset the relays' saved positions: a running relay keeps its position in memory and would write
it back, and a reset would send everything after the gap again. Subscribers drop duplicates by
event id; a record put back after later versions of its aggregate cannot restore their first
occurrences' order, only fill the gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer

from adapters.event_store import EventStore
from adapters.expected_records import Expected, sent_shares, stored_events
from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import cluster_id
from adapters.ordered_send import send_in_order
from adapters.relay_positions import RelayPositions
from adapters.sealed_records import seal_record, stored_state
from adapters.topic_scan import Raw, scan
from services.kafka_runtime.relay import CaseEventRouter, Outgoing
from services.sharing import SharingRouter

if TYPE_CHECKING:
    from services.kafka_runtime.wiring import KafkaParts

CHUNK = 500


def ce_id(record: Raw) -> str | None:
    found = next((v for k, v in record.headers if k == "ce_id"), None)
    return found.decode(errors="replace") if found else None


@dataclass(frozen=True)
class Gap:
    """One topic: how many records the store expects there, and which are missing."""

    topic: str
    recipient: str | None  # None: the case-event topic
    expected: int
    missing: list[Expected]
    relay_position: int  # the relay's saved position on this cluster (0: none)

    @property
    def not_relayed_yet(self) -> int:
        return sum(1 for m in self.missing if m.position > self.relay_position)


@dataclass(frozen=True)
class Report:
    cluster: str
    gaps: list[Gap]

    @property
    def missing(self) -> int:
        return sum(len(g.missing) for g in self.gaps)


class Reconciler:
    def __init__(
        self,
        store: EventStore,
        connection: dict[str, Any],
        topics: Topics,
        replication_factor: int = 1,
        idempotent: bool = True,
        dataref_base: str = "http://127.0.0.1:8080",
    ) -> None:
        self.store = store
        self.connection = connection
        self.topics = topics
        self.replication_factor = replication_factor
        self.idempotent = idempotent
        self.dataref_base = dataref_base

    @classmethod
    def of(cls, parts: KafkaParts) -> Reconciler:
        s = parts.settings
        return cls(
            parts.backbone.store,
            parts.connection,
            parts.topics,
            s.kafka_replication_factor,
            s.kafka_idempotent_producer,
            parts.dataref_base,
        )

    async def check(self) -> Report:
        cluster = await cluster_id(self.connection)
        positions = RelayPositions(self.store)
        events = await asyncio.to_thread(lambda: list(stored_events(self.store)))
        shares = await asyncio.to_thread(sent_shares, self.store)
        relayed = await asyncio.to_thread(positions.load, CaseEventRouter.name, cluster)
        shared = await asyncio.to_thread(positions.load, SharingRouter.name, cluster)
        gaps = [await self._gap(self.topics.case_events, None, events, relayed.position)]
        for recipient, expected in sorted(shares.items()):
            topic = self.topics.shared(recipient)
            gaps.append(await self._gap(topic, recipient, expected, shared.position))
        return Report(cluster, gaps)

    async def _gap(
        self, topic: str, recipient: str | None, expected: list[Expected], relay_position: int
    ) -> Gap:
        present = set(await scan(self.connection, topic, ce_id))
        missing = [e for e in expected if e.event_id not in present]
        return Gap(topic, recipient, len(expected), missing, relay_position)

    async def repair(self, report: Report) -> int:
        """Publish the records ``report`` found missing; returns how many were sent."""
        outgoing = await asyncio.to_thread(self._rebuild, report)
        specs = self.topics.core() + [
            self.topics.shared_spec(g.recipient) for g in report.gaps if g.recipient and g.missing
        ]
        await ensure_topics(self.connection, specs, self.replication_factor)
        producer = AIOKafkaProducer(
            **self.connection, acks="all", linger_ms=2, enable_idempotence=self.idempotent
        )
        try:
            await producer.start()
            for start in range(0, len(outgoing), CHUNK):
                chunk = outgoing[start : start + CHUNK]
                await send_in_order(producer, [(o.topic, o.record) for o in chunk])
        finally:
            await producer.stop()
        return len(outgoing)

    def _rebuild(self, report: Report) -> list[Outgoing]:
        """The missing records, in log order, as the relays' routers build them: the sharing
        router follows the agreements from the start of the log, so it decides as it did."""
        case_events = {m.position for g in report.gaps if g.recipient is None for m in g.missing}
        shared = {(g.topic, m.event_id) for g in report.gaps if g.recipient for m in g.missing}
        shared_positions = [m.position for g in report.gaps if g.recipient for m in g.missing]
        wanted = case_events | set(shared_positions)
        if not wanted:
            return []
        cases, sharing = CaseEventRouter(self.topics), SharingRouter(self.store, self.topics)
        first_shared = min(shared_positions, default=max(wanted) + 1)
        if shared_positions:
            sharing.reset(first_shared - 1)
        self.store.recheck_erasures()
        out: list[Outgoing] = []
        for n in self._notifications(min(wanted), max(wanted)):
            if n.id not in case_events and n.id < first_shared:
                continue
            event = self.store.mapper.to_domain_event(n)
            sealed = stored_state(self.store, n)
            routed = []
            if n.id in case_events:
                routed += cases.route(n.id, event)
            if n.id >= first_shared:
                shares, sharing.pending = sharing.route(n.id, event), []
                routed += [o for o in shares if (o.topic, ce_id_of(o)) in shared]
            base = self.dataref_base  # the same sealed records the relays send
            out += [
                Outgoing(o.topic, seal_record(o.record, event, sealed, base), o.sequence)
                for o in routed
            ]
        return out

    def _notifications(self, first: int, last: int) -> Iterator[Any]:
        start = first
        while start <= last and (
            batch := self.store.recorder.select_notifications(start, 1000, stop=last)
        ):
            yield from batch
            start = batch[-1].id + 1


def ce_id_of(outgoing: Outgoing) -> str:
    return next(v.decode() for k, v in outgoing.record.headers if k == "ce_id")
