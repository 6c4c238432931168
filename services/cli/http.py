"""``rjb api`` (the HTTP API alone, without Kafka) and ``rjb dev token`` (the dev issuer)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from services.bootstrap import build
from services.credentials import known_agency_check
from services.dev_issuer import DevIssuer
from services.identity import Role
from services.settings import Settings

http_cli = typer.Typer()
dev_app = typer.Typer(no_args_is_help=True, help="Development helpers (embedded default only)")
console = Console()


@http_cli.command()
def api(
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: RJB_HTTP_PORT)")] = None,
) -> None:
    """Run the HTTP API alone, without Kafka (no relays: the shared feeds do not grow).

    `rjb serve` runs it beside the Kafka parts; this is for trying the API and for tests.
    """
    settings = Settings()
    if port is not None:
        settings = settings.model_copy(update={"http_port": port})
    from services.http.server import ApiNotStarted

    try:
        asyncio.run(_serve_api(settings, seconds))
    except ApiNotStarted as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None


async def _serve_api(settings: Settings, seconds: float | None) -> None:
    from services.http.server import api_banner, http_api  # FastAPI only when serving

    backbone = build(settings)
    try:
        async with http_api(backbone, settings) as url:
            if url is None:
                raise typer.BadParameter("RJB_HTTP_PORT is 0 (off): give --port")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            console.print(f"[bold]HTTP API:[/bold] {escape(api_banner(url, settings))}")
            console.print(f"[bold]Event store:[/bold] {settings.store}; no Kafka")
            console.print("ready; Ctrl-C stops", highlight=False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
    finally:
        backbone.close()
    console.print("stopped")


@dev_app.command()
def token(
    agency: Annotated[str, typer.Option(help="The agency the token is for, e.g. pcc:kent")],
    role: Annotated[
        list[Role] | None, typer.Option(help="A role (repeat for several)", show_default=False)
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="Who (the client or person; default dev-<agency>)")
    ] = None,
    lifetime: Annotated[int, typer.Option(min=60, max=86_400, help="Seconds")] = 3600,
) -> None:
    """Print an access token signed by the development issuer (key pair in var/).

    Put it in RJB_TOKEN (`export RJB_TOKEN=$(rjb dev token --agency pcc:kent --role auditor)`)
    or send it as `Authorization: Bearer ...`. Refused when the development issuer is off
    (RJB_STORE=postgres or RJB_OAUTH_ISSUER set).
    """
    settings = Settings()
    if not settings.dev_issuer_on:
        typer.echo(
            "the development issuer is off here (RJB_STORE=postgres, RJB_OAUTH_ISSUER set or "
            "RJB_DEV_ISSUER=false): get a token from the OAuth issuer",
            err=True,
        )
        raise typer.Exit(code=2)
    backbone = build(settings)
    try:
        problem = known_agency_check(backbone.commands)(agency)
    finally:
        backbone.close()
    if problem:
        typer.echo(f"refused: {problem}", err=True)
        raise typer.Exit(code=2)
    roles = [r.value for r in role or []]
    typer.echo(DevIssuer.from_settings(settings).issue(agency, roles, subject, lifetime))
