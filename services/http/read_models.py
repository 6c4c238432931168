"""``GET /v1/read-models/...``: the read models the caller's agency is entitled to
(:mod:`services.entitled_reads` says who sees what). Reads naming cases or prisoners are logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from projections.delay_results import ServiceLevels
from projections.performance_queries import Period
from projections.queries import ReadModels
from services.bootstrap import Backbone
from services.entitled_reads import EntitledReads
from services.http.auth import Caller, Purpose, Store, log_read
from services.http.problems import ProblemDetail
from services.identity import Identity

router = APIRouter(prefix="/v1/read-models", tags=["read models"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemDetail, "description": "No valid token"},
    403: {"model": ProblemDetail, "description": "Not a read model for this agency"},
}
T = TypeVar("T")


def reads(backbone: Backbone, caller: Identity) -> EntitledReads:
    s = backbone.settings
    levels = ServiceLevels(
        s.sla_victim_details_days, s.sla_victim_update_days, s.sla_prison_access_days
    )
    return EntitledReads(ReadModels(backbone.projections, levels), caller)


async def _run(backbone: Backbone, caller: Identity, read: Callable[[EntitledReads], T]) -> T:
    return await run_in_threadpool(lambda: read(reads(backbone, caller)))


@router.get("/agreements", summary="The agreements register", responses=ERRORS)
async def agreements(caller: Caller, backbone: Store) -> dict[str, Any]:
    """Every agreement (status, lead, review dates and alerts) and the permitted flows (active
    agreements' grants) the caller sends or receives. Any agency."""
    return await _run(backbone, caller, lambda r: r.agreements())


@router.get("/moves", summary="Prison moves affecting RJ cases", responses=ERRORS)
async def moves(caller: Caller, backbone: Store, purpose: Purpose = None) -> dict[str, Any]:
    """A prison: its RJ cases, moves in or out of it, releases from it. A PCC hub: its area's
    cases with an offender in custody, their moves and releases."""
    subject, found = await _run(backbone, caller, lambda r: r.moves())
    why = purpose or "prison liaison: RJ cases hit by prison moves"
    await run_in_threadpool(log_read, backbone, caller, "http:moves", subject, why)
    return found


@router.get("/delays", summary="Service-level breaches in the hub's area", responses=ERRORS)
async def delays(
    caller: Caller,
    backbone: Store,
    purpose: Purpose = None,
    ongoing: Annotated[bool, Query(description="Only breaches still going on")] = False,
) -> dict[str, Any]:
    """PCC hubs only, their own area: each breach with its reason and age, and the medians."""
    subject, found = await _run(backbone, caller, lambda r: r.delays(ongoing))
    why = purpose or "victim hub: delays in the area's RJ cases"
    await run_in_threadpool(log_read, backbone, caller, "http:delays", subject, why)
    return found


@router.get("/performance", summary="The hub's area performance", responses=ERRORS)
async def performance(
    caller: Caller, backbone: Store, period: Annotated[Period, Query()] = "year"
) -> dict[str, Any]:
    """PCC hubs only, their own area: referrals, take-up, completion, feedback per period.
    Counts only (no case or person), so not logged."""
    return await _run(backbone, caller, lambda r: r.performance(period))
