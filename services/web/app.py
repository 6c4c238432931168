"""Wiring the pages into the HTTP app: routers (kept out of the OpenAPI document), the CSRF
cookie middleware, the GOV.UK Frontend assets at ``/assets``, the pages' own scripts at
``/web/static``, the verification jobs and HTML error pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from services.web import audit_pages, case_pages, pages, session, verify_pages
from services.web.render import ASSETS, STATIC, page
from services.web.verify_jobs import VerifyJobs


def install(app: FastAPI) -> None:
    app.middleware("http")(session.csrf_cookie)
    app.state.verify_jobs = VerifyJobs()
    for module in (session, pages, case_pages, audit_pages, verify_pages):
        app.include_router(module.router)
    # The fonts and images are referenced as /assets/... by govuk-frontend's CSS.
    app.mount("/assets", StaticFiles(directory=ASSETS, check_dir=False), name="assets")
    app.mount("/web/static", StaticFiles(directory=STATIC), name="web-static")  # our own scripts

    @app.exception_handler(session.SignInNeeded)
    async def _sign_in(request: Request, error: session.SignInNeeded) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if error.reason:
            return page(request, "sign_in.html", status=401, next=target, error=error.reason)
        return RedirectResponse(f"/web/sign-in?next={quote(target)}", status_code=303)

    @app.exception_handler(session.Refused)
    async def _refused(request: Request, error: session.Refused) -> Response:
        return page(
            request,
            "error.html",
            status=error.status,
            status_code=error.status,
            reason=error.reason,
        )
