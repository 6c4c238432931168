"""Only a token from the configured issuer, for this audience, in date, signed with an allowed
algorithm by the issuer's key, naming a known agency, gets an answer; each refusal says why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from tests.http_helpers import Issuer

REGISTER = "/v1/read-models/agreements"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def refused_401(api: TestClient, token: str | None, reason: str) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    answer = api.get(REGISTER, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 401 and problem["title"] and problem["type"].startswith("urn:")
    assert reason in problem["detail"], problem
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    if token is not None:
        assert 'error="invalid_token"' in challenge


def test_a_token_from_the_configured_issuer_reads_the_register(
    api: TestClient, issuer: Issuer
) -> None:
    answer = api.get(REGISTER, headers=issuer.headers("pcc:kent"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["agreements"] == []


def test_no_token_is_401_with_a_bearer_challenge(api: TestClient) -> None:
    refused_401(api, None, "no bearer token")


def test_a_token_from_another_issuer_is_refused(api: TestClient) -> None:
    """Another issuer's key, whether its kid is one of ours or not."""
    refused_401(api, Issuer(url="https://login.evil.test").token("pcc:kent"), "bad signature")
    other_kid = Issuer(url="https://login.evil.test", kid="evil-1")
    refused_401(api, other_kid.token("pcc:kent"), "no key 'evil-1'")


def test_a_token_naming_another_issuer_with_our_key_is_refused(
    api: TestClient, issuer: Issuer
) -> None:
    token = issuer.token("pcc:kent", iss="https://login.evil.test")
    refused_401(api, token, "not from the issuer")


def test_a_token_for_another_audience_is_refused(api: TestClient, issuer: Issuer) -> None:
    refused_401(api, issuer.token("pcc:kent", aud="another-service"), "not for this audience")


def test_an_expired_token_is_refused(api: TestClient, issuer: Issuer) -> None:
    past = int(time.time()) - 3600
    refused_401(api, issuer.token("pcc:kent", exp=past, iat=past - 60, nbf=past - 60), "expired")


def test_a_token_not_valid_yet_is_refused(api: TestClient, issuer: Issuer) -> None:
    later = int(time.time()) + 3600
    refused_401(api, issuer.token("pcc:kent", nbf=later), "not valid yet")


def test_a_token_without_expiry_is_refused(api: TestClient, issuer: Issuer) -> None:
    claims = issuer.claims("pcc:kent")
    del claims["exp"]
    token = jwt.encode(claims, issuer.key, "RS256", headers={"kid": issuer.kid})
    refused_401(api, token, "exp")


def test_an_unsigned_token_alg_none_is_refused(api: TestClient, issuer: Issuer) -> None:
    header = _b64(orjson.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid}))
    body = _b64(orjson.dumps(issuer.claims("pcc:kent", "auditor")))
    refused_401(api, f"{header}.{body}.", "algorithm 'none' is not accepted")


def test_hs256_signed_with_the_public_key_is_refused(api: TestClient, issuer: Issuer) -> None:
    """Key confusion: the public key (which anyone has) used as an HMAC secret."""
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}))
    body = _b64(orjson.dumps(issuer.claims("pcc:kent", "administrator")))
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    refused_401(api, f"{header}.{body}.{_b64(mac)}", "algorithm 'HS256' is not accepted")


def test_a_tampered_payload_fails_the_signature(api: TestClient, issuer: Issuer) -> None:
    header, _, signature = issuer.token("pcc:kent").split(".")
    forged = _b64(orjson.dumps(issuer.claims("pcc:west-yorkshire", "auditor")))
    refused_401(api, f"{header}.{forged}.{signature}", "bad signature")


def test_garbage_is_refused_as_malformed(api: TestClient) -> None:
    refused_401(api, "not-a-jwt", "malformed token")


def test_a_token_for_an_invented_agency_is_forbidden(api: TestClient, issuer: Issuer) -> None:
    answer = api.get(REGISTER, headers=issuer.headers("pcc:nowhere"))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert "unknown agency pcc:nowhere" in answer.json()["detail"]


def test_a_look_alike_agency_in_a_token_is_forbidden(api: TestClient, issuer: Issuer) -> None:
    answer = api.get(REGISTER, headers=issuer.headers("pcc:k\u0435nt"))  # Cyrillic e
    assert answer.status_code == 403
    assert "homoglyph" in answer.json()["detail"]


def test_a_token_naming_no_agency_is_refused(api: TestClient, issuer: Issuer) -> None:
    refused_401(api, issuer.token("pcc:kent", rjb_agency=None), "no rjb_agency claim")
