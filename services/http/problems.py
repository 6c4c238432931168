"""Every error as an RFC 9457 problem detail (``application/problem+json``).

``type`` is ``urn:rjb:problem:<slug>``, ``title`` is the same for every problem of that type,
``detail`` says why this request failed. Extension members: ``errors`` (one entry per invalid
field: where, and what is wrong) on 422, ``rule`` on every refusal by a rule (domain rules, a code
the reference data does not know, impersonation).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from domain import errors as domain
from services.command_service import ConcurrencyConflict
from services.identity import Forbidden, Unauthenticated
from services.inbound_errors import is_transient, rule_of

MEDIA_TYPE = "application/problem+json"
REALM = "rj-backbone"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request",
    503: "Try again",
    500: "Internal error",
}


class FieldError(BaseModel):
    location: str
    message: str


class ProblemDetail(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    rule: str | None = None


class Problem(Exception):
    def __init__(self, status: int, slug: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail, self.extra = status, slug, detail, extra


def problem(
    status: int, slug: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"urn:rjb:problem:{slug}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def field_errors(errors: list[Any], prefix: str = "") -> list[dict[str, str]]:
    """pydantic/FastAPI errors as ``{"location": "body.venue.prison_id", "message": ...}``."""
    out = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()))
        out.append({"location": f"{prefix}{where}" or "body", "message": str(e.get("msg", ""))})
    return out


def _quoted(text: str) -> str:
    return "".join(c for c in text if c.isprintable() and c not in '"\\')[:200]


def unauthenticated(error: Unauthenticated) -> JSONResponse:
    """401 with the RFC 6750 challenge; no error code when no token was sent (RFC 6750 3.1)."""
    challenge = f'Bearer realm="{REALM}"'
    missing = error.error == "invalid_request"
    if not missing:
        challenge += f', error="{error.error}", error_description="{_quoted(error.reason)}"'
    slug = "missing-token" if missing else "invalid-token"
    return problem(401, slug, error.reason, {"WWW-Authenticate": challenge})


DOMAIN_STATUS: list[tuple[type[domain.DomainError], int, str]] = [
    (domain.AgencyNotPermitted, 403, "agency-not-permitted"),
    (domain.AgencyNotOnCase, 403, "agency-not-on-case"),
    (domain.NotAParty, 403, "not-a-party"),
    (domain.AdministratorRequired, 403, "administrator-required"),
    (domain.UnknownAggregate, 404, "unknown-aggregate"),
    (domain.AlreadyExists, 409, "already-exists"),
    (domain.DuplicateEntity, 409, "duplicate"),
    (domain.InvalidTransition, 409, "invalid-transition"),
    (domain.CaseClosed, 409, "case-closed"),
]


def domain_refusal(error: domain.DomainError) -> JSONResponse:
    for cls, status, slug in DOMAIN_STATUS:
        if isinstance(error, cls):
            return problem(status, slug, str(error), rule=error.rule)
    return problem(422, "rule-violated", str(error), rule=error.rule)


def install(app: FastAPI) -> None:
    """Every error the API can raise becomes a problem detail."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, e: Problem) -> JSONResponse:
        return problem(e.status, e.slug, e.detail, **e.extra)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_: Request, e: Unauthenticated) -> JSONResponse:
        return unauthenticated(e)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, e: Forbidden) -> JSONResponse:
        return problem(403, "forbidden", e.reason)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        errors = field_errors(list(e.errors()))
        return problem(422, "invalid-request", "the request is not valid", errors=errors)

    @app.exception_handler(ValidationError)
    async def _invalid_command(_: Request, e: ValidationError) -> JSONResponse:
        errors = field_errors(list(e.errors()), "body.")
        rules = [r for r in (rule_of(d) for d in e.errors()) if r]
        if rules:  # a field refused by a rule (a code not in the reference data): name it
            detail = f"the command is not valid: {errors[0]['message']}"
            return problem(422, "rule-violated", detail, errors=errors, rule=rules[0])
        return problem(422, "invalid-command", "the command is not valid", errors=errors)

    @app.exception_handler(domain.DomainError)
    async def _refused(_: Request, e: domain.DomainError) -> JSONResponse:
        return domain_refusal(e)

    @app.exception_handler(ConcurrencyConflict)
    async def _busy(_: Request, e: ConcurrencyConflict) -> JSONResponse:
        return problem(503, "concurrent-writers", str(e), {"Retry-After": "1"})

    @app.exception_handler(HTTPException)
    async def _http(_: Request, e: HTTPException) -> JSONResponse:
        slug = TITLES.get(e.status_code, "error").lower().replace(" ", "-")
        return problem(e.status_code, slug, str(e.detail), dict(e.headers or {}))

    @app.exception_handler(Exception)
    async def _bug(_: Request, e: Exception) -> JSONResponse:
        if is_transient(e):  # the store is down or restarting: nothing was stored
            detail = f"the store did not answer ({type(e).__name__}): try again"
            return problem(503, "store-unavailable", detail, {"Retry-After": "1"})
        return problem(500, "internal-error", "the backbone failed to handle this request")
