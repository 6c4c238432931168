"""``rjb demo --via-kafka``: the six stories sent through Kafka as the agencies would send them.

Every step goes to an inbound topic (commands keyed by case id or agreement reference, HMPPS
movements by prison number) and the backbone, wired exactly as ``rjb serve`` runs it, stores
it. Kafka orders messages only within a partition, so the next message for another key or
topic is sent only once the ones before it are stored: the log keeps the order the stories
tell (an agreement before the cases it covers, a transfer before the cancelled conference).
Then the case-event topic and each agency's shared topic are read back and checked against the
store: every version of every case on the topic, and what each agency received or was denied.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from adapters.cloudevents import TYPE_PREFIX
from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from adapters.share_decisions import ShareDecisions
from services.case_queries import CaseQueries
from services.cli.render import render_case, render_timeline
from services.commands import SPECS
from services.demo.readback import ReadBack, read_back
from services.demo.runner import all_scripts, step_to_command
from services.demo.script import Script
from services.kafka_runtime.serving import RunningBackbone, running
from services.kafka_runtime.wiring import kafka_cluster
from services.settings import Settings

LOCAL_SESSION_MS = 1500
PREFIX = TYPE_PREFIX + "."


class DemoFailed(Exception):
    """The demo could not go through Kafka; the text says what was missing."""


@dataclass(frozen=True)
class Step:
    """One story step as a Kafka message, and the stored effect that shows it arrived."""

    topic: str
    key: bytes
    value: bytes
    command_id: str
    aggregate_id: UUID


def wire_steps(topics: Topics, script: Script) -> list[Step]:
    out = []
    for kind, payload in script.steps():
        command = step_to_command(kind, payload)
        if kind == "movement":
            topic, key = topics.movements, payload["additionalInformation"]["nomsNumber"]
        else:
            topic = topics.inbound_commands(command.agency)  # each agency writes its own
            key = payload.get("case_id") or payload.get("reference") or payload["command_id"]
        aggregate_id = SPECS[command.type].aggregate_id(command)
        value = orjson.dumps(payload)
        out.append(Step(topic, str(key).encode(), value, command.command_id, aggregate_id))
    return out


def in_order_batches(steps: list[Step]) -> list[list[Step]]:
    """Runs of steps on one partition (same topic and key): Kafka keeps each run in order."""
    return [list(run) for _, run in itertools.groupby(steps, key=lambda s: (s.topic, s.key))]


class KafkaDemo:
    def __init__(self, run: RunningBackbone, console: Console, timeout: float) -> None:
        self.run = run
        self.console = console
        self.timeout = timeout
        self.topics = run.parts.topics
        self.store = run.backbone.store
        self.decisions = ShareDecisions(self.store)

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not await asyncio.to_thread(condition):
            self.run.check()
            if self.run.inbound.stats.dead_lettered:
                raise DemoFailed(f"dead-lettered: {self.run.inbound.stats.dead_lettered[0]}")
            if time.monotonic() > deadline:
                raise DemoFailed(f"timed out after {self.timeout:g}s waiting for {what}")
            await asyncio.sleep(0.02)

    def stored(self, batch: list[Step]) -> bool:
        loaded: dict[UUID, Any] = {}
        for step in batch:
            if step.aggregate_id not in loaded:
                loaded[step.aggregate_id] = self.run.backbone.commands.load(step.aggregate_id)
            aggregate = loaded[step.aggregate_id]
            if aggregate is None or not aggregate.has_applied(step.command_id):
                return False
        return True

    async def send(self, scripts: list[Script]) -> None:
        connection = self.run.parts.connection
        producer = AIOKafkaProducer(**connection, acks="all", enable_idempotence=False)
        await producer.start()
        try:
            for script in scripts:
                for batch in in_order_batches(wire_steps(self.topics, script)):
                    acks = [await producer.send(s.topic, s.value, s.key) for s in batch]
                    await asyncio.gather(*acks)
                    what = f"{batch[0].command_id} from {batch[0].topic} to be stored"
                    await self.until(functools.partial(self.stored, batch), what)
        finally:
            await producer.stop()

    async def published(self) -> None:
        """Until both relays have published everything in the store's log."""
        last = self.store.recorder.max_notification_id() or 0
        what = f"the relays to publish up to notification {last}"
        await self.until(lambda: all(r.state.position >= last for r in self.run.relays), what)

    async def read_back(self, scripts: list[Script]) -> ReadBack:
        """Read the topics until they hold every case version and every share sent."""
        cases = [s.case_id for s in scripts if s.story != "agreements"]
        deadline = time.monotonic() + self.timeout
        while True:
            self.run.check()
            versions = {c: self.run.backbone.commands.load(c).version for c in cases}
            decisions = {c: self.decisions.about(c) for c in cases}
            recipients = {r.recipient for rows in decisions.values() for r in rows}
            connection = self.run.parts.connection
            back = await read_back(connection, self.topics, recipients, min(self.timeout, 10.0))
            problems = back.problems(versions, decisions)
            if not problems:
                return back
            if time.monotonic() > deadline:
                raise DemoFailed(f"after {self.timeout:g}s: {problems[0]}")
            await asyncio.sleep(0.2)

    def show(self, scripts: list[Script], back: ReadBack) -> None:
        queries = CaseQueries(self.store)
        for script in scripts:
            steps = wire_steps(self.topics, script)
            self.console.rule(Text(script.title, style="bold"))
            movements = sum(s.topic == self.topics.movements for s in steps)
            self.console.print(
                f"{len(steps) - movements} commands → each agency's "
                f"{self.topics.prefix}.inbound.<agency>.commands.v1, "
                f"{movements} movements → {self.topics.movements}; all stored"
            )
            if script.story == "agreements":
                continue
            seen = back.case(script.case_id)
            partitions = ", ".join(map(str, seen.partitions()))
            self.console.print(
                f"[bold]{self.topics.case_events}[/bold] (partition {partitions}): "
                f"case {script.case_id}, {len(seen.by_version)} events"
            )
            pairs = zip(seen.versions(), seen.types(), strict=True)
            self.console.print(", ".join(f"v{v} {t.removeprefix(PREFIX)}" for v, t in pairs))
            self.show_shared(script.case_id, back)
            render_case(self.console, queries.case(script.case_id), title=script.title)
            render_timeline(self.console, queries.timeline(script.case_id))

    def show_shared(self, case_id: UUID, back: ReadBack) -> None:
        rows = self.decisions.about(case_id)
        if not rows:
            self.console.print("no active agreement shares this case with any agency")
            return
        columns = ("shared topic", "received", "of which redacted", "withheld")
        title = "Shared with agencies under active agreements"
        table = Table(*columns, title=title, title_justify="left")
        for recipient in sorted({r.recipient for r in rows}):
            mine = [r for r in rows if r.recipient == recipient]
            table.add_row(
                self.topics.shared(recipient),
                str(len(back.received(recipient, case_id).by_version)),
                str(sum(r.outcome == "redacted" for r in mine)),
                str(sum(r.outcome == "withheld" for r in mine)),
            )
        self.console.print(table)


