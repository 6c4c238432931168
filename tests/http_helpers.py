"""A test OAuth issuer (its own RSA key pair and JWKS file) and an API client on a real store."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa

from services.settings import Settings

ISSUER = "https://login.agencies.test/oauth2"
AUDIENCE = "rjb-backbone"


@dataclass
class Issuer:
    """Signs tokens as an OAuth issuer would (RS256, ``kid`` in the header)."""

    url: str = ISSUER
    kid: str = "test-key-1"

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        jwk = orjson.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def claims(self, agency: str, *roles: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": f"client-{agency}",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "rjb_agency": agency,
            "rjb_roles": list(roles),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, agency: str, *roles: str, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(agency, *roles, **overrides), self.key, "RS256", headers={"kid": self.kid}
        )

    def headers(self, agency: str, *roles: str, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(agency, *roles, **overrides)}"}


def api_settings(store_settings: Settings, tmp_path: Path, issuer: Issuer) -> Settings:
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(orjson.dumps(issuer.jwks()))
    return Settings.model_validate(
        {
            **store_settings.model_dump(),
            "oauth_issuer": issuer.url,
            "oauth_audience": AUDIENCE,
            "oauth_jwks_file": jwks,
        }
    )
