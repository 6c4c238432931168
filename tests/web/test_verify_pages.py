"""Verifying the record from the auditor pages: a job with progress, then its result. Only an
auditor starts one (with the form's CSRF token), only its owner sees it, and only a few run at
once."""

from __future__ import annotations

import time
from uuid import UUID

from fastapi.testclient import TestClient

from services.audit.findings import VerifyReport
from services.audit.service import AuditService
from services.bootstrap import Backbone
from services.case_queries import CaseQueries
from services.web.verify_jobs import VerifyJobs
from tests.http_helpers import Issuer
from tests.web.conftest import sign_in
from tests.web.verify_gate import Gate


def start(web: TestClient, case: str = "") -> str:
    form = {"csrf": web.cookies["rjb_csrf"], "case": case}
    answer = web.post("/web/audit/verify", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def finished(web: TestClient, job: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while (state := web.get(f"{job}/progress").json())["state"] == "running":
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    return state


def test_only_an_auditor_starts_a_verification_and_only_with_the_form(
    web: TestClient, web_issuer: Issuer
) -> None:
    sign_in(web, web_issuer.token("pcc:west-yorkshire"))
    assert web.get("/web/audit/verify").status_code == 403
    refused = web.post("/web/audit/verify", data={"csrf": web.cookies["rjb_csrf"]})
    assert refused.status_code == 403 and "auditor role" in refused.text
    sign_in(web, web_issuer.token("pcc:kent", "auditor"))
    forged = web.post("/web/audit/verify", data={"csrf": "guessed"})
    assert forged.status_code == 400 and "did not come from this site" in forged.text
    assert web.post("/web/audit/verify", data={}).status_code == 400


def test_a_verification_shows_its_progress_then_its_result(
    web: TestClient, web_backbone: Backbone, web_issuer: Issuer
) -> None:
    gate = Gate()
    web.app.state.verify_jobs = VerifyJobs(run=gate)  # type: ignore[attr-defined]
    sign_in(web, web_issuer.token("pcc:kent", "auditor", sub="ann"))
    job = start(web)
    assert gate.reached.wait(10)
    state = web.get(f"{job}/progress").json()
    assert state["state"] == "running" and state["checked"] == 20 and state["total"] > 20
    running = web.get(job)
    assert "In progress" in running.text and 'value="20"' in running.text
    assert f"20 of {state['total']:,} checked ({state['percent']}%)" in running.text
    assert "Check progress" in running.text and "/web/static/verify-progress.js" in running.text
    assert 'http-equiv="refresh"' not in running.text  # no timed refresh (WCAG 2.2.1)
    gate.go.set()
    total = state["total"]
    ended = {
        "state": "done",
        "ok": True,
        "checked": total,
        "total": total,
        "percent": 100,
        "findings": 0,
        "failure": None,
    }
    assert finished(web, job) == {"id": job.rsplit("/", 1)[1], **ended}
    done = web.get(job)
    assert "Verified" in done.text and "Log head" in done.text and "Verify again" in done.text
    listed = web.get("/web/audit/verify")
    assert job in listed.text and "the whole log" in listed.text
    reads = web_backbone.audit("test").reads()
    assert any(r.reader == "pcc:kent/ann" and r.action == "verify" for r in reads)
    assert web.get("/web/static/verify-progress.js").status_code == 200


def test_a_verification_is_seen_by_the_auditor_who_started_it_only(
    web: TestClient, web_backbone: Backbone, web_issuer: Issuer
) -> None:
    case_id = CaseQueries(web_backbone.store).case_ids()[0]
    sign_in(web, web_issuer.token("pcc:kent", "auditor", sub="ann"))
    job = start(web, str(case_id))
    assert finished(web, job)["ok"] is True
    assert f"Verifying case {case_id}" in web.get(job).text
    others = ("pcc:kent", "bob"), ("pcc:merseyside", "ann")  # same agency; same subject
    for other in (web_issuer.token(agency, "auditor", sub=sub) for agency, sub in others):
        sign_in(web, other)
        assert web.get(job).status_code == 404
        assert web.get(f"{job}/progress").status_code == 404
        assert job not in web.get("/web/audit/verify").text
    assert web.get("/web/audit/verify/not-a-job").status_code == 404
    assert web.get("/web/audit/verify/..%2F..%2Fsign-in").status_code == 404
    assert web.get(f"/web/audit/verify/{'x' * 5000}").status_code == 404
    bad_case = {"csrf": web.cookies["rjb_csrf"], "case": "nope"}
    assert web.post("/web/audit/verify", data=bad_case).status_code == 400


def test_only_a_few_verifications_run_at_once_one_per_auditor(
    web: TestClient, web_issuer: Issuer
) -> None:
    gate = Gate()
    web.app.state.verify_jobs = VerifyJobs(limit=1, run=gate)  # type: ignore[attr-defined]
    sign_in(web, web_issuer.token("pcc:kent", "auditor", sub="ann"))
    job = start(web)
    assert start(web) == job  # the one still running, not a second one
    sign_in(web, web_issuer.token("pcc:kent", "auditor", sub="bob"))
    busy = web.post("/web/audit/verify", data={"csrf": web.cookies["rjb_csrf"]})
    assert busy.status_code == 429 and "Try again in a few minutes" in busy.text
    gate.go.set()
    sign_in(web, web_issuer.token("pcc:kent", "auditor", sub="ann"))
    finished(web, job)
    sign_in(web, web_issuer.token("pcc:kent", "auditor", sub="bob"))
    assert start(web) != job


def test_a_verification_that_fails_says_why(web: TestClient, web_issuer: Issuer) -> None:
    def broken(audit: AuditService, case_id: UUID | None, progress: object) -> VerifyReport:
        raise OSError("the database went away <b>")

    web.app.state.verify_jobs = VerifyJobs(run=broken)  # type: ignore[attr-defined]
    sign_in(web, web_issuer.token("pcc:kent", "auditor"))
    job = start(web)
    assert finished(web, job)["failure"] == "OSError: the database went away <b>"
    page = web.get(job).text
    assert "could not finish: OSError: the database went away &lt;b&gt;" in page
