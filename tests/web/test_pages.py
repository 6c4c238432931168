"""Each page's authorisation and its answers, through FastAPI's TestClient (fast; the browser
tests are in test_browser.py): sign-in and CSRF, who sees which page, every case view logged,
stored text shown as text, a bad date a clear error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from services.audit.export import verify_export
from services.bootstrap import Backbone
from services.case_queries import CaseQueries
from tests.http_helpers import Issuer
from tests.web.conftest import sign_in

HUB = "pcc:west-yorkshire"


def test_pages_need_a_signed_in_session(web: TestClient) -> None:
    answer = web.get("/web/agreements", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/sign-in?next=/web/agreements"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("rjb_csrf=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    form = web.get("/web/sign-in")
    assert form.status_code == 200 and 'name="csrf"' in form.text


def test_sign_in_refuses_a_bad_token_a_forged_form_and_keeps_a_good_token_httponly(
    web: TestClient, web_issuer: Issuer
) -> None:
    web.get("/web/sign-in")
    csrf = web.cookies["rjb_csrf"]
    bad = web.post("/web/sign-in", data={"token": "not-a-jwt", "csrf": csrf})
    assert bad.status_code == 400 and "was not accepted" in bad.text
    forged = web.post("/web/sign-in", data={"token": web_issuer.token(HUB), "csrf": "guess"})
    assert forged.status_code == 400 and "expired or did not come from this site" in forged.text
    good = web.post(
        "/web/sign-in", data={"token": web_issuer.token(HUB), "csrf": csrf}, follow_redirects=False
    )
    assert good.status_code == 303
    cookies = good.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("rjb_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/web" in session
    assert web.get("/web/").status_code == 200
    no_csrf = web.post("/web/sign-out", data={})
    assert no_csrf.status_code == 400
    out = web.post("/web/sign-out", data={"csrf": web.cookies["rjb_csrf"]}, follow_redirects=False)
    assert out.status_code == 303


def test_the_register_is_for_any_agency(web: TestClient, web_issuer: Issuer) -> None:
    sign_in(web, web_issuer.token("police:kent"))
    page = web.get("/web/agreements")
    assert page.status_code == 200
    assert "ISA-WY-RJ-001" in page.text and "Reviews due within 3 months" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_the_prison_page_is_for_prisons_and_shows_its_own_prison_only(
    web: TestClient, web_backbone: Backbone, web_issuer: Issuer
) -> None:
    sign_in(web, web_issuer.token("prison:LEI"))
    page = web.get("/web/prison")
    assert page.status_code == 200 and "Prison liaison: LEI" in page.text
    assert web.get("/web/prison?status=closed").status_code == 200
    assert web.get("/web/prison?status=bogus").status_code == 400
    logged = [r for r in web_backbone.audit("test").reads() if r.action == "web:prison"]
    assert logged and logged[-1].subject == "prison LEI"
    sign_in(web, web_issuer.token(HUB))
    refused = web.get("/web/prison")
    assert refused.status_code == 403 and "for prisons" in refused.text


def test_delays_and_performance_are_for_the_hubs_own_area(
    web: TestClient, web_issuer: Issuer
) -> None:
    sign_in(web, web_issuer.token(HUB))
    delays = web.get("/web/delays?at=2030-01-01")
    assert delays.status_code == 200 and "Delays in west-yorkshire" in delays.text
    assert "as at 2030-01-01" in delays.text
    bad = web.get("/web/delays?at=31/03/2025")
    assert bad.status_code == 400 and "is not a date: give it as YYYY-MM-DD" in bad.text
    assert "Traceback" not in bad.text
    perf = web.get("/web/performance?period=quarter")
    assert perf.status_code == 200 and "Performance in west-yorkshire" in perf.text
    csv = web.get("/web/performance.csv?period=quarter")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("pcc_area,period,referrals")
    assert web.get("/web/performance?period=decade").status_code == 400
    assert "Of the cohort's cases offered RJ, the share in which a victim gave" in perf.text
    cohorts = web.get("/web/performance-cohorts.csv?period=quarter")
    assert cohorts.status_code == 200 and cohorts.headers["content-type"].startswith("text/csv")
    lines = cohorts.text.splitlines()
    assert lines[0] == "pcc_area,period,referred,offered,consented,completed,take_up,completion"
    # the demo's west-yorkshire story: referred in 2023-Q1, offered, consented, completed
    assert "west-yorkshire,2023-Q1,1,1,1,1,1.0,1.0" in lines
    sign_in(web, web_issuer.token("prison:LEI"))
    assert web.get("/web/delays").status_code == 403
    assert web.get("/web/performance.csv").status_code == 403
    assert web.get("/web/performance-cohorts.csv").status_code == 403


def test_a_case_page_for_the_area_is_logged_and_refused_to_an_agency_not_entitled(
    web: TestClient, web_backbone: Backbone, web_issuer: Issuer
) -> None:
    queries = CaseQueries(web_backbone.store)
    case_id = next(c for c in queries.case_ids() if queries.case(c).pcc_area == "west-yorkshire")
    sign_in(web, web_issuer.token(HUB))
    page = web.get(f"/web/cases/{case_id}")
    assert page.status_code == 200 and "Participants" in page.text and "Timeline" in page.text
    assert "[withheld]" not in page.text
    sign_in(web, web_issuer.token("pcc:kent"))
    refused = web.get(f"/web/cases/{case_id}")
    assert refused.status_code == 403 and "does not work in west-yorkshire" in refused.text
    reads = [r for r in web_backbone.audit("test").reads() if r.subject == str(case_id)]
    assert {"web:case", "refused:web:case"} <= {r.action for r in reads}
    assert web.get("/web/cases/not-a-uuid").status_code == 400
    assert web.get("/web/cases/00000000-0000-0000-0000-000000000000").status_code == 404


def test_audit_pages_need_the_auditor_role(
    web: TestClient, web_backbone: Backbone, web_issuer: Issuer, tmp_path: Path
) -> None:
    case_id = CaseQueries(web_backbone.store).case_ids()[0]
    sign_in(web, web_issuer.token(HUB))
    assert web.get("/web/audit").status_code == 403
    assert web.get(f"/web/audit/history?case={case_id}").status_code == 403
    assert web.get(f"/web/audit/export?case={case_id}").status_code == 403
    sign_in(web, web_issuer.token("pcc:kent", "auditor"))
    assert web.get("/web/audit").status_code == 200
    history = web.get(f"/web/audit/history?case={case_id}")
    assert history.status_code == 200 and "History of case" in history.text
    at = web.get(f"/web/audit/at?case={case_id}&at=2099-01-01T00:00:00Z")
    assert at.status_code == 200 and "As recorded by then" in at.text
    assert "As it had happened by then" in at.text
    exported = web.get(f"/web/audit/export?case={case_id}")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    assert f'filename="audit-export-{case_id}.zip"' in exported.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        archive.extractall(tmp_path)
    assert verify_export(tmp_path / f"case-{case_id}") == []
    reads = web_backbone.audit("test").reads()
    assert any(r.action == "export" and r.subject == str(case_id) for r in reads)
    assert web.get("/web/audit/export?case=00000000-0000-0000-0000-000000000000").status_code == 404
    bad = web.get(f"/web/audit/at?case={case_id}&at=yesterday")
    assert bad.status_code == 400 and "is not an instant" in bad.text
    verify = web.get(f"/web/audit/verify?case={case_id}")
    assert verify.status_code == 200 and "Verified" in verify.text
    assert "Verify the whole log" in web.get("/web/audit/verify").text


def test_the_web_pages_are_not_in_the_openapi_document(web: TestClient) -> None:
    assert not [p for p in web.get("/openapi.json").json()["paths"] if p.startswith("/web")]
