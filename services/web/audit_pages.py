"""Auditor pages (the ``auditor`` role): a case's history, its state at an instant (as recorded
by then beside as things had happened by then) and the export of a case as a zip (verifying the
chain: :mod:`services.web.verify_pages`) (:class:`services.audit.service.AuditService`,
:func:`services.audit.export.export_case`; every read logged)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from services.audit.export import export_case
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


def auditor(me: Identity) -> None:
    if not me.has(Role.AUDITOR):
        raise Refused(403, f"the audit pages need the auditor role; {me.reader} does not have it")


@router.get("")
async def audit_home(request: Request, me: Viewer) -> Response:
    auditor(me)
    return page(request, "audit.html")


@router.get("/history")
async def history(request: Request, me: Viewer, case: Text = "") -> Response:
    auditor(me)
    case_id = case_id_of(case)
    try:
        found = await call(request, lambda b: b.audit(me.reader, WHY).history(case_id))
    except AggregateNotFoundError:
        raise Refused(404, f"there is no case {case_id}") from None
    return page(request, "audit_history.html", history=found)


@router.get("/at")
async def state_at(request: Request, me: Viewer, case: Text = "", at: Text = "") -> Response:
    auditor(me)
    case_id = case_id_of(case)
    try:
        instant = parse_instant(at.strip())
    except ValueError:
        raise Refused(400, f"'{at}' is not an instant: give it as 2025-03-31T12:00:00Z") from None

    def read(backbone: Any) -> tuple[Any, Any]:
        audit = backbone.audit(me.reader, WHY)
        recorded, occurred = audit.at(case_id, instant), audit.at_occurred(case_id, instant)
        return (
            None if recorded is None else case_summary(recorded),
            None if occurred is None else case_summary(occurred),
        )

    recorded, occurred = await call(request, read)
    keys = list(dict.fromkeys([*(recorded or {}), *(occurred or {})]))
    rows = [(k, (recorded or {}).get(k, "-"), (occurred or {}).get(k, "-")) for k in keys]
    return page(
        request,
        "audit_at.html",
        case_id=case_id,
        instant=instant,
        rows=rows,
        recorded=recorded is not None,
        occurred=occurred is not None,
    )


@router.get("/export")
async def export(request: Request, me: Viewer, case: Text = "") -> Response:
    """The audit export of one case (history, timeline, stored events, manifest) as a zip."""
    auditor(me)
    case_id = case_id_of(case)

    def read(backbone: Any) -> bytes:
        return _zipped(backbone.audit(me.reader, WHY), case_id)

    try:
        data = await call(request, read)
    except AggregateNotFoundError:
        raise Refused(404, f"there is no case {case_id}") from None
    name = f"audit-export-{case_id}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _zipped(audit: Any, case_id: UUID) -> bytes:
    with tempfile.TemporaryDirectory(prefix="rjb-export-") as tmp:
        out = Path(tmp) / f"case-{case_id}"
        export_case(audit, case_id, out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(out.iterdir()):
                archive.write(file, f"case-{case_id}/{file.name}")
        return buffer.getvalue()
