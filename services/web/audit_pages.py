"""Auditor pages (the ``auditor`` role): a case's history, its state at an instant (recorded
time) and verification of the tamper-evident chain (:class:`services.audit.service.AuditService`;
every read logged)."""

from __future__ import annotations

from typing import Annotated, Any

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from services.audit.findings import summary
from services.audit.service import parse_instant
from services.case_queries import case_summary
from services.identity import Identity, Role
from services.web.case_pages import case_id_of
from services.web.reads import call
from services.web.render import page
from services.web.session import Refused, Viewer

router = APIRouter(prefix="/web/audit", include_in_schema=False)
WHY = "auditor web page"
Text = Annotated[str, Query(max_length=80)]


def _auditor(me: Identity) -> None:
    if not me.has(Role.AUDITOR):
        raise Refused(403, f"the audit pages need the auditor role; {me.reader} does not have it")


@router.get("")
async def audit_home(request: Request, me: Viewer) -> Response:
    _auditor(me)
    return page(request, "audit.html")


@router.get("/history")
async def history(request: Request, me: Viewer, case: Text = "") -> Response:
    _auditor(me)
    case_id = case_id_of(case)
    try:
        found = await call(request, lambda b: b.audit(me.reader, WHY).history(case_id))
    except AggregateNotFoundError:
        raise Refused(404, f"there is no case {case_id}") from None
    return page(request, "audit_history.html", history=found)


@router.get("/at")
async def state_at(request: Request, me: Viewer, case: Text = "", at: Text = "") -> Response:
    _auditor(me)
    case_id = case_id_of(case)
    try:
        instant = parse_instant(at.strip())
    except ValueError:
        raise Refused(400, f"'{at}' is not an instant: give it as 2025-03-31T12:00:00Z") from None

    def read(backbone: Any) -> Any:
        state = backbone.audit(me.reader, WHY).at(case_id, instant)
        return None if state is None else case_summary(state)

    found = await call(request, read)
    return page(request, "audit_at.html", case_id=case_id, instant=instant, state=found)


@router.get("/verify")
async def verify(request: Request, me: Viewer, case: Text = "") -> Response:
    _auditor(me)
    case_id = case_id_of(case) if case.strip() else None
    report = await call(request, lambda b: b.audit(me.reader, WHY).verify(case_id))
    return page(request, "audit_verify.html", report=report, lines=list(summary(report)))
