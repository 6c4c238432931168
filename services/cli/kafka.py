"""``rjb serve``: the Kafka backbone (broker if none configured, relays, inbound subscribers)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from services.kafka_runtime.serving import running
from services.kafka_runtime.wiring import default_port, kafka_cluster
from services.settings import Settings

kafka_cli = typer.Typer()
console = Console()


async def serve_backbone(settings: Settings, bootstrap: str, seconds: float | None) -> None:
    from services.http.server import api_banner, http_api  # FastAPI only when serving

    async with running(settings, bootstrap) as run, http_api(run.backbone, settings, run) as api:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, run.stop.set)
        t = run.parts.topics
        console.print(f"[bold]Kafka bootstrap:[/bold] {escape(bootstrap)}")
        console.print(f"[bold]Event store:[/bold] {settings.store}")
        console.print(f"[bold]This process runs:[/bold] {settings.serving}")
        console.print(f"[bold]HTTP API:[/bold] {escape(api_banner(api, settings))}")
        if settings.kafka_sasl_mechanism:
            console.print(
                f"[bold]Security:[/bold] {settings.kafka_security_protocol} "
                f"{settings.kafka_sasl_mechanism} as {escape(settings.kafka_sasl_username)}; "
                f"ACLs follow the register (every {settings.kafka_acl_reconcile_interval:g} s)"
            )
        else:
            console.print(
                "[bold red]Security: none. Nothing is authenticated[/bold red]: any client can "
                "write any agency's inbound topic and read every topic (dev broker or PLAINTEXT)"
            )
        for spec in t.core():
            console.print(f"  {spec.name}  ({spec.partitions} partitions, key: {spec.key})")
        console.print(f"  {t.prefix}.inbound.<agency>.commands.v1  (each agency's own commands)")
        console.print(f"  {t.prefix}.shared.<agency>.v1  (per agency with an active agreement)")
        console.print("ready; Ctrl-C stops", highlight=False)
        if seconds is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.stop.wait(), seconds)
            run.stop.set()
        await asyncio.gather(*run.tasks)
    console.print("stopped")


@kafka_cli.command()
def serve(
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds")] = None,
    port: Annotated[int, typer.Option(help="Port of the local broker (0: 9092 or any free)")] = 0,
    inbound: Annotated[
        bool, typer.Option(help="Run the inbound subscribers (RJB_SERVE_INBOUND)")
    ] = True,
    relays: Annotated[
        bool, typer.Option(help="Compete for the relay leader lock (RJB_SERVE_RELAYS)")
    ] = True,
) -> None:
    """Run the Kafka backbone: relay, shared topics and inbound subscribers, and the HTTP API
    (RJB_HTTP_PORT, default 8080; 0: off).

    With no RJB_KAFKA_BOOTSTRAP_SERVERS, a local in-memory broker (tansu) is started too.
    `--no-relays` and `--no-inbound` split the work over two processes on one store: each
    then has an interpreter (and a core) of its own.
    """
    from services.http.server import ApiNotStarted

    chosen = Settings()
    wanted = {"serve_inbound": chosen.serve_inbound and inbound}
    wanted["serve_relays"] = chosen.serve_relays and relays
    if not any(wanted.values()):
        console.print("--no-inbound and --no-relays together leave nothing to serve", style="red")
        raise typer.Exit(code=2)
    try:
        with kafka_cluster(chosen.model_copy(update=wanted), port) as settings:
            asyncio.run(serve_backbone(settings, settings.kafka_bootstrap_servers, seconds))
    except ApiNotStarted as error:
        console.print(escape(str(error)), style="red")
        raise typer.Exit(code=1) from None


@kafka_cli.command()
def broker(
    apache: Annotated[
        bool, typer.Option("--apache", help="Apache Kafka (Maven jars, KRaft) instead of tansu")
    ] = False,
    port: Annotated[int, typer.Option(help="Client port (0: 9092 or any free)")] = 0,
    data: Annotated[
        Path, typer.Option(help="Apache Kafka's data directory (kept between runs)")
    ] = Path("var/apache-kafka"),
) -> None:
    """Run a Kafka broker by hand for development until Ctrl-C.

    Point the backbone at it with RJB_KAFKA_BOOTSTRAP_SERVERS. `--apache` runs the broker the
    tests and production use (its jars are fetched with Maven on first use); the default is the
    embedded in-memory tansu of `make run`, which has no ACLs and no idempotent producer.
    """
    from adapters.apache_kafka import ApacheKafka
    from adapters.local_broker import LocalBroker

    chosen = port or default_port()
    server: ApacheKafka | LocalBroker
    if apache:
        server = ApacheKafka(data.resolve(), chosen)
        kind = f"Apache Kafka {server.version}, data in {data}"
    else:
        server, kind = LocalBroker(chosen), "tansu, in memory: nothing is authenticated"
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    with server:
        console.print(f"Kafka bootstrap: {server.bootstrap} ({kind})", highlight=False)
        console.print("ready; Ctrl-C stops", highlight=False)
        while not stopped.wait(0.5):
            if not server.running:
                raise typer.Exit(1)
    console.print("stopped")
