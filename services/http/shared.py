"""``GET /v1/shared``: the caller's own shared feed (what active agreements let it see), paged.

Only ever the token's agency's feed: there is no parameter naming an agency. Each page is logged
in the read log (the feed carries personal data where an agreement grants it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from services.http.auth import Caller, Purpose, Store, log_read
from services.http.problems import ProblemDetail
from services.shared_feed import MAX_PAGE, FeedPage, SharedFeed

router = APIRouter(tags=["shared feed"])


class SharedEvent(BaseModel):
    position: int = Field(description="The event's position in the backbone's log")
    attributes: dict[str, str] = Field(
        description="CloudEvents attributes, as the shared topic's ce_* headers carry them "
        "(id, source, type, time, subject, sequence, recipient, datacontenttype)"
    )
    data: dict[str, Any] = Field(
        description="The event as the shared topic carries it: fields not granted removed"
    )


class SharedPage(BaseModel):
    agency: str
    events: list[SharedEvent]
    next_after: int = Field(description="Pass as `after` for the next page")
    more: bool = Field(description="Another page is ready now")


def _read(backbone: Any, agency: str, after: int, limit: int) -> FeedPage:
    return SharedFeed(backbone.store).page(agency, after, limit)


@router.get(
    "/v1/shared",
    response_model=SharedPage,
    summary="The caller's shared feed from a position",
    responses={401: {"model": ProblemDetail}, 422: {"model": ProblemDetail}},
)
async def shared_feed(
    caller: Caller,
    backbone: Store,
    purpose: Purpose = None,
    after: Annotated[int, Query(ge=0, description="Position to read after (0: start)")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> SharedPage:
    page = await run_in_threadpool(_read, backbone, caller.agency, after, limit)
    if page.items:
        span = f"positions {page.items[0].position}..{page.items[-1].position}"
        why = purpose or "the agency's shared feed (information-sharing agreements)"
        await run_in_threadpool(log_read, backbone, caller, "http:shared", caller.agency, why, span)
    events = [
        SharedEvent(position=i.position, attributes=i.attributes, data=i.data) for i in page.items
    ]
    return SharedPage(
        agency=caller.agency, events=events, next_after=page.next_after, more=page.more
    )
