"""On SQLite a relay waiting out its poll notices, within milliseconds, a commit made by another
process (``rjb serve --no-relays``, ``rjb submit``): SQLite has no LISTEN/NOTIFY, so the relay
watches ``PRAGMA data_version`` on a connection of its own."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from adapters.local_wakeup import DataVersionWatch, InProcessWakeup
from services.bootstrap import build
from services.settings import Settings
from tests.conftest import sqlite_settings
from tests.integration.test_relay import stored_count
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker

ROOT = Path(__file__).resolve().parents[2]


class NoSaves:
    def on_saved(self, _poke: object) -> object:
        return lambda: None


def commit_elsewhere(path: Path) -> None:
    with sqlite3.connect(path) as other:
        other.execute("INSERT INTO t VALUES (1)")


async def test_a_commit_by_another_connection_ends_the_wait_within_milliseconds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
    wakeup = InProcessWakeup(NoSaves(), DataVersionWatch(str(path), interval=0.005))
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        waiting = asyncio.ensure_future(wakeup.wait(30.0))
        await asyncio.sleep(0.05)  # the watch has started and looked
        assert not waiting.done()
        commit_elsewhere(path)
        await asyncio.wait_for(waiting, 2.0)
        assert loop.time() - started < 1.0 and wakeup.noticed == 1
        started = loop.time()
        await wakeup.wait(0.1)  # nothing new since: the wait runs its course
        assert loop.time() - started >= 0.09 and wakeup.noticed == 1
    finally:
        await wakeup.close()


def write_story_in_another_process(settings: Settings) -> None:
    env = {
        **os.environ,
        "RJB_STORE": "sqlite",
        "RJB_SQLITE_PATH": str(settings.sqlite_path),
        "PYTHONPATH": str(ROOT),
    }
    script = (
        "from services.bootstrap import build\n"
        "from services.demo.runner import run_script\n"
        "from services.demo.stories import head_teacher\n"
        "bb = build()\n"
        "run_script(bb.commands, head_teacher())\n"
        "bb.close()\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)


async def test_on_sqlite_a_commit_by_another_process_wakes_the_relay_long_before_its_poll(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    settings = fast_kafka_settings(
        sqlite_settings(tmp_path),
        topic_prefix,
        kafka_relay_poll_interval=30.0,
        kafka_broker_check_interval=60.0,
    )
    bb = build(settings)
    relay = bb.kafka(kafka_broker.bootstrap).relay()
    await relay.start()
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(0.3)  # the relay has polled once and now waits out 30 s
        await asyncio.to_thread(write_story_in_another_process, settings)
        written = time.monotonic()
        total = stored_count(bb)
        topic = relay.router.topic_specs()[0].name
        records = await read_topic(kafka_broker.bootstrap, topic, total, timeout=10)
        assert len(records) == total
        assert time.monotonic() - written < 10  # far below the 30 s poll
        wakeup = relay.wakeup
        assert getattr(wakeup, "noticed", 0) > 0 and getattr(wakeup, "wakeups", 0) == 0
    finally:
        stop.set()
        await task
        await relay.stop()
        bb.close()
