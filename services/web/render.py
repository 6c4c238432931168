"""The Jinja environment (autoescaped; GOV.UK Frontend macros from ``govuk-frontend-jinja``),
page rendering with a per-response CSP nonce, and where the GOV.UK Frontend assets are."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

HERE = Path(__file__).parent
SERVICE_NAME = "RJ backbone"
# Built by `make govuk-assets` from the npm package (git-ignored).
ASSETS = Path(os.environ.get("RJB_WEB_ASSETS", HERE.parents[1] / "build" / "govuk-frontend"))
STATIC = HERE / "static"  # the pages' own scripts (CSP: script-src 'self')

env = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(HERE / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def as_text(value: object) -> str:
    """Stored data as plain text (autoescaped where it is output, never markup)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {as_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(as_text(v) for v in value)
    return "-" if value is None else str(value)


env.filters["as_text"] = as_text
env.filters["number"] = lambda n: f"{n:,}"

CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
NAV = (
    ("/web/agreements", "Agreements"),
    ("/web/prison", "Prison liaison"),
    ("/web/delays", "Delays"),
    ("/web/performance", "Performance"),
    ("/web/audit", "Audit"),
)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context``, the signed-in viewer and a fresh CSP nonce."""
    nonce = secrets.token_urlsafe(16)
    html = env.get_template(template).render(
        request=request,
        cspNonce=nonce,
        service_name=SERVICE_NAME,
        nav=NAV,
        path=request.url.path,
        viewer=getattr(request.state, "viewer", None),
        csrf=getattr(request.state, "csrf", ""),
        **context,
    )
    headers = {
        "Content-Security-Policy": CSP.format(nonce=nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, status_code=status, headers=headers)