def demo_agencies(scripts: list[Script]) -> set[str]:
    """Every agency that sends a command in the stories (each needs its inbound topic)."""
    return {step_to_command(k, p).agency for s in scripts for k, p in s.steps() if k != "movement"}


PHASES = 3  # send, published, read back


@contextmanager
def phases_bar() -> Iterator[tuple[Progress, TaskID]]:
    """The demo's phases on a progress bar (stderr, only on a terminal; gone when done)."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    with bar:
        yield bar, bar.add_task("", total=PHASES)


async def run_demo(settings: Settings, bootstrap: str, console: Console, timeout: float) -> None:
    topics = Topics.from_settings(settings)
    specs = [topics.inbound_spec(a) for a in sorted(demo_agencies(all_scripts()))]
    connection = client_kwargs(settings, bootstrap)
    await ensure_topics(connection, specs, settings.kafka_replication_factor)
    async with running(settings, bootstrap, quiet=True) as run:
        console.print(f"[bold]Kafka bootstrap:[/bold] {bootstrap}")
        console.print(f"[bold]Event store:[/bold] {settings.store}")
        demo = KafkaDemo(run, console, timeout)
        scripts = all_scripts()
        started = time.perf_counter()
        with phases_bar() as (bar, task):
            bar.update(task, description="sending every step to its topic")
            await demo.send(scripts)
            bar.update(task, advance=1, description="waiting for the relay to publish")
            await demo.published()
            bar.update(task, advance=1, description="reading back from the shared topics")
            back = await demo.read_back(scripts)
            bar.update(task, advance=1)
        elapsed = time.perf_counter() - started
        console.print(f"every step stored, published and read back in {elapsed:.1f}s")
        demo.show(scripts, back)


def demo_via_kafka(console: Console, timeout: float) -> int:
    """Exit status: 0 when every story went through Kafka and was read back complete."""
    settings = Settings()
    if not settings.kafka_bootstrap_servers and "kafka_session_timeout_ms" not in (
        settings.model_fields_set
    ):
        # Our own loopback broker: a short session, since each group join waits about one.
        settings = settings.model_copy(update={"kafka_session_timeout_ms": LOCAL_SESSION_MS})
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # rebalancing chatter
    try:
        with kafka_cluster(settings) as cluster:
            asyncio.run(run_demo(cluster, cluster.kafka_bootstrap_servers, console, timeout))
    except DemoFailed as failure:
        console.print(f"[red]demo via Kafka failed:[/red] {escape(str(failure))}")
        return 1
    except KafkaError as error:
        where = settings.kafka_bootstrap_servers or "the local broker"
        problem = escape(f"cannot use Kafka at {where}: {error}")
        console.print(f"[red]demo via Kafka failed:[/red] {problem}")
        return 1
    return 0
