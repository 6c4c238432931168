"""``rjb serve``: the Kafka backbone (broker if none configured, relays, inbound subscribers)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer
from rich.console import Console

from adapters.local_broker import LocalBroker, free_port
from services.bootstrap import build
from services.settings import Settings

kafka_cli = typer.Typer()
console = Console()


async def serve_backbone(settings: Settings, bootstrap: str, seconds: float | None) -> None:
    backbone = build(settings)
    parts = backbone.kafka(bootstrap)
    relays = [parts.relay(), parts.sharing_relay()]
    inbound = parts.inbound()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for relay in relays:
            await relay.start()
        await inbound.start()
        t = parts.topics
        console.print(f"[bold]Kafka bootstrap:[/bold] {bootstrap}")
        console.print(f"[bold]Event store:[/bold] {settings.store}")
        for spec in t.core():
            console.print(f"  {spec.name}  ({spec.partitions} partitions, key: {spec.key})")
        console.print(f"  {t.prefix}.shared.<agency>.v1  (per agency with an active agreement)")
        console.print("ready; Ctrl-C stops", highlight=False)
        tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]
        if seconds is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            stop.set()
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        await inbound.stop()
        for relay in relays:
            await relay.stop()
        backbone.close()
        console.print("stopped")


@kafka_cli.command()
def serve(
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds")] = None,
    port: Annotated[int, typer.Option(help="Port of the local broker (0: 9092 or any free)")] = 0,
) -> None:
    """Run the Kafka backbone: relay, shared topics and inbound subscribers.

    With no RJB_KAFKA_BOOTSTRAP_SERVERS, a local in-memory broker (tansu) is started too.
    """
    settings = Settings()
    broker: LocalBroker | None = None
    bootstrap = settings.kafka_bootstrap_servers
    if not bootstrap:
        broker = LocalBroker(port or _default_port()).start()
        bootstrap = broker.bootstrap
    try:
        asyncio.run(serve_backbone(settings, bootstrap, seconds))
    finally:
        if broker is not None:
            broker.stop()


def _default_port() -> int:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 9092))
            return 9092
        except OSError:
            return free_port()
