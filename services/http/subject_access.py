"""``GET /subject-access?person=CASE/PARTICIPANT&from=&to=``: everything held about a person
(privacy-officer role; the request is logged). See :mod:`services.subject_access`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from services.http.auth import Caller, Purpose, Store
from services.http.problems import ProblemDetail
from services.subject_access import SubjectAccess

router = APIRouter(tags=["privacy"])


class SubjectAccessResponse(BaseModel):
    person: str
    erased: bool
    events: list[dict[str, Any]]
    shared_with: list[dict[str, str]]


@router.get(
    "/subject-access",
    response_model=SubjectAccessResponse,
    summary="Everything held about one person (privacy-officer role)",
    responses={
        401: {"model": ProblemDetail},
        403: {"model": ProblemDetail},
        404: {"model": ProblemDetail},
    },
)
async def subject_access(
    caller: Caller,
    backbone: Store,
    person: Annotated[str, Query(max_length=200, description="CASE_ID/PARTICIPANT_ID")],
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    purpose: Purpose = None,
) -> SubjectAccessResponse:
    why = purpose or "a subject access request"
    service = SubjectAccess(backbone)
    try:
        found = await run_in_threadpool(service.report, caller, person, why, since, until)
    except ValueError as error:  # not CASE/PARTICIPANT
        raise HTTPException(422, str(error)) from error
    return SubjectAccessResponse(
        person=found.person,
        erased=found.erased,
        events=found.events,
        shared_with=found.shared_with,
    )
