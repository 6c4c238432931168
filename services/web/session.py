"""Signing in to the pages: the access token (a real issuer's, or ``rjb dev token``) is verified
exactly as the HTTP API verifies a bearer token, then kept in an HttpOnly, SameSite=Strict
cookie (Secure over https) and verified again on every request. Every POST form carries a CSRF
token that must equal the HttpOnly ``rjb_csrf`` cookie (double submit, on top of SameSite)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from services.http.auth import backbone_of
from services.identity import Forbidden, Identity, Unauthenticated
from services.web.render import page

SESSION = "rjb_session"
CSRF = "rjb_csrf"
MAX_TOKEN = 8192
router = APIRouter(prefix="/web", include_in_schema=False)


class SignInNeeded(Exception):
    """No session, or its token no longer verifies: go to the sign-in page."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class Refused(Exception):
    """A page the viewer may not see (403), or a bad request (400): shown as an error page."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        path="/web",
        secure=request.url.scheme == "https",
    )


async def csrf_cookie(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Middleware for /web: every visitor has a CSRF token (request.state.csrf)."""
    if not request.url.path.startswith("/web"):
        return await call_next(request)
    known = request.cookies.get(CSRF, "")
    request.state.csrf = known or secrets.token_urlsafe(32)
    response = await call_next(request)
    if not known:
        _cookie(response, request, CSRF, request.state.csrf)
    return response


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed form, refused unless its csrf field equals the visitor's CSRF cookie."""
    form = await request.form()
    sent = form.get("csrf")
    known = request.cookies.get(CSRF, "")
    if not isinstance(sent, str) or not known or not hmac.compare_digest(sent, known):
        raise Refused(400, "The form has expired or did not come from this site. Try again.")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def viewer(request: Request) -> Identity:
    """The signed-in identity (the session's token verified now)."""
    token = request.cookies.get(SESSION)
    if not token:
        raise SignInNeeded()
    try:
        identity = backbone_of(request).identity.verify(token)
    except Unauthenticated as error:
        raise SignInNeeded(f"Your session has ended: {error}") from None
    except Forbidden as error:
        raise Refused(403, str(error)) from None
    request.state.viewer = identity
    return identity


Viewer = Annotated[Identity, Depends(viewer)]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/web/") and not target.startswith("//"):
        return target
    return "/web/"


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str = "/web/") -> Response:
    return page(request, "sign_in.html", next=_safe_next(next), error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await checked_form(request)
    token, target = form.get("token", "").strip(), _safe_next(form.get("next"))
    error = "Enter an access token" if not token else None
    if token and len(token) > MAX_TOKEN:
        error = "The access token is too long"
    if error is None:
        try:
            await run_in_threadpool(backbone_of(request).identity.verify, token)
        except (Unauthenticated, Forbidden) as refused:
            error = f"The access token was not accepted: {refused}"
    if error:
        return page(request, "sign_in.html", status=400, next=target, error=error)
    response = RedirectResponse(target, status_code=303)
    _cookie(response, request, SESSION, token)
    _cookie(response, request, CSRF, secrets.token_urlsafe(32))  # a new token once signed in
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await checked_form(request)
    response = RedirectResponse("/web/sign-in", status_code=303)
    for name in (SESSION, CSRF):
        response.delete_cookie(name, path="/web", httponly=True, samesite="strict")
    return response


@router.get("/")
async def home(request: Request, me: Viewer) -> Response:
    return page(request, "home.html")
