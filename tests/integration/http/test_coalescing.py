"""``POST /v1/commands`` under load: concurrent requests share one transaction (the coalescer),
and each still gets the answer it would get alone. Transactions are counted, not timed."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from services.bootstrap import build
from services.command_coalescer import CommandCoalescer
from services.http.app import drain
from services.http.server import http_api
from services.settings import Settings
from tests.conftest import pg_settings
from tests.http_helpers import Issuer, api_settings
from tests.integration.http.coalescing import (
    HUBS,
    answer,
    coalescing_api,
    consent,
    participant,
    referral,
    until,
)

LONG = 10_000  # ms: the window never ends by itself in these tests; a full batch ends it


@pytest.fixture
def another_store(
    store_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Settings]:
    """A second, empty store of the same kind (to compare with the API not coalescing)."""

    def make() -> Settings:
        if store_settings.store == "sqlite":
            return store_settings.model_copy(update={"sqlite_path": tmp_path / "other.sqlite3"})
        return pg_settings(request.getfixturevalue("pg_database"))

    return make


async def test_twenty_agencies_posting_at_once_are_stored_in_one_transaction_each_getting_its_own_case_id(  # noqa: E501
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, LONG, most=20) as api:
        posts = [(f"pcc:{hub}", referral(hub, f"{hub}-ref-1")) for hub in HUBS]
        responses = await api.at_once(issuer, *posts)
        assert [r.status_code for r in responses] == [200] * 20, responses[0].text
        assert api.transactions == 1 and api.coalescer.batches == 1
        case_ids = [r.json()["aggregate_id"] for r in responses]
        assert len(set(case_ids)) == 20
        for hub, response in zip(HUBS, responses, strict=True):
            result = response.json()
            assert result["command_id"] == f"{hub}-ref-1" and result["new_events"] == 1
            case = api.backbone.commands.load(UUID(result["aggregate_id"]))
            assert case.pcc_area == hub


async def test_a_refused_referral_in_a_coalesced_batch_gets_its_own_problem_details_while_the_others_are_stored(  # noqa: E501
    store_settings: Settings,
    tmp_path: Path,
    issuer: Issuer,
    another_store: Callable[[], Settings],
) -> None:
    case_of_kent = "0b6a6c62-0000-4000-8000-00000000c0de"
    posts: list[tuple[str, dict[str, Any]]] = [
        ("pcc:kent", referral("kent", "kent-ref-1", case_id=case_of_kent)),
        ("pcc:essex", referral("essex", "essex-ref-1")),
        ("pcc:kent", referral("kent", "kent-ref-2", case_id=case_of_kent)),  # already exists
        ("prison:LEI", consent(case_of_kent, "lei-1")),
        ("pcc:dorset", participant("0b6a6c62-0000-4000-8000-0000000000ff", "no-such-case")),
        ("pcc:durham", referral("durham", "durham-ref-1", crime_type="")),
    ]
    async with coalescing_api(store_settings, tmp_path, issuer, 0) as alone:
        assert alone.coalescer is None
        expected = [answer(await alone.post(agency, body, issuer)) for agency, body in posts]
    async with coalescing_api(another_store(), tmp_path, issuer, LONG, most=4) as api:
        first = await api.post(*posts[0], issuer)  # the case exists before the batch
        assert answer(first) == expected[0]
        got = [answer(r) for r in await api.at_once(issuer, *posts[1:])]
        assert got == expected[1:]
        assert api.coalescer.batches == 2 and api.transactions == 2  # the first, then one
    statuses = [status for status, _ in expected]
    assert statuses == [200, 200, 409, 403, 404, 422]
    assert expected[3][1]["rule"] == "an_agency_sends_only_the_commands_its_role_allows"
    assert expected[2][1]["type"] == "urn:rjb:problem:already-exists"


async def test_the_same_command_twice_at_once_is_stored_once_and_one_answer_is_a_repeat(
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, LONG, most=2) as api:
        body = referral("kent", "kent-ref-7")
        one, two = await api.at_once(issuer, ("pcc:kent", body), ("pcc:kent", body))
        assert one.status_code == two.status_code == 200
        assert sorted(r.json()["repeat"] for r in (one, two)) == [False, True]
        assert one.json()["aggregate_id"] == two.json()["aggregate_id"]
        assert api.transactions == 1
        assert api.backbone.store.recorder.max_notification_id() == 1


async def test_an_unreachable_store_answers_every_waiting_request_with_503(
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, LONG, most=5) as api:

        def unreachable(*_: Any) -> None:
            raise OperationalError("connection to server failed: Connection refused")

        api.backbone.store.save = unreachable  # type: ignore[method-assign]
        posts = [(f"pcc:{hub}", referral(hub, f"{hub}-ref-1")) for hub in HUBS[:5]]
        responses = await asyncio.wait_for(api.at_once(issuer, *posts), timeout=30)
        for response in responses:
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "1"
            assert response.json()["type"] == "urn:rjb:problem:store-unavailable"
        assert api.backbone.store.recorder.max_notification_id() in (None, 0)


async def test_a_writer_racing_the_batch_sends_it_one_by_one_and_each_request_gets_its_result(
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, LONG, most=3) as api:
        save, raced = api.backbone.store.save, []

        def racing(*aggregates: Any) -> Any:
            if not raced:
                raced.append(True)
                raise IntegrityError("duplicate key: another writer moved an aggregate on")
            return save(*aggregates)

        api.backbone.store.save = racing  # type: ignore[method-assign]
        posts = [(f"pcc:{hub}", referral(hub, f"{hub}-ref-1")) for hub in HUBS[:3]]
        responses = await api.at_once(issuer, *posts)
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert all(r.json()["new_events"] == 1 for r in responses)
        assert api.backbone.commands.conflicts_retried == 1


async def test_a_client_that_goes_away_does_not_break_the_batch(
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, 1000) as api:
        posts = [(f"pcc:{hub}", referral(hub, f"{hub}-ref-1")) for hub in HUBS[:3]]
        tasks = [asyncio.create_task(api.post(a, b, issuer)) for a, b in posts]
        await until(lambda: api.submitted == 3)
        tasks[1].cancel()  # the client of the second request disconnects
        first, third = await tasks[0], await tasks[2]
        assert first.status_code == third.status_code == 200
        assert api.coalescer.batches == 1 and api.transactions == 1
        assert api.backbone.store.recorder.max_notification_id() == 3  # its command stood


async def test_shutting_down_applies_the_waiting_requests_and_later_ones_alone(
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, LONG) as api:
        posts = [(f"pcc:{hub}", referral(hub, f"{hub}-ref-1")) for hub in HUBS[:3]]
        tasks = [asyncio.create_task(api.post(a, b, issuer)) for a, b in posts]
        await until(lambda: api.submitted == 3)
        await drain(api.app)
        responses = await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
        assert [r.status_code for r in responses] == [200, 200, 200]
        later = await api.post("pcc:kent", referral("kent", "kent-late"), issuer)
        assert later.status_code == 200 and later.json()["new_events"] == 1
        assert api.coalescer.batches == 1 and api.transactions == 2


async def test_a_lone_request_waits_at_most_the_window_and_window_zero_coalesces_nothing(
    store_settings: Settings, tmp_path: Path, issuer: Issuer
) -> None:
    async with coalescing_api(store_settings, tmp_path, issuer, 200) as api:
        loop = asyncio.get_running_loop()
        started = loop.time()
        lone = await api.post("pcc:kent", referral("kent", "kent-ref-1"), issuer)
        assert lone.status_code == 200 and api.coalescer.batches == 1
        assert loop.time() - started < 5  # the window (0.2 s), not a wait for company
    async with coalescing_api(store_settings, tmp_path, issuer, 0) as api:
        assert api.coalescer is None
        posts = [(f"pcc:{hub}", referral(hub, f"{hub}-ref-9")) for hub in HUBS[:4]]
        responses = await api.at_once(issuer, *posts)
        assert [r.status_code for r in responses] == [200] * 4
        assert api.transactions == 4  # one each, as before coalescing


async def test_stopping_the_server_answers_the_requests_waiting_for_their_batch(
    store_settings: Settings, tmp_path: Path, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = api_settings(store_settings, tmp_path, issuer).model_copy(
        update={"http_coalesce_ms": 60_000, "http_port": port}  # only stopping ends the window
    )
    submitted: list[object] = []
    submit = CommandCoalescer.submit

    def counted(self: CommandCoalescer, command: Any) -> Any:
        submitted.append(command)
        return submit(self, command)

    monkeypatch.setattr(CommandCoalescer, "submit", counted)
    backbone = build(settings)
    client = httpx2.AsyncClient(timeout=30)
    try:
        async with http_api(backbone, settings) as url:

            def post(hub: str) -> Any:
                body, headers = referral(hub, f"{hub}-ref-1"), issuer.headers(f"pcc:{hub}")
                return client.post(f"{url}/v1/commands", json=body, headers=headers)

            tasks = [asyncio.create_task(post(hub)) for hub in HUBS[:3]]
            await until(lambda: len(submitted) == 3)
            stopping = time.monotonic()
        responses = await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert time.monotonic() - stopping < 30  # answered at the stop, not at the window's end
    finally:
        await client.aclose()
        backbone.close()
