"""`rjb demo --via-kafka`: the six stories go in over the inbound topics and come back out on the
case-event topic and the agencies' shared topics, read here independently of the demo."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path

import orjson

from adapters.cloudevents import attributes
from adapters.local_broker import free_port
from services.bootstrap import build
from services.demo.runner import all_scripts
from services.demo.stories import HUB_WY, head_teacher
from services.kafka_runtime.wiring import KafkaParts
from services.settings import Settings
from tests.kafka_helpers import read_topic
from tests.servers import Broker


def rjb_demo(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RJB_SQLITE_PATH": str(tmp_path / "rjb.sqlite3"),
        "RJB_KAFKA_SESSION_TIMEOUT_MS": "1000",
        "RJB_KAFKA_CASE_EVENT_PARTITIONS": "3",
        "RJB_KAFKA_INBOUND_PARTITIONS": "2",
        "RJB_KAFKA_SHARED_PARTITIONS": "1",
        "RJB_KAFKA_RELAY_POLL_INTERVAL": "0.05",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "services", "demo", "--via-kafka", "--timeout", "20"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=90,
    )


def versions_by_case(records: list[object]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for record in records:
        subject = attributes(record.headers)["subject"]  # type: ignore[attr-defined]
        out[subject].add(orjson.loads(record.value)["originator_version"])  # type: ignore[attr-defined]
    return out


def test_every_story_goes_through_kafka_and_every_version_of_each_case_comes_back(
    tmp_path: Path, kafka_broker: Broker
) -> None:
    prefix = f"d{uuid.uuid4().hex[:8]}"
    result = rjb_demo(
        tmp_path, RJB_KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap, RJB_KAFKA_TOPIC_PREFIX=prefix
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "every step stored, published and read back" in result.stdout
    assert f"{prefix}.shared.pcc.west-yorkshire.v1" in result.stdout

    settings = Settings(
        store="sqlite", sqlite_path=tmp_path / "rjb.sqlite3", kafka_topic_prefix=prefix
    )
    backbone = build(settings)
    try:
        topics = KafkaParts(backbone, kafka_broker.bootstrap).topics
        stored = {
            str(s.case_id): backbone.commands.load(s.case_id).version
            for s in all_scripts()
            if s.story != "agreements"
        }
    finally:
        backbone.close()
    assert len(stored) == 6 and all(v > 1 for v in stored.values())
    on_topic = versions_by_case(asyncio.run(read_topic(kafka_broker.bootstrap, topics.case_events)))
    for case_id, version in stored.items():
        assert on_topic[case_id] == set(range(1, version + 1)), case_id
        assert f"case {case_id}, {version} events" in result.stdout

    hub = asyncio.run(read_topic(kafka_broker.bootstrap, topics.shared(HUB_WY)))
    head_teacher_case = str(head_teacher().case_id)
    shared_types = {
        attributes(r.headers)["type"]
        for r in hub
        if attributes(r.headers)["subject"] == head_teacher_case
    }
    assert "uk.gov.rj.case.referred.v2" in shared_types  # from West Yorkshire Police
    assert "uk.gov.rj.case.prison_access_granted.v1" in shared_types  # from HMP Leeds
    assert all(attributes(r.headers)["recipient"] == HUB_WY for r in hub)


def test_an_unreachable_kafka_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = rjb_demo(tmp_path, RJB_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "demo via Kafka failed: cannot use Kafka at 127.0.0.1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_with_no_cluster_configured_the_demo_runs_on_the_embedded_dev_broker(
    tmp_path: Path,
) -> None:
    """tansu smoke test: `make run`'s embedded broker still carries the whole demo."""
    result = rjb_demo(tmp_path, RJB_KAFKA_BOOTSTRAP_SERVERS="")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "every step stored, published and read back" in result.stdout
