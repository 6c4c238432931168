"""The development token issuer: ``rjb dev token`` for the embedded default and the tests.

An EC P-256 key pair kept next to the SQLite database (``dev-issuer.pem``, mode 0600, created on
first use); tokens are ES256 JWTs with the claims an external OAuth issuer would put in a client
credentials token. The backbone verifies them exactly as it verifies the real issuer's, with the
public half as its JWKS. Settings refuse it with PostgreSQL or an external issuer configured
(:class:`services.settings.Settings`), so production never trusts a key kept in ``var/``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.identity import AGENCY_CLAIM, ROLES_CLAIM
from services.settings import Settings

DEV_ISSUER = "urn:rjb:dev-issuer"
KEY_FILE = "dev-issuer.pem"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DevIssuer:
    def __init__(self, key_path: Path, audience: str) -> None:
        self.key_path, self.audience = key_path, audience
        self.key = self._load_or_create()
        numbers = self.key.public_key().public_numbers()
        self.public_jwk: dict[str, Any] = {
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
        }
        thumbprint = {k: self.public_jwk[k] for k in ("crv", "kty", "x", "y")}
        self.kid = _b64(hashlib.sha256(orjson.dumps(thumbprint)).digest())[:16]
        self.public_jwk["kid"] = self.kid

    @classmethod
    def from_settings(cls, settings: Settings) -> DevIssuer:
        return cls(Path(settings.sqlite_path).parent / KEY_FILE, settings.oauth_audience)

    def _load_or_create(self) -> ec.EllipticCurvePrivateKey:
        if self.key_path.exists():
            loaded = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{self.key_path} is not an EC private key")
            return loaded
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return key

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def issue(
        self,
        agency: str,
        roles: Iterable[str] = (),
        subject: str | None = None,
        lifetime: int = 3600,
        **extra: Any,
    ) -> str:
        """A signed access token for ``agency`` (``sub``: the client, default ``dev-<agency>``)."""
        now = int(time.time())
        claims = {
            "iss": DEV_ISSUER,
            "aud": self.audience,
            "sub": subject or f"dev-{agency}",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            AGENCY_CLAIM: agency,
            ROLES_CLAIM: sorted(set(roles)),
            **extra,
        }
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid})
