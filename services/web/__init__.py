"""Web pages (issue 15): server-rendered GOV.UK pages over the same application services as the
HTTP API, behind the same token verification (a signed-in session cookie holds the token)."""

from services.web.app import install

__all__ = ["install"]
