"""Is the backbone ready? One check per part: the store, the broker, each relay, the inbound
subscribers, the background tasks. For ``/health`` (no web framework here).

Each check is ``ok``, ``failing`` or ``not running`` (a part this process does not run: under
``rjb api`` there is no Kafka). The backbone is ready when no check is failing. Details name
parts, positions, times and exception kinds, never a message's content.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.health_settings import HealthSettings
from services.kafka_runtime.watch import kind_of

if TYPE_CHECKING:
    from services.bootstrap import Backbone
    from services.kafka_runtime.serving import RunningBackbone

OK, FAILING, NOT_RUNNING = "ok", "failing", "not running"
NO_KAFKA = "not running in this process (rjb api: the HTTP API without Kafka)"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def ago(moment: float | None) -> str:
    return "never" if moment is None else f"{max(0.0, time.time() - moment):.1f} s ago"


class StoreProbe:
    """The log head (a trivial query), reused for ``cache`` seconds; one query at a time, and
    a caller waits ``timeout`` at most (a hung query keeps its thread, not the caller)."""

    def __init__(self, backbone: Backbone, cache: float, timeout: float) -> None:
        self.backbone, self.cache, self.timeout = backbone, cache, timeout
        self.answer: tuple[float, Check, int | None] | None = None
        self.pending: asyncio.Future[tuple[int, float]] | None = None

    def _query(self) -> tuple[int, float]:
        started = time.perf_counter()
        head = self.backbone.store.recorder.max_notification_id() or 0
        return int(head), time.perf_counter() - started

    async def check(self) -> tuple[Check, int | None]:
        if self.answer is not None and time.monotonic() - self.answer[0] < self.cache:
            return self.answer[1], self.answer[2]
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(asyncio.to_thread(self._query))
            self.pending.add_done_callback(lambda f: f.cancelled() or f.exception())
        head: int | None = None
        try:
            head, took = await asyncio.wait_for(asyncio.shield(self.pending), self.timeout)
            check = Check("store", OK, f"answered in {took * 1000:.0f} ms; log head {head}")
        except TimeoutError:
            check = Check("store", FAILING, f"no answer within {self.timeout:g} s")
        except Exception as error:
            check = Check("store", FAILING, kind_of(error))
        self.answer = (time.monotonic(), check, head)
        return check, head


class HealthSources:
    """What ``/health`` and ``/metrics`` look at: the backbone, and the running Kafka parts
    when this process runs them (``rjb serve``; None under ``rjb api``)."""

    def __init__(
        self,
        backbone: Backbone,
        run: RunningBackbone | None = None,
        settings: HealthSettings | None = None,
    ) -> None:
        self.backbone = backbone
        self.run = run
        self.settings = settings or HealthSettings()
        self.store = StoreProbe(backbone, self.settings.store_cache_seconds, self.settings.timeout)

    async def checks(self) -> tuple[list[Check], int | None]:
        """Every check, and the log head (None when the store did not answer)."""
        store, head = await self.store.check()
        return [store, self.broker(), *self.relays(head), self.inbound(), *self.tasks()], head

    @staticmethod
    def ready(checks: list[Check]) -> bool:
        return all(c.status != FAILING for c in checks)

    def broker(self) -> Check:
        if self.run is None or self.run.watch is None:
            return Check("broker", NOT_RUNNING, NO_KAFKA)
        watch, stale = self.run.watch, self.settings.broker_stale_seconds
        last, answered = watch.broker, watch.last_answer
        if last is None:
            return Check("broker", FAILING, "not asked yet")
        if not last.ok:
            since = ago(answered.at if answered else None)
            return Check("broker", FAILING, f"{last.detail}; last answered {since}")
        if time.time() - last.at > stale:
            return Check("broker", FAILING, f"no answer for {ago(last.at)} (more than {stale:g} s)")
        return Check("broker", OK, f"{last.detail} {ago(last.at)}")

    def relays(self, head: int | None) -> list[Check]:
        """The relays run by the one process holding the relay leader lock."""
        if self.run is None:
            return [Check("relays", NOT_RUNNING, NO_KAFKA)]
        if not self.run.serves_relays:
            return [Check("relays", NOT_RUNNING, "not in this process (RJB_SERVE_RELAYS=false)")]
        leadership = self.run.leadership
        if not leadership.leading:
            every = f"{leadership.interval:g} s"
            why = f"this process follows: another holds the relay leader lock (tried every {every})"
            return [Check("relays", NOT_RUNNING, why)]
        return [self.relay(relay, head) for relay in self.run.relays]

    def relay(self, relay: Any, head: int | None) -> Check:
        name = f"relay {relay.router.name}"
        if relay.last_failure is not None:
            when, error = relay.last_failure
            return Check(name, FAILING, f"{error[:300]} ({ago(when)}); retrying")
        if relay.last_success is None:
            return Check(name, FAILING, "starting: no step yet")
        stale = self.settings.relay_stale_seconds
        if time.time() - relay.last_success > stale:
            return Check(name, FAILING, f"last successful step {ago(relay.last_success)}")
        behind = "" if head is None else f", {max(0, head - relay.state.position)} behind"
        return Check(
            name,
            OK,
            f"published up to {relay.state.position}{behind}; last step {ago(relay.last_success)}",
        )

    def inbound(self) -> Check:
        if self.run is None:
            return Check("inbound", NOT_RUNNING, NO_KAFKA)
        if not self.run.serves_inbound:
            return Check("inbound", NOT_RUNNING, "not in this process (RJB_SERVE_INBOUND=false)")
        inbound = self.run.inbound
        if not inbound.broker.running:
            return Check("inbound", FAILING, "subscribers not started")
        health = inbound.health
        paused = [t for t in health.troubles.values() if t.paused]
        if paused:
            where = ", ".join(f"{t.topic}[{t.partition}]@{t.offset}" for t in paused)
            error = paused[-1].error[:300]
            return Check("inbound", FAILING, f"paused: {where} (last error: {error})")
        retrying = len(health.troubles)
        detail = f"{retrying} partition(s) retrying" if retrying else "subscribed, nothing paused"
        return Check("inbound", OK, detail)

    def tasks(self) -> list[Check]:
        """Background tasks: the relay leadership, the access reconciler, the Kafka watch."""
        if self.run is None:
            return []
        return [
            Check(
                t.get_name(),
                FAILING if t.done() else OK,
                f"stopped: {self._ended(t)}" if t.done() else "running",
            )
            for t in self.run.tasks
            if not t.get_name().startswith("Task-")
        ]

    @staticmethod
    def _ended(task: asyncio.Task[None]) -> str:
        if task.cancelled():
            return "cancelled"
        error = task.exception()
        return "finished" if error is None else kind_of(error)
