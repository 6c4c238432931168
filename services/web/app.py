"""Wiring the pages into the HTTP app: routers (kept out of the OpenAPI document), the CSRF
cookie middleware, the GOV.UK Frontend assets at ``/assets`` and HTML error pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from services.web import audit_pages, case_pages, pages, session
from services.web.render import ASSETS, page


def install(app: FastAPI) -> None:
    app.middleware("http")(session.csrf_cookie)
    for module in (session, pages, case_pages, audit_pages):
        app.include_router(module.router)
    # The fonts and images are referenced as /assets/... by govuk-frontend's CSS.
    app.mount("/assets", StaticFiles(directory=ASSETS, check_dir=False), name="assets")

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
