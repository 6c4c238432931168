"""The HTTP API's app factory: routers, problem details, the body size limit, the OpenAPI doc."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.bootstrap import Backbone
from services.command_coalescer import CommandCoalescer
from services.commands import command_adapter
from services.health import HealthSources
from services.http import commands, health, personal, read_models, shared, subject_access
from services.http.problems import MEDIA_TYPE, install, problem
from services.metrics import Metrics
from services.settings import Settings

if TYPE_CHECKING:
    from services.kafka_runtime.serving import RunningBackbone

TITLE = "rj-backbone HTTP API"
VERSION = "1"
DESCRIPTION = (
    "For agencies without Kafka: submit commands, read your shared feed, read the read models "
    "your agency is entitled to. Every request carries an OAuth 2.0 access token (client "
    "credentials) from the configured issuer; the acting agency is the token's `rjb_agency`. "
    "Errors are RFC 9457 problem details (`application/problem+json`)."
)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuses bodies over ``limit`` bytes: at once by Content-Length, else while reading."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            response = problem(413, "content-too-large", str(BodyTooLarge(self.limit).detail))
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


def create_app(
    backbone: Backbone, settings: Settings | None = None, run: RunningBackbone | None = None
) -> FastAPI:
    """The API over ``backbone`` (its store, command service, read models and token verifier);
    ``/health`` and ``/metrics`` also look at ``run``, the Kafka parts when they run here."""
    settings = settings or backbone.settings
    app = api_app(settings)
    app.state.backbone = backbone
    app.state.coalescer = coalescer(backbone, settings)
    app.router.lifespan_context = draining
    app.state.health = HealthSources(backbone, run)
    app.state.metrics = Metrics(app.state.health)
    return app


def coalescer(backbone: Backbone, settings: Settings) -> CommandCoalescer | None:
    """Concurrent commands share one transaction, unless ``RJB_HTTP_COALESCE_MS`` is 0."""
    if settings.http_coalesce_ms <= 0:
        return None
    window = settings.http_coalesce_ms / 1000
    return CommandCoalescer(backbone.commands, window, settings.http_coalesce_max)


async def drain(app: FastAPI) -> None:
    """Applies the commands still waiting to be coalesced; later ones are applied alone."""
    found: CommandCoalescer | None = getattr(app.state, "coalescer", None)
    if found is not None:
        await asyncio.to_thread(found.close)


@asynccontextmanager
async def draining(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: at shutdown no request is left waiting for its batch."""
    yield
    await drain(app)


def api_app(settings: Settings) -> FastAPI:
    """The routes, limits and error handling, before a backbone is attached (the OpenAPI
    document is generated from this)."""
    app = FastAPI(
        title=TITLE, version=VERSION, description=DESCRIPTION, docs_url="/docs", redoc_url=None
    )
    app.add_middleware(BodyLimit, limit=settings.http_max_body_bytes)
    install(app)
    routers = (commands, shared, personal, subject_access, read_models, health)
    for router in (r.router for r in routers):
        app.include_router(router)
    from services.web import install as install_web_pages

    install_web_pages(app)  # the web pages of issue 15 (kept out of the OpenAPI document)
    if settings.dev_issuer_on:
        from services.dev_issuer import DevIssuer

        jwks = DevIssuer.from_settings(settings).jwks()

        @app.get("/dev/jwks.json", include_in_schema=False)
        async def dev_jwks() -> dict[str, Any]:
            return jwks

    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app


def openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the command union (the schema of ``POST /v1/commands``)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    union = command_adapter.json_schema(ref_template="#/components/schemas/{model}")
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in union.pop("$defs", {}).items():
        if "agency" in schema.get("required", []):  # the token's agency when omitted
            schema["required"] = [f for f in schema["required"] if f != "agency"]
        schemas[name] = schema
    union["description"] = (
        "One agency command (`rjb commands --schema`). `agency` may be omitted: it is the "
        "token's agency, and any other value is refused as impersonation. `command_id` may be "
        "omitted when the Idempotency-Key header gives it; `user` defaults to the token's subject."
    )
    schemas[commands.COMMAND_SCHEMA_REF.rpartition("/")[2]] = union
    problems_only(doc)
    app.openapi_schema = doc
    return doc


def problems_only(doc: dict[str, Any]) -> None:
    """Every error response is a problem detail (FastAPI documents its own 422 shape)."""
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
    for operations in doc["paths"].values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = content
    for unused in ("HTTPValidationError", "ValidationError"):
        doc["components"]["schemas"].pop(unused, None)
