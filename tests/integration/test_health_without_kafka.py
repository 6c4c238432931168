"""``rjb api`` (the HTTP API without Kafka): ready on the store alone, the Kafka parts "not
running"; a store that stops answering makes it 503 naming the store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.stories import STORIES
from services.http import create_app


@pytest.fixture
def api(backbone: Backbone) -> Iterator[TestClient]:
    with TestClient(create_app(backbone)) as client:
        yield client


def by_name(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in body["checks"]}


def test_the_api_without_kafka_is_ready_on_its_store_alone(api: TestClient) -> None:
    response = api.get("/health/ready")
    assert response.status_code == 200, response.text
    checks = by_name(response.json())
    assert checks["store"]["status"] == "ok"
    for part in ("broker", "relays", "inbound"):
        assert checks[part]["status"] == "not running"
        assert "rjb api" in checks[part]["detail"]
    assert response.headers["cache-control"] == "no-store"


def test_health_and_metrics_need_no_token(api: TestClient) -> None:
    for path in ("/health/live", "/health/ready", "/health", "/metrics"):
        assert api.get(path).status_code == 200, path


def test_metrics_without_kafka_count_commands_and_projection_lag_only(
    api: TestClient, backbone: Backbone
) -> None:
    story = run_script(backbone.commands, STORIES[0]())
    text = api.get("/metrics").text
    samples = {
        (s.name, tuple(s.labels.values())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("rjb_commands_stored_total", ())] == len(story.results)
    head = samples[("rjb_store_log_head", ())]
    assert head > 0
    assert samples[("rjb_projection_lag_notifications", ("moves",))] == head
    assert samples[("rjb_ready", ())] == 1
    assert not any(name.startswith(("rjb_relay", "rjb_inbound")) for name, _ in samples)
    assert "process_cpu_seconds_total" in text


def test_a_store_that_does_not_answer_makes_the_api_not_ready(
    api: TestClient, backbone: Backbone, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = api.app.state.health  # type: ignore[attr-defined]
    sources.store.timeout, sources.store.cache = 0.2, 0.0

    def hangs() -> int:
        time.sleep(1)
        return 0

    monkeypatch.setattr(backbone.store.recorder, "max_notification_id", hangs)
    response = api.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert by_name(response.json())["store"] == {
        "name": "store",
        "status": "failing",
        "detail": "no answer within 0.2 s",
    }

    def refuses() -> int:
        raise ConnectionError("connection refused")

    time.sleep(1)  # the hung query ends; the next check asks again
    monkeypatch.setattr(backbone.store.recorder, "max_notification_id", refuses)
    response = api.get("/health")
    assert response.status_code == 503
    assert by_name(response.json())["store"]["detail"] == "ConnectionError: connection refused"
    assert response.json()["store"] == {"log_head": None}
