"""Two `rjb serve` processes on one PostgreSQL store and one Apache Kafka cluster: one leads the
relays; kill -9 the leader and the other is publishing within 10 seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adapters.apache_kafka import ApacheKafka
from adapters.leader_lock import FileLock
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import head_teacher, sharing_agreements
from services.settings import Settings
from tests.conftest import TEST_MASTER_KEY, pg_settings
from tests.kafka_helpers import read_topic
from tests.servers import PgDatabase


def serve(
    settings: Settings, bootstrap: str, prefix: str, log: Path, **env_extra: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RJB_STORE": "postgres",
        "RJB_POSTGRES_HOST": settings.postgres_host,
        "RJB_POSTGRES_PORT": str(settings.postgres_port),
        "RJB_POSTGRES_USER": settings.postgres_user,
        "RJB_POSTGRES_DBNAME": settings.postgres_dbname,
        "RJB_POSTGRES_SCHEMA": settings.postgres_schema,
        "RJB_PERSONAL_DATA_MASTER_KEY": TEST_MASTER_KEY.get_secret_value(),
        "RJB_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "RJB_KAFKA_TOPIC_PREFIX": prefix,
        "RJB_KAFKA_CONSUMER_GROUP": f"{prefix}-group",
        "RJB_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "RJB_KAFKA_CASE_EVENT_PARTITIONS": "3",
        "RJB_KAFKA_INBOUND_PARTITIONS": "2",
        "RJB_KAFKA_SHARED_PARTITIONS": "1",
        "RJB_HTTP_PORT": "0",
        "RJB_RELAY_LEADER_INTERVAL": "1",
        "RJB_KAFKA_RELAY_POLL_INTERVAL": "0.2",
        **env_extra,
    }
    rjb = Path(sys.executable).with_name("rjb")
    with open(log, "wb") as out:
        return subprocess.Popen([str(rjb), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)


def published(bootstrap: str, topic: str, count: int, timeout: float) -> int:
    return len(asyncio.run(read_topic(bootstrap, topic, count, timeout)))


def test_when_the_relay_leader_is_killed_another_process_publishes_within_ten_seconds(
    pg_database: PgDatabase, kafka_broker: ApacheKafka, tmp_path: Path, topic_prefix: str
) -> None:
    settings = pg_settings(pg_database)
    bb = build(settings)
    topic = f"{topic_prefix}.case-events.v1"
    first = serve(settings, kafka_broker.bootstrap, topic_prefix, tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        run_script(bb.commands, sharing_agreements())
        stored = int(bb.store.recorder.max_notification_id() or 0)
        assert published(kafka_broker.bootstrap, topic, stored, 30) >= stored  # first leads
        second = serve(settings, kafka_broker.bootstrap, topic_prefix, tmp_path / "second.log")
        time.sleep(3)  # the second is up and following
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = time.monotonic()
        run_script(bb.commands, head_teacher())
        total = int(bb.store.recorder.max_notification_id() or 0)
        assert published(kafka_broker.bootstrap, topic, total, 10) >= total
        assert time.monotonic() - killed < 10
        assert second.poll() is None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(20)
        bb.close()
    log = (tmp_path / "second.log").read_text()
    assert "relay leader: this process now publishes the log" in log, log[-3000:]


async def test_only_one_process_holds_the_relay_lock_on_sqlite(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "lock"), FileLock(tmp_path / "lock")
    assert await first.try_acquire()
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    await second.release()
