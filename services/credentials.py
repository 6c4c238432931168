"""The token verifier the settings call for, and the credential a command-line user presents.

Exactly one issuer is trusted: the external OAuth issuer (``RJB_OAUTH_ISSUER`` with its JWKS URL
or file), or, on the embedded default only, the development issuer. A token's agency must be
known: the reference data or the administrator's registry as it stands in the store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import orjson

from domain.agencies import registered_agencies, unknown_agency
from domain.registry import AgencyRegistry
from services.command_service import CommandService
from services.dev_issuer import DEV_ISSUER, DevIssuer
from services.identity import KeySource, RemoteKeys, StaticKeys, TokenVerifier, Unauthenticated
from services.settings import Settings

TOKEN_ENV = "RJB_TOKEN"
TOKEN_FILE_ENV = "RJB_TOKEN_FILE"


class IdentityNotConfigured(Exception):
    """No issuer to verify tokens against."""


@contextmanager
def registry_in_force(commands: CommandService) -> Iterator[None]:
    """Within the block, agencies the administrator registered are known (as well as the
    reference data)."""
    registry = commands.load(AgencyRegistry.id_for())
    with registered_agencies(registry.registered if registry is not None else {}):
        yield


def known_agency_check(commands: CommandService) -> Callable[[str], str | None]:
    def check(code: str) -> str | None:
        with registry_in_force(commands):
            return unknown_agency(code)

    return check


def token_verifier(settings: Settings, check: Callable[[str], str | None]) -> TokenVerifier:
    if settings.dev_issuer_on:
        dev = DevIssuer.from_settings(settings)
        keys = StaticKeys(dev.jwks())
        leeway = settings.oauth_leeway_seconds
        return TokenVerifier(DEV_ISSUER, settings.oauth_audience, ["ES256"], keys, check, leeway)
    if not settings.oauth_issuer:
        raise IdentityNotConfigured(
            "no token issuer: set RJB_OAUTH_ISSUER, RJB_OAUTH_AUDIENCE and RJB_OAUTH_JWKS_URL (or "
            "RJB_OAUTH_JWKS_FILE); the development issuer is only for the SQLite store"
        )
    source: KeySource
    if settings.oauth_jwks_file is not None:
        source = jwks_file(settings.oauth_jwks_file)
    elif settings.oauth_jwks_url:
        source = RemoteKeys(settings.oauth_jwks_url)
    else:
        raise IdentityNotConfigured("RJB_OAUTH_ISSUER needs RJB_OAUTH_JWKS_URL or _FILE")
    return TokenVerifier(
        settings.oauth_issuer,
        settings.oauth_audience,
        settings.oauth_algorithms,
        source,
        check,
        settings.oauth_leeway_seconds,
    )


def jwks_file(path: Path) -> StaticKeys:
    try:
        return StaticKeys(orjson.loads(path.read_bytes()))
    except OSError as error:
        raise IdentityNotConfigured(f"RJB_OAUTH_JWKS_FILE {path}: {error.strerror}") from None
    except (orjson.JSONDecodeError, jwt.PyJWKSetError, jwt.PyJWKError) as error:
        raise IdentityNotConfigured(f"RJB_OAUTH_JWKS_FILE {path}: not a JWKS ({error})") from None


def presented_token(token_file: Path | None = None) -> str:
    """The command-line credential: ``RJB_TOKEN``, else the token file (``--token-file`` or
    ``RJB_TOKEN_FILE``)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    path = token_file or (Path(p) if (p := os.environ.get(TOKEN_FILE_ENV)) else None)
    if path is None:
        raise Unauthenticated(
            f"no credential: put an access token in {TOKEN_ENV} or a file named by --token-file "
            f"or {TOKEN_FILE_ENV} (on the embedded default: `rjb dev token --agency ...`)",
            "invalid_request",
        )
    try:
        return path.read_text().strip()
    except OSError as error:
        raise Unauthenticated(f"token file {path}: {error.strerror}", "invalid_request") from None
