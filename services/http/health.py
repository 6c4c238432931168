"""``/health/live``, ``/health/ready``, ``/health`` and ``/metrics``: for probes and Prometheus.

No token: a load balancer, an orchestrator's probe and a Prometheus server must reach them, so
they say nothing personal (part names, positions, counters, exception kinds). Serve the API on
an internal interface, or block these paths at the edge, where they must not be public. Left
out of the OpenAPI document, which is the agencies' API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.health import HealthSources
from services.health_figures import document, gather
from services.metrics import CONTENT_TYPE, Metrics

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def sources(request: Request) -> HealthSources:
    found: HealthSources = request.app.state.health
    return found


def answer(body: dict[str, Any], ready: bool) -> JSONResponse:
    return JSONResponse(body, status_code=200 if ready else 503, headers=NO_STORE)


@router.get("/health/live")
async def live() -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "live"}, headers=NO_STORE)


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """200 when no check fails, else 503; the body lists every check either way."""
    checks, _ = await sources(request).checks()
    ok = HealthSources.ready(checks)
    body = {"status": "ready" if ok else "not ready", "checks": [c.as_dict() for c in checks]}
    return answer(body, ok)


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """The checks and the figures behind them; the status code as ``/health/ready``'s."""
    figures = await gather(sources(request))
    return answer(document(figures), figures.ready)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    found: Metrics = request.app.state.metrics
    return Response(await found.render(), media_type=CONTENT_TYPE, headers=NO_STORE)
