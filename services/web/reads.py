"""What every page route shares: the read models for the signed-in viewer, and running an
application service off the event loop with its refusals turned into error pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from projections.delay_results import ServiceLevels
from projections.queries import ReadModels
from services.bootstrap import Backbone
from services.entitled_reads import EntitledReads
from services.http.auth import backbone_of
from services.identity import Forbidden, Identity
from services.web.session import Refused

T = TypeVar("T")


def levels(backbone: Backbone) -> ServiceLevels:
    s = backbone.settings
    return ServiceLevels(
        s.sla_victim_details_days, s.sla_victim_update_days, s.sla_prison_access_days
    )


def models(backbone: Backbone) -> ReadModels:
    return ReadModels(backbone.projections, levels(backbone))


def entitled(backbone: Backbone, me: Identity) -> EntitledReads:
    return EntitledReads(models(backbone), me)


async def call(request: Request, read: Callable[[Backbone], T]) -> T:
    """``read(backbone)`` in a worker thread; Forbidden becomes a 403 page with the reason."""
    backbone = backbone_of(request)
    try:
        return await run_in_threadpool(read, backbone)
    except Forbidden as error:
        raise Refused(403, error.reason) from None
