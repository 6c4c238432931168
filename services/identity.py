"""Who is acting: an agency and its roles, from a verified OAuth 2.0 JWT access token.

Tokens come from the configured issuer (client credentials grant) and are checked here with PyJWT:
the signature against the issuer's public keys (JWKS, by ``kid``), the algorithm against an
allow-list of asymmetric algorithms (``none`` and HS* never: a JWKS holds public keys, and a
token MACed with a public key must not pass), the issuer, the audience, expiry and not-before.
The agency is the ``rjb_agency`` claim and must be a known agency; roles are the ``rjb_roles``
claim (a list) plus any ``scope`` entry that names a role. Nothing is taken from a request body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import jwt

AGENCY_CLAIM = "rjb_agency"
ROLES_CLAIM = "rjb_roles"


class Role(StrEnum):
    """Roles of people and operations (issue 10, item 5)."""

    AUDITOR = "auditor"  # audit history, state at an instant, verify, export, the read log
    PRIVACY_OFFICER = "privacy-officer"  # erasure of a person's personal data (with a reason)
    ADMINISTRATOR = "administrator"  # registry changes (register_agency)
    OPERATOR = "operator"  # running the backbone: dead-letter retry and purge, reconcile --repair


class Unauthenticated(Exception):
    """No identity: the token is missing, malformed, unverifiable, expired or not for us.

    ``error`` is the RFC 6750 code for ``WWW-Authenticate`` (``invalid_request`` when there is no
    usable token, ``invalid_token`` otherwise)."""

    def __init__(self, reason: str, error: str = "invalid_token") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


class Forbidden(Exception):
    """The identity is known but may not do this (a role it lacks, another agency's data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    agency: str
    subject: str
    roles: frozenset[str]
    issuer: str

    @property
    def reader(self) -> str:
        """How the read log and event metadata name this caller: ``agency/subject``."""
        return f"{self.agency}/{self.subject}"

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    def require(self, role: Role, doing: str) -> None:
        if not self.has(role):
            held = ", ".join(sorted(self.roles)) or "none"
            raise Forbidden(
                f"{doing} needs the {role.value} role; the credential of {self.reader} has: {held}"
            )


class KeySource(Protocol):
    def key_for(self, kid: str | None) -> jwt.PyJWK: ...


class StaticKeys:
    """A JWKS held in memory (a file, or the development issuer's)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = jwt.PyJWKSet.from_dict(jwks).keys

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        if kid is None and len(self.keys) == 1:
            return self.keys[0]
        for key in self.keys:
            if key.key_id == kid:
                return key
        raise Unauthenticated(f"no key {kid!r} in the issuer's JWKS (bad signature or key)")


class RemoteKeys:
    """The issuer's JWKS URL, fetched and cached by PyJWT's ``PyJWKClient``."""

    def __init__(self, url: str) -> None:
        self.client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        try:
            if kid is None:
                keys = self.client.get_signing_keys()
                if len(keys) == 1:
                    return keys[0]
                raise Unauthenticated("the token names no key (kid) and the JWKS has several")
            return self.client.get_signing_key(kid)
        except jwt.PyJWKClientError as error:
            raise Unauthenticated(f"signing key: {error}") from error


class TokenVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        algorithms: Iterable[str],
        keys: KeySource,
        unknown_agency: Callable[[str], str | None],
        leeway: int = 30,
    ) -> None:
        self.issuer, self.audience, self.keys = issuer, audience, keys
        self.algorithms = list(algorithms)
        self.unknown_agency = unknown_agency
        self.leeway = leeway

    def verify(self, token: str) -> Identity:
        """The identity in ``token``; :class:`Unauthenticated` or :class:`Forbidden` say why not."""
        claims = self.claims(token)
        agency = claims.get(AGENCY_CLAIM)
        if not isinstance(agency, str) or not agency:
            raise Unauthenticated(f"the token has no {AGENCY_CLAIM} claim naming the agency")
        problem = self.unknown_agency(agency)
        if problem:
            raise Forbidden(f"the token's agency is refused: {problem}")
        return Identity(agency, str(claims["sub"]), roles_in(claims), self.issuer)

    def claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"malformed token: {error}") from error
        alg = header.get("alg")
        if alg not in self.algorithms:
            allowed = ", ".join(self.algorithms)
            raise Unauthenticated(f"algorithm {alg!r} is not accepted (allowed: {allowed})")
        key = self.keys.key_for(header.get("kid"))
        if key.algorithm_name != alg:
            raise Unauthenticated(f"the key {key.key_id!r} is for {key.algorithm_name}, not {alg}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("the token has expired") from error
        except jwt.ImmatureSignatureError as error:
            raise Unauthenticated("the token is not valid yet (nbf/iat in the future)") from error
        except jwt.InvalidAudienceError as error:
            raise Unauthenticated(
                f"the token is not for this audience ({self.audience})"
            ) from error
        except jwt.InvalidIssuerError as error:
            raise Unauthenticated(f"the token is not from the issuer {self.issuer}") from error
        except jwt.InvalidSignatureError as error:
            raise Unauthenticated("bad signature") from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"invalid token: {error}") from error
        return claims


def roles_in(claims: dict[str, Any]) -> frozenset[str]:
    """``rjb_roles`` (a list of role names) plus ``scope`` entries that are role names."""
    listed = claims.get(ROLES_CLAIM) or []
    if isinstance(listed, str):
        listed = [listed]
    scope = claims.get("scope")
    scoped = scope.split() if isinstance(scope, str) else []
    names = {r.value for r in Role}
    return frozenset(r for r in [*listed, *scoped] if isinstance(r, str) and r in names)
