"""Helpers of the coalescing tests: an API whose concurrent commands share transactions, its
transactions counted, and agencies posting at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from fastapi import FastAPI

from services.bootstrap import Backbone, build
from services.command_coalescer import CommandCoalescer
from services.http import create_app
from services.settings import Settings
from tests.http_helpers import Issuer, api_settings

HUBS = [
    "avon-and-somerset",
    "bedfordshire",
    "cambridgeshire",
    "cheshire",
    "cleveland",
    "cumbria",
    "derbyshire",
    "devon-and-cornwall",
    "dorset",
    "durham",
    "essex",
    "gloucestershire",
    "hampshire",
    "hertfordshire",
    "humberside",
    "kent",
    "lancashire",
    "leicestershire",
    "lincolnshire",
    "norfolk",
]


def referral(area: str, command_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "refer_case",
        "command_id": command_id,
        "user": "caseworker",
        "occurred_at": "2025-03-01T09:00:00Z",
        "route": "victim_self_referral",
        "cjs_stage": "post_sentence_community",
        "crime_type": "burglary",
        "pcc_area": area,
        "crime_reported_on": "2025-02-20",
        "summary": "burglary at the victim's home",
        **fields,
    }


def participant(case_id: str, command_id: str) -> dict[str, Any]:
    return {
        "type": "add_participant",
        "command_id": command_id,
        "user": "caseworker",
        "occurred_at": "2025-03-01T10:00:00Z",
        "case_id": case_id,
        "participant_id": "v1",
        "role": "victim",
        "name": "Ann Victim",
    }


def consent(case_id: str, command_id: str) -> dict[str, Any]:
    return {
        "type": "record_consent",
        "command_id": command_id,
        "user": "u",
        "case_id": case_id,
        "occurred_at": "2025-03-02T09:00:00Z",
        "participant_id": "v1",
        "form_reference": "CF-1",
    }


class Api:
    """An API on its own backbone, with every transaction of the store counted."""

    def __init__(self, backbone: Backbone, app: FastAPI, client: httpx2.AsyncClient) -> None:
        self.backbone, self.app, self.client = backbone, app, client
        self.transactions = self.submitted = 0
        save = backbone.store.save

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.transactions += 1
            return save(*args, **kwargs)

        backbone.store.save = counted  # type: ignore[method-assign]
        if app.state.coalescer is not None:
            submit = app.state.coalescer.submit

            def submitted(command: Any) -> Any:
                self.submitted += 1
                return submit(command)

            app.state.coalescer.submit = submitted

    @property
    def coalescer(self) -> CommandCoalescer:
        found: CommandCoalescer = self.app.state.coalescer
        return found

    async def post(self, agency: str, body: dict[str, Any], issuer: Issuer) -> httpx2.Response:
        return await self.client.post("/v1/commands", json=body, headers=issuer.headers(agency))

    async def at_once(
        self, issuer: Issuer, *posts: tuple[str, dict[str, Any]]
    ) -> list[httpx2.Response]:
        return list(await asyncio.gather(*(self.post(a, b, issuer) for a, b in posts)))


@asynccontextmanager
async def coalescing_api(
    store: Settings, tmp_path: Path, issuer: Issuer, window_ms: float, most: int = 500
) -> AsyncIterator[Api]:
    """The API with ``RJB_HTTP_COALESCE_MS=window_ms`` and ``RJB_HTTP_COALESCE_MAX=most``."""
    settings = api_settings(store, tmp_path, issuer).model_copy(
        update={"http_coalesce_ms": window_ms, "http_coalesce_max": most}
    )
    backbone = build(settings)
    app = create_app(backbone)
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx2.AsyncClient(transport=transport, base_url="http://backbone") as client:
            yield Api(backbone, app, client)
    finally:
        if app.state.coalescer is not None:
            app.state.coalescer.close()
        backbone.close()


async def until(probe: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def answer(response: httpx2.Response) -> tuple[int, Any]:
    """What a client sees: the status and the body."""
    return response.status_code, response.json()
