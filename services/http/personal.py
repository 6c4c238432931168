"""``GET /v1/events/{aggregate_id}/{version}/personal``: the ``ce_dataref`` of a record whose
personal fields travel sealed. Entitlement and erasure are checked at read time; every answer
and refusal is in the read log (:mod:`services.personal_details`)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from services.http.auth import Caller, Purpose, Store
from services.http.problems import ProblemDetail
from services.personal_details import PersonalDetailsResolver

router = APIRouter(tags=["personal data"])


class PersonalFields(BaseModel):
    event_id: str = Field(description="The CloudEvents id (`ce_id`) of the event")
    fields: dict[str, Any] = Field(description="Each personal field the caller may see, in clear")
    erased: list[str] = Field(description="Fields whose person was erased: they read [erased]")


@router.get(
    "/v1/events/{aggregate_id}/{version}/personal",
    response_model=PersonalFields,
    summary="Resolve the sealed personal fields of one event",
    responses={
        401: {"model": ProblemDetail},
        403: {"model": ProblemDetail, "description": "Not entitled now (logged)"},
        404: {"model": ProblemDetail},
    },
)
async def personal_fields(
    caller: Caller,
    backbone: Store,
    aggregate_id: UUID,
    version: Annotated[int, Path(ge=1)],
    purpose: Purpose = None,
) -> PersonalFields:
    why = purpose or "resolving a shared event's personal fields"
    resolver = PersonalDetailsResolver(backbone)
    found = await run_in_threadpool(resolver.resolve, caller, aggregate_id, version, why)
    return PersonalFields(event_id=found.event_id, fields=found.fields, erased=found.erased)
