"""The case page: state, participants (personal data only where entitled), timeline and delays
with reasons (:mod:`services.case_view`; every view and refusal logged)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.case_view import NoSuchCase, case_view
from services.web.reads import call, models
from services.web.render import page
from services.web.session import Refused, Viewer

router = APIRouter(prefix="/web", include_in_schema=False)


def case_id_of(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise Refused(400, "A case reference is a UUID, as rjb list prints it") from None


@router.get("/cases/{case_ref}")
async def case(request: Request, me: Viewer, case_ref: str) -> Response:
    case_id = case_id_of(case_ref)
    why = "viewing the case page"

    def read(backbone: Any) -> Any:
        return case_view(backbone, models(backbone), me, case_id, why)

    try:
        view = await call(request, read)
    except NoSuchCase as error:
        raise Refused(404, str(error)) from None
    return page(request, "case.html", view=view)
