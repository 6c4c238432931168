"""``/health`` and ``/metrics`` of a running backbone on Apache Kafka (what ``rjb serve`` runs):
ready when all is well; a dead broker or a paused partition makes it 503 naming the part; the
metrics follow the relays and the inbound subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from adapters.apache_kafka import ApacheKafka
from services.demo.runner import run_script
from services.demo.stories import STORIES
from services.http import create_app
from services.kafka_runtime.serving import RunningBackbone, running
from services.settings import Settings
from tests.kafka_helpers import agencies_sending_in_tests, fast_kafka_settings, kent_police_topic
from tests.servers import Broker

Client = httpx2.AsyncClient


@pytest.fixture(autouse=True)
def quick_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Kafka watch looks every 0.3 s (5 s by default), so tests see changes at once."""
    monkeypatch.setenv("RJB_HEALTH_KAFKA_INTERVAL", "0.3")
    monkeypatch.setenv("RJB_HEALTH_TIMEOUT", "2")
    monkeypatch.setenv("RJB_HEALTH_DEAD_LETTER_INTERVAL", "0.5")


@asynccontextmanager
async def serving(
    settings: Settings, bootstrap: str
) -> AsyncIterator[tuple[RunningBackbone, Client]]:
    async with running(settings, bootstrap, quiet=True) as run:
        await run.parts.ensure_inbound_topics(agencies_sending_in_tests())
        app = create_app(run.backbone, settings, run)
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://backbone") as client:
            yield run, client


async def until(probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Awaits ``probe()`` until it returns something true; returns that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await probe()
        if found:
            return found
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


def checks(response: httpx2.Response) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in response.json()["checks"]}


async def metrics(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


async def ready_is(client: Client, status: int) -> httpx2.Response | None:
    response = await client.get("/health/ready")
    return response if response.status_code == status else None


async def test_a_backbone_whose_store_broker_relays_and_inbound_are_well_is_ready(
    kafka_broker: Broker, store_settings: Settings, topic_prefix: str
) -> None:
    settings = fast_kafka_settings(store_settings, topic_prefix)
    async with serving(settings, kafka_broker.bootstrap) as (_, client):
        assert (await client.get("/health/live")).json() == {"status": "live"}
        response = await until(lambda: ready_is(client, 200))
        assert response.json()["status"] == "ready"
        found = checks(response)
        assert {"store", "broker", "relay case-events", "inbound", "kafka watch"} <= set(found)
        assert all(c["status"] == "ok" for c in found.values()), found
        assert found["broker"]["detail"].startswith("cluster ")
        full = await client.get("/health")
        assert full.status_code == 200
        assert full.json()["relay_leader"] is True
        assert {r["name"] for r in full.json()["relays"]} == {"case-events", "shared"}


async def test_a_dead_broker_makes_the_backbone_not_ready_until_it_is_back(
    own_kafka_broker: ApacheKafka, tmp_path: Any, topic_prefix: str
) -> None:
    from tests.conftest import sqlite_settings

    settings = fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix)
    async with serving(settings, own_kafka_broker.bootstrap) as (_, client):
        await until(lambda: ready_is(client, 200))
        own_kafka_broker.kill()
        loop = asyncio.get_running_loop()
        killed = loop.time()
        response = await until(lambda: ready_is(client, 503), timeout=20)
        assert checks(response)["broker"]["status"] == "failing"
        assert response.json()["status"] == "not ready"
        noticed = loop.time() - killed
        assert noticed < 10, f"took {noticed:.1f} s to notice"
        await asyncio.to_thread(own_kafka_broker.start)
        await until(lambda: ready_is(client, 200), timeout=90)


async def test_a_paused_inbound_partition_makes_the_backbone_not_ready(
    kafka_broker: Broker, tmp_path: Any, topic_prefix: str
) -> None:
    from tests.conftest import sqlite_settings

    settings = fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix)
    async with serving(settings, kafka_broker.bootstrap) as (run, client):
        await until(lambda: ready_is(client, 200))
        topic = kent_police_topic(run.parts)
        trouble = run.inbound.health.failed(topic, 1, 42, "OperationalError: store away")
        run.inbound.health.pause(trouble, 30)
        response = await client.get("/health/ready")
        assert response.status_code == 503
        inbound = checks(response)["inbound"]
        assert inbound["status"] == "failing"
        assert f"{topic}[1]@42" in inbound["detail"]
        found = await metrics(client)
        assert found[("rjb_inbound_paused_partitions", ())] == 1
        assert found[("rjb_health_check_ok", (("check", "inbound"),))] == 0
        assert found[("rjb_ready", ())] == 0
        run.inbound.health.done(topic, 1)
        assert (await client.get("/health/ready")).status_code == 200


async def test_metrics_follow_the_relays_and_count_dead_letters(
    kafka_broker: Broker, store_settings: Settings, topic_prefix: str
) -> None:
    settings = fast_kafka_settings(store_settings, topic_prefix)
    async with serving(settings, kafka_broker.bootstrap) as (run, client):
        story = await asyncio.to_thread(run_script, run.backbone.commands, STORIES[0]())
        applied = len(story.results)

        async def published() -> Any:
            found = await metrics(client)
            lag = found.get(("rjb_relay_lag_notifications", (("relay", "case-events"),)))
            return found if lag == 0 and found[("rjb_store_log_head", ())] > 0 else None

        found = await until(published)
        assert found[("rjb_commands_stored_total", ())] >= applied > 0
        assert (
            found[("rjb_relay_position", (("relay", "case-events"),))]
            == found[("rjb_store_log_head", ())]
        )
        assert found[("rjb_relay_republishes_total", (("relay", "case-events"),))] == 0
        assert found[("rjb_inbound_dead_letters_total", ())] == 0
        assert ("rjb_projection_lag_notifications", (("projection", "moves"),)) in found

        secret = "Jane Quietly-Personal"
        malformed = orjson.dumps({"type": "refer_case", "victim_name": secret})[:-9]  # cut short
        await send(kafka_broker.bootstrap, kent_police_topic(run.parts), malformed)

        async def dead_lettered() -> Any:
            found = await metrics(client)
            counted = found[("rjb_inbound_dead_letters_total", ())] == 1
            return found if counted and found.get(("rjb_dead_letters_waiting", ())) == 1 else None

        found = await until(dead_lettered)
        assert found[("rjb_dead_letter_oldest_age_seconds", ())] > 0
        topic = kent_police_topic(run.parts)

        async def caught_up() -> Any:
            found = await metrics(client)
            lags = {k: v for k, v in found.items() if k[0] == "rjb_inbound_consumer_lag_messages"}
            mine = [v for k, v in lags.items() if ("topic", topic) in k[1]]
            return mine and sum(mine) == 0

        await until(caught_up)
        full = await client.get("/health")
        assert full.json()["inbound"]["dead_letters"] == 1
        assert found[("rjb_inbound_impersonations_total", ())] == 0
        for text in (full.text, (await client.get("/metrics")).text):
            assert secret not in text


async def send(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()
