"""Verifying the record from the auditor pages: a verification runs as a job
(:mod:`services.web.verify_jobs`) whose page shows how far it has got, then its result. The page
polls the job's progress when scripts run and has a "Check progress" button when they do not
(no timed refresh: it would move a screen reader's place on the page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from services.audit.findings import summary
from services.http.auth import backbone_of
from services.web.audit_pages import WHY, Text, auditor
from services.web.case_pages import case_id_of
from services.web.reads import call
from services.web.render import page
from services.web.session import Refused, Viewer, checked_form
from services.web.verify_jobs import Job, TooMany, VerifyJobs

router = APIRouter(prefix="/web/audit/verify", include_in_schema=False)


def jobs_of(request: Request) -> VerifyJobs:
    jobs: VerifyJobs = request.app.state.verify_jobs
    return jobs


def _job(request: Request, owner: str, job_id: str) -> Job:
    job = jobs_of(request).get(owner, job_id)
    if job is None:  # someone else's job is as unknown as a made-up id
        raise Refused(404, "you have started no such verification")
    return job


@router.get("")
async def verify(request: Request, me: Viewer, case: Text = "") -> Response:
    """One case's chain at once (it is short); without a case, the auditor's verifications and
    a button to start one of the whole log."""
    auditor(me)
    if not case.strip():
        return page(request, "audit_verify_start.html", jobs=jobs_of(request).of(me.reader))
    case_id = case_id_of(case)
    report = await call(request, lambda b: b.audit(me.reader, WHY).verify(case_id))
    return page(request, "audit_verify.html", report=report, lines=list(summary(report)))


@router.post("")
async def start(request: Request, me: Viewer) -> Response:
    """Starts a verification (of one case, or of the whole log) and shows its page."""
    form = await checked_form(request)
    auditor(me)
    given = form.get("case", "").strip()
    case_id = case_id_of(given) if given else None
    audit = backbone_of(request).audit(me.reader, WHY)
    try:
        job = jobs_of(request).start(audit, case_id)
    except TooMany as error:
        raise Refused(429, f"{error}. Try again in a few minutes.") from None
    return RedirectResponse(f"/web/audit/verify/{job.id}", status_code=303)


@router.get("/{job_id}")
async def job_page(request: Request, me: Viewer, job_id: str) -> Response:
    auditor(me)
    job = _job(request, me.reader, job_id)
    lines = list(summary(job.report)) if job.report else []
    return page(request, "audit_verify_job.html", job=job, lines=lines)


@router.get("/{job_id}/progress")
async def progress(request: Request, me: Viewer, job_id: str) -> Response:
    """The job's progress as JSON, for the page's script (and for scripts of the auditor's)."""
    auditor(me)
    job = _job(request, me.reader, job_id)
    return JSONResponse(job.as_json(), headers={"Cache-Control": "no-store"})
