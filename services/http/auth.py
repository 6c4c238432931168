"""Bearer tokens to an :class:`~services.identity.Identity`, and the read log for HTTP reads.

The token is verified by the backbone's :class:`~services.identity.TokenVerifier` (issuer, audience,
expiry, not-before, algorithm allow-list, signature against the JWKS, a known agency).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.bootstrap import Backbone
from services.identity import Identity, Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An OAuth 2.0 access token (client credentials grant) from the configured "
    "issuer, with the claims `rjb_agency` (the calling agency) and `rjb_roles` (or `scope`).",
)


def backbone_of(request: Request) -> Backbone:
    backbone: Backbone = request.app.state.backbone
    return backbone


def current_identity(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Identity:
    if credentials is None:
        raise Unauthenticated(
            "no bearer token: send `Authorization: Bearer <access token>`", "invalid_request"
        )
    return backbone_of(request).identity.verify(credentials.credentials)


Caller = Annotated[Identity, Depends(current_identity)]
Store = Annotated[Backbone, Depends(backbone_of)]
Purpose = Annotated[
    str | None,
    Header(
        alias="RJB-Purpose",
        max_length=200,
        description="Why the data is read, for the read log (default: the endpoint's purpose)",
    ),
]


def log_read(
    backbone: Backbone, caller: Identity, what: str, subject: str, why: str, detail: str = ""
) -> None:
    """A row in the read log: who (agency/subject), what (action, subject, detail) and why."""
    said = f"{detail}; why: {why}" if detail else f"why: {why}"
    backbone.audit(caller.reader).log_read(what, subject, said)
