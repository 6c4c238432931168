"""The HTTP API served by uvicorn inside the caller's asyncio loop (beside the Kafka parts).

The socket is bound before anything starts, so a port in use fails ``rjb serve`` at once with
the reason. Signals stay with the caller (``rjb serve`` stops everything on Ctrl-C); leaving the
context stops the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import uvicorn

from services.bootstrap import Backbone
from services.credentials import IdentityNotConfigured
from services.http.app import create_app, drain
from services.settings import Settings

if TYPE_CHECKING:
    from services.kafka_runtime.serving import RunningBackbone


class ApiNotStarted(Exception):
    """The HTTP API cannot start (port in use, no token issuer configured): one line says why."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the backbone's own handlers stop it


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ApiNotStarted(
            f"HTTP API: cannot listen on {host}:{port} ({error.strerror}); set RJB_HTTP_PORT "
            "to a free port, or 0 to turn the HTTP API off"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def http_api(
    backbone: Backbone, settings: Settings, run: RunningBackbone | None = None
) -> AsyncIterator[str | None]:
    """Serves the API on ``RJB_HTTP_HOST:RJB_HTTP_PORT`` for the duration; yields its base URL
    (None when ``RJB_HTTP_PORT`` is 0: off). ``run``: the Kafka parts, for ``/health``."""
    if settings.http_port == 0:
        yield None
        return
    try:  # no issuer configured: refuse before serving anything
        backbone.identity  # noqa: B018
    except IdentityNotConfigured as error:
        raise ApiNotStarted(f"HTTP API: {error} (or RJB_HTTP_PORT=0: off)") from None
    app = create_app(backbone, settings, run)
    sock = bind(settings.http_host, settings.http_port)
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning")
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the HTTP API stopped while starting")
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await drain(app)  # no lifespan here; waiting commands are applied now, not at the window
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


def api_banner(url: str | None, settings: Settings) -> str:
    """One line for ``rjb serve``: where the API is and whose tokens it trusts."""
    if url is None:
        return "off (RJB_HTTP_PORT=0)"
    if settings.dev_issuer_on:
        return f"{url}  (development issuer: tokens from `rjb dev token`; never in production)"
    return f"{url}  (tokens from {settings.oauth_issuer}, audience {settings.oauth_audience})"
