"""What each readiness check says about a relay, a follower, the broker and a stopped task
(the running parts stood in for; the integration tests use the real ones)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from services.health import FAILING, NOT_RUNNING, OK, HealthSources
from services.health_settings import HealthSettings
from services.kafka_runtime.inbound_health import InboundHealth, InboundStats
from services.kafka_runtime.watch import Look
from services.metrics import BackboneCollector, Metrics


def relay(name: str = "case-events", **state: Any) -> Any:
    values = {
        "last_success": time.time(),
        "last_failure": None,
        "republished": 0,
        "cluster": "c1",
        "state": SimpleNamespace(position=7),
        **state,
    }
    return SimpleNamespace(router=SimpleNamespace(name=name), **values)


def sources(
    relays: list[Any], leading: bool = True, tasks: list[Any] | None = None, **roles: bool
) -> Any:
    health = InboundHealth()
    run = SimpleNamespace(
        serves_inbound=roles.get("serves_inbound", True),
        serves_relays=roles.get("serves_relays", True),
        relays=relays,
        leadership=SimpleNamespace(leading=leading, interval=2.0),
        inbound=SimpleNamespace(
            broker=SimpleNamespace(running=True), health=health, stats=InboundStats()
        ),
        watch=SimpleNamespace(
            broker=Look(True, "cluster c1 answered"),
            lag={},
            lag_at=None,
            lag_error=None,
            waiting=None,
            last_answer=Look(True, "cluster c1 answered"),
        ),
        tasks=tasks or [],
    )
    recorder = SimpleNamespace(max_notification_id=lambda: 10)
    projections = SimpleNamespace(projections={}, db=SimpleNamespace(table_exists=lambda _: False))
    backbone = SimpleNamespace(
        store=SimpleNamespace(recorder=recorder),
        projections=projections,
        commands=SimpleNamespace(stored=3, duplicates=1),
    )
    return HealthSources(backbone, run, HealthSettings(relay_stale_seconds=30))  # type: ignore[arg-type]


def named(checks: list[Any]) -> dict[str, Any]:
    return {c.name: c for c in checks}


async def test_a_relay_that_published_recently_is_ready_and_says_how_far_behind() -> None:
    checks, head = await sources([relay()]).checks()
    assert head == 10
    assert named(checks)["relay case-events"].status == OK
    assert "published up to 7, 3 behind" in named(checks)["relay case-events"].detail
    assert HealthSources.ready(checks)


async def test_a_relay_whose_last_turn_failed_is_not_ready_and_says_why() -> None:
    failing = relay(last_failure=(time.time(), "KafkaConnectionError: Unable to bootstrap"))
    checks, _ = await sources([failing]).checks()
    check = named(checks)["relay case-events"]
    assert check.status == FAILING and "KafkaConnectionError" in check.detail
    assert not HealthSources.ready(checks)


async def test_a_relay_without_a_success_for_too_long_is_not_ready() -> None:
    checks, _ = await sources([relay(last_success=time.time() - 31)]).checks()
    assert named(checks)["relay case-events"].status == FAILING
    checks, _ = await sources([relay(last_success=None)]).checks()
    assert named(checks)["relay case-events"].detail == "starting: no step yet"


async def test_a_follower_is_ready_without_relays_of_its_own() -> None:
    checks, _ = await sources([], leading=False).checks()
    assert named(checks)["relays"].status == NOT_RUNNING
    assert "relay leader lock" in named(checks)["relays"].detail
    assert HealthSources.ready(checks)


async def test_a_process_that_only_takes_inbound_is_ready_without_relays() -> None:
    checks, _ = await sources([], leading=False, serves_relays=False).checks()
    assert named(checks)["relays"].status == NOT_RUNNING
    assert "RJB_SERVE_RELAYS=false" in named(checks)["relays"].detail
    assert HealthSources.ready(checks)


async def test_a_process_that_only_relays_is_ready_without_inbound_subscribers() -> None:
    s = sources([relay()], serves_inbound=False)
    s.run.inbound.broker.running = False  # never started
    checks, _ = await s.checks()
    assert named(checks)["inbound"].status == NOT_RUNNING
    assert "RJB_SERVE_INBOUND=false" in named(checks)["inbound"].detail
    assert HealthSources.ready(checks)


async def test_a_broker_that_stopped_answering_is_named() -> None:
    s = sources([relay()])
    s.run.watch.broker = Look(False, "KafkaConnectionError: Unable to bootstrap")
    checks, _ = await s.checks()
    assert named(checks)["broker"].status == FAILING
    assert "last answered" in named(checks)["broker"].detail
    s.run.watch.broker = Look(True, "cluster c1 answered", at=time.time() - 60)
    checks, _ = await s.checks()
    assert named(checks)["broker"].detail.startswith("no answer for")


async def test_a_background_task_that_stopped_is_not_ready() -> None:
    async def boom() -> None:
        raise RuntimeError("lock lost")

    task = asyncio.create_task(boom(), name="relay leadership")
    await asyncio.gather(task, return_exceptions=True)
    checks, _ = await sources([relay()], tasks=[task]).checks()
    assert named(checks)["relay leadership"].status == FAILING
    assert named(checks)["relay leadership"].detail == "stopped: RuntimeError: lock lost"


async def test_metrics_render_in_the_prometheus_text_format_of_a_registry_of_their_own() -> None:
    s = sources([relay()])
    trouble = s.run.inbound.health.failed("rjb.inbound.police.kent.commands.v1", 0, 5, "Oops")
    s.run.inbound.health.pause(trouble, 30)
    first, second = Metrics(s), Metrics(s)  # two apps in one process do not clash
    assert first.registry is not second.registry
    text = (await first.render()).decode()
    found = {
        (x.name, tuple(x.labels.values())): x.value
        for family in text_string_to_metric_families(text)
        for x in family.samples
    }
    assert found[("rjb_relay_lag_notifications", ("case-events",))] == 3
    assert found[("rjb_inbound_paused_partitions", ())] == 1
    assert found[("rjb_inbound_transient_failures_total", ())] == 1
    assert found[("rjb_commands_stored_total", ())] == 3
    assert found[("rjb_ready", ())] == 0
    assert list(BackboneCollector().collect()) == []
